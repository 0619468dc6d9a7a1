/**
 * The attached targets of one language-server session: attach (with the remote-host policy),
 * detach, snapshots on request and on an auto-refresh timer, and the state every client view
 * is drawn from. Editor-neutral: the LSP wiring lives in leakServer.ts.
 */
import * as fs from 'node:fs';
import { parseTargetSpec } from '../cdp';
import { isLoopbackHost, normalizeHost } from '../cdp/hostPolicy';
import type { AttachParams, LeakInspectorState, OpenReportParams, ServerSettings, Suspect } from '../protocol/lsp';
import { ErrorCodes } from '../protocol/lsp';
import { ServerError, unknownTarget } from './errors';
import { buildAgentConfig } from '../engine/agentConfig';
import { listenerScanOptions } from '../engine/inspection';
import { heapDirectoryOf } from './settings';
import { isSourcePath, sourceUri } from './sourceUris';
import { readFile } from 'node:fs/promises';
import { parseReport, ReportFormatError } from '../report';
import { SavedReport, type InspectedTarget } from './savedReport';
import { threadName } from '../presentation';
import { Target } from './target';

const MAX_SUSPECTS = 100;

/** Every suspect of a target's report (all kinds, all threads), with the thread it was found in. */
function suspectsOf(target: InspectedTarget): Suspect[] {
  const threads = target.reports();
  if (threads.length === 0) return [];
  return target.report().suspects.map((suspect): Suspect => {
    const thread = threads.find(({ report }) => threadName(report.target.threadId) === suspect.thread)?.thread;
    return { targetId: target.id, threadId: thread?.threadId ?? 0, threadLabel: thread?.label ?? suspect.thread, suspect };
  });
}

export class TargetManager {
  private readonly targets = new Map<string, InspectedTarget>();
  private nextId = 1;
  private autoRefresh: boolean;
  private timer: NodeJS.Timeout | undefined;
  /** Whether each source path exists on disk, decided once per path. */
  private readonly onDisk = new Map<string, boolean>();

  constructor(
    private settings: ServerSettings,
    /** Called after every change of state, with the new state. */
    private readonly onChange: (state: LeakInspectorState) => void,
    /** Receives failures of automatic snapshots (no request to answer them to). */
    private readonly onBackgroundError: (message: string) => void,
  ) {
    this.autoRefresh = settings.autoRefresh;
  }

  get currentSettings(): ServerSettings {
    return this.settings;
  }

  updateSettings(settings: ServerSettings): void {
    const autoChanged = settings.autoRefresh !== this.settings.autoRefresh;
    const intervalChanged = settings.refreshIntervalSeconds !== this.settings.refreshIntervalSeconds;
    this.settings = settings;
    if (autoChanged) this.autoRefresh = settings.autoRefresh;
    if (autoChanged || intervalChanged) this.schedule();
    // A new threshold changes which sites are suspects.
    this.changed();
  }

  async attach(params: AttachParams): Promise<Target> {
    const allowRemoteHosts = this.remoteHostsFor(params);
    const id = String(this.nextId++);
    const target = await Target.attach(
      id,
      params.target,
      {
        allowRemoteHosts,
        agent: buildAgentConfig(this.settings),
        // Emitters from before the attach are looked for once, at the first snapshot, announced in the log.
        listeners: listenerScanOptions('vscode', { onNotice: (message) => this.onBackgroundError(message) }),
        pathMapping: this.settings.sourcePathMapping,
        heapDirectory: heapDirectoryOf(this.settings),
        promiseTracking: this.settings.promiseTracking,
      },
      () => this.changed(),
    );
    this.targets.set(id, target);
    try {
      await target.snapshot();
    } catch {
      // Attached all the same: the failure is shown on the target, and the next snapshot may work.
    }
    this.schedule();
    this.changed();
    return target;
  }

  /** Opens a saved report (a file or its text) as a read-only target. */
  async openReport(params: OpenReportParams): Promise<InspectedTarget> {
    if (params.file === undefined && params.text === undefined) throw new ServerError(ErrorCodes.OperationFailed, { code: 'BAD_REPORT' }, 'openReport needs a file or a text');
    let report;
    try {
      const text = params.text ?? (await readFile(params.file!, 'utf8'));
      report = parseReport(text, params.file ?? 'the report');
    } catch (error) {
      if (error instanceof ReportFormatError || (error as NodeJS.ErrnoException).code !== undefined) {
        throw new ServerError(ErrorCodes.OperationFailed, { code: 'BAD_REPORT' }, (error as Error).message);
      }
      throw error;
    }
    const target = new SavedReport(String(this.nextId++), report, params.file);
    this.targets.set(target.id, target);
    this.changed();
    return target;
  }

  /** Detaches one target, or all; the agent is removed from each. */
  async detach(targetId?: string): Promise<void> {
    const targets = targetId === undefined ? [...this.targets.values()] : [this.get(targetId)];
    const problems: string[] = [];
    for (const target of targets) {
      this.targets.delete(target.id);
      await target.detach().catch((error: Error) => problems.push(error.message));
    }
    this.schedule();
    this.changed();
    if (problems.length > 0) throw new ServerError(ErrorCodes.OperationFailed, { code: 'DETACH_INCOMPLETE' }, problems.join('; '));
  }

  /** Snapshots one target, or every connected one. */
  async snapshot(targetId?: string): Promise<LeakInspectorState> {
    const targets = targetId === undefined ? this.connected() : [this.get(targetId)];
    if (targets.length === 0) throw unknownTarget(undefined);
    try {
      await Promise.all(targets.map((target) => target.snapshot()));
    } finally {
      this.changed();
    }
    return this.state();
  }

  setAutoRefresh(enabled: boolean): LeakInspectorState['autoRefresh'] {
    this.autoRefresh = enabled;
    this.schedule();
    this.changed();
    return this.state().autoRefresh;
  }

  get(targetId: string): InspectedTarget {
    const target = this.targets.get(targetId);
    if (!target) throw unknownTarget(targetId);
    return target;
  }

  /** The target with `targetId`, or the first attached one. */
  pick(targetId?: string): InspectedTarget {
    if (targetId !== undefined) return this.get(targetId);
    const [first] = this.targets.values();
    if (!first) throw unknownTarget(undefined);
    return first;
  }

  all(): InspectedTarget[] {
    return [...this.targets.values()];
  }

  /** The text of a source that exists only in a target's source maps. */
  async sourceContent(sourcePath: string): Promise<string | undefined> {
    for (const target of this.targets.values()) {
      const text = await target.sourceContent(sourcePath);
      if (text !== undefined) return text;
    }
    return undefined;
  }

  state(): LeakInspectorState {
    const targets = [...this.targets.values()];
    // A process that is gone has no leaks left to fix: its last report stays viewable, but unflagged.
    const suspects: Suspect[] = targets
      .filter((target) => target.isConnected)
      .flatMap((target) => suspectsOf(target).filter((entry) => entry.suspect.score >= this.settings.diagnosticMinScore))
      .sort((a, b) => b.suspect.score - a.suspect.score || b.suspect.count - a.suspect.count || a.suspect.key.localeCompare(b.suspect.key))
      .slice(0, MAX_SUSPECTS);
    const sourceUris: Record<string, string> = {};
    const addUri = (where: { path: string } | null) => {
      if (where && isSourcePath(where.path)) sourceUris[where.path] ??= this.uriOf(where.path);
    };
    for (const target of targets) {
      for (const { report } of target.reports()) {
        for (const site of report.sites) for (const where of [site.location, ...site.stack]) addUri(where);
      }
    }
    for (const { suspect } of suspects) for (const where of [suspect.location, ...suspect.paths.flatMap((path) => path.stack)]) addUri(where);
    return {
      targets: targets.map((target) => target.state()),
      suspects,
      autoRefresh: { enabled: this.autoRefresh, intervalSeconds: this.settings.refreshIntervalSeconds },
      sourceUris,
    };
  }

  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.targets.values()].map((target) => target.detach().catch(() => undefined)));
    this.targets.clear();
  }

  private uriOf(sourcePath: string): string {
    let exists = this.onDisk.get(sourcePath);
    if (exists === undefined) this.onDisk.set(sourcePath, (exists = fs.existsSync(sourcePath)));
    return sourceUri(sourcePath, () => exists);
  }

  /** Live processes still connected (saved reports take no snapshots). */
  private connected(): InspectedTarget[] {
    return [...this.targets.values()].filter((target) => target.isConnected && target.isLive);
  }

  /**
   * A non-loopback host must be in `allowedRemoteHosts` and confirmed by the user for this
   * attach: the setting alone could come from a file someone else wrote.
   */
  private remoteHostsFor(params: AttachParams): string[] {
    const spec = parseTargetSpec(params.target);
    const host = 'host' in spec ? spec.host : 'wsUrl' in spec ? new URL(spec.wsUrl).hostname : undefined;
    if (host === undefined || isLoopbackHost(host)) return [];
    const name = normalizeHost(host);
    if (!this.settings.allowedRemoteHosts.some((allowed) => normalizeHost(allowed) === name)) {
      throw new ServerError(
        ErrorCodes.AttachFailed,
        { code: 'REMOTE_HOST_REFUSED', host: name },
        `Refusing to attach to ${name}: an inspector endpoint gives full control of its process (remote code execution), ` +
          `so only loopback hosts are allowed. If you trust ${name} and the network to it, add it to the allowedRemoteHosts setting.`,
      );
    }
    if (!(params.consentedRemoteHosts ?? []).some((consented) => normalizeHost(consented) === name)) {
      throw new ServerError(
        ErrorCodes.AttachFailed,
        { code: 'REMOTE_HOST_NEEDS_CONSENT', host: name },
        `${name} is not a loopback host: confirm attaching to it (it gets full control of that process).`,
      );
    }
    return [name];
  }

  /** (Re)arms the auto-refresh timer: on while enabled and something is connected. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.autoRefresh || this.connected().length === 0) return;
    this.timer = setTimeout(() => void this.refresh(), this.settings.refreshIntervalSeconds * 1000);
  }

  private async refresh(): Promise<void> {
    const targets = this.connected();
    const results = await Promise.allSettled(targets.map((target) => target.snapshot()));
    results.forEach((result, i) => {
      if (result.status === 'rejected' && targets[i].isConnected) {
        this.onBackgroundError(`automatic snapshot of ${targets[i].label} failed: ${(result.reason as Error).message}`);
      }
    });
    this.changed();
    this.schedule();
  }

  private changed(): void {
    this.onChange(this.state());
  }
}
