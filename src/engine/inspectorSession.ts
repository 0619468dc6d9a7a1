/**
 * One inspected process: the CDP connection, the agent in its main thread and in each worker,
 * the source maps and the history that growth is measured against. This is what the CLI and
 * the language server drive: attach, snapshot (as often as wanted), detach.
 */
import { attach, CdpError, NodeWorkers, type AttachOptions, type CdpConnection, type CdpSession } from '../cdp';
import { analyzeSnapshot, SiteHistory, type ResolvedAgentSnapshot, type ResolvedSite } from '../analysis';
import type { AgentConfig } from '../protocol/agentSnapshot';
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import { SourceMapResolver, type GeneratedFrame, type ResolvedLocation } from '../sourcemap';
import { AgentInjector, DEFAULT_AGENT_CONFIG } from './agentInjector';
import { ListenerCensus, type ListenerCensusOptions, type ListenerScanResult } from './listenerCensus';
import { scanClosures } from './closureEvidence';
import { ScriptUrls } from './scriptUrls';

export interface InspectorOptions extends AttachOptions {
  agent?: Partial<AgentConfig>;
  /** Remote path prefix → local folder, for source maps of a server built elsewhere. */
  pathMapping?: Record<string, string>;
  /** Inspect worker threads too (default true). */
  workers?: boolean;
  /** The listener census's scan for emitters from before the attach (once per attach by default) and its announcement. */
  listeners?: ListenerCensusOptions;
}

/** A position in a loaded script, as V8 reports it (0-based line and column). */
export interface ScriptPosition {
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
}

/** The agent in one thread, with what it needs to turn raw snapshots into reports. */
class ThreadInspector {
  readonly agent: AgentInjector;
  readonly history = new SiteHistory();
  private readonly scripts: ScriptUrls;
  readonly listeners: ListenerCensus;

  constructor(
    readonly session: CdpSession,
    private readonly resolver: SourceMapResolver,
    listenerOptions?: ListenerCensusOptions,
  ) {
    this.agent = new AgentInjector(session);
    this.scripts = new ScriptUrls(session);
    this.listeners = new ListenerCensus(session, this.agent, resolver, (indexes) => this.callbackFrames(indexes), listenerOptions);
  }

  async snapshot(): Promise<AsyncSnapshotReport> {
    await this.listeners.beforeSnapshot();
    const raw = await this.agent.snapshot();
    const callbackIndexes = raw.sites.flatMap((site) => (site.callbackIndex === undefined ? [] : [site.callbackIndex]));
    const callbackFrames = await this.callbackFrames(callbackIndexes);
    // Ownerless timers (created before the attach): what their closures hold is owner evidence.
    const closures = await scanClosures(this.session, this.agent.callbacksExpression, raw.sites);
    const sites: ResolvedSite[] = await Promise.all(
      raw.sites.map(async (site) => {
        const resolvedStack = await this.resolver.resolveStack(site.frames.map(toGeneratedFrame));
        const callbackFrame = site.callbackIndex === undefined ? undefined : callbackFrames.get(site.callbackIndex);
        const callbackLocation: ResolvedLocation | undefined = callbackFrame ? await this.resolver.resolve(callbackFrame) : undefined;
        return { ...site, resolvedStack, callbackLocation, closures: closures.bySite.get(site.id) };
      }),
    );
    const closureScan = { sites: closures.sites, functions: closures.functions, ms: closures.ms };
    const resolved: ResolvedAgentSnapshot = { ...raw, sites, closureScan };
    const report = analyzeSnapshot(resolved, { history: this.history, label: this.session.label });
    if (raw.listeners) report.listenerSuspects = await this.listeners.suspects(raw);
    return report;
  }

  /** V8 script positions (0-based) → original source locations, in order; undefined for unknown scripts. */
  async resolveScriptPositions(positions: ScriptPosition[]): Promise<Array<ResolvedLocation | undefined>> {
    const urls = await this.scripts.lookup(positions.map((position) => position.scriptId));
    return Promise.all(
      positions.map(({ scriptId, lineNumber, columnNumber }) => {
        const url = urls.get(scriptId);
        return url ? this.resolver.resolve({ url, lineNumber, columnNumber }) : undefined;
      }),
    );
  }

  /** A loaded script's text (0-based V8 positions index into it), or undefined. */
  scriptSource(scriptId: string): Promise<string | undefined> {
    return this.scripts.source(scriptId);
  }

  private async callbackFrames(indexes: number[]): Promise<Map<number, GeneratedFrame>> {
    const frames = new Map<number, GeneratedFrame>();
    if (indexes.length === 0) return frames;
    const locations = await this.agent.callbackLocations(indexes);
    const urls = await this.scripts.lookup([...locations.values()].map((location) => location.scriptId));
    for (const [index, location] of locations) {
      const url = urls.get(location.scriptId);
      if (url) frames.set(index, { url, lineNumber: location.lineNumber, columnNumber: location.columnNumber });
    }
    return frames;
  }
}

export class InspectorSession {
  private readonly threads: ThreadInspector[] = [];
  private workers: NodeWorkers | undefined;
  private detached = false;

  private constructor(
    readonly connection: CdpConnection,
    private readonly config: AgentConfig,
    private readonly resolver: SourceMapResolver,
    private readonly listenerOptions?: ListenerCensusOptions,
  ) {}

  /** Attaches to `target` (host:port, ws:// URL or pid:N) and installs the agent everywhere. */
  static async attach(target: string, options: InspectorOptions = {}): Promise<InspectorSession> {
    const connection = await attach(target, options);
    const config = { ...DEFAULT_AGENT_CONFIG, ...options.agent };
    const session = new InspectorSession(connection, config, new SourceMapResolver({ pathMapping: options.pathMapping }), options.listeners);
    try {
      await session.addThread(connection);
      if (options.workers !== false) {
        // Worker sessions get the same request timeout and warning sink as the main thread.
        session.workers = await NodeWorkers.enable(connection, { requestTimeoutMs: options.requestTimeoutMs, onWarning: options.onWarning });
        for (const worker of session.workers.list()) await session.addThread(worker);
      }
    } catch (error) {
      await session.detach().catch(() => undefined);
      throw error;
    }
    return session;
  }

  get label(): string {
    return this.connection.label;
  }

  /** Each thread's CDP session and agent, main thread first (heap captures, the timeline). */
  get threadSessions(): ReadonlyArray<{ readonly session: CdpSession; readonly agent: AgentInjector }> {
    return this.threads;
  }

  /** The text a loaded source map embeds for `path` (sources not on disk, e.g. an installed sample). */
  sourceContent(path: string): Promise<string | undefined> {
    return this.resolver.getSourceContent(path);
  }

  /** Script positions in the main thread (e.g. constructors named by a heap snapshot) → original sources. */
  resolveScriptPositions(positions: ScriptPosition[]): Promise<Array<ResolvedLocation | undefined>> {
    return this.threads[0].resolveScriptPositions(positions);
  }

  /** A script's text in the main thread, as V8 runs it (e.g. to find a variable's declaration in a bundle). */
  scriptSource(scriptId: string): Promise<string | undefined> {
    return this.threads[0].scriptSource(scriptId);
  }

  /**
   * On request: scans every thread's heap again for emitters with listeners the agent does not
   * know (a heap walk that pauses each thread; see `ListenerCensus.scan`).
   */
  async scanListeners(): Promise<ListenerScanResult[]> {
    const results: ListenerScanResult[] = [];
    for (const thread of this.threads) if (!thread.session.isClosed) results.push(await thread.listeners.scan());
    return results;
  }

  /** One report per thread: the main thread first, then each worker. */
  async snapshot(): Promise<AsyncSnapshotReport[]> {
    if (this.detached) throw new Error(`already detached from ${this.label}`);
    await this.adoptNewWorkers();
    const reports: AsyncSnapshotReport[] = [];
    for (const thread of this.threads) {
      if (thread.session.isClosed && thread.session !== this.connection) continue;
      reports.push(await thread.snapshot());
    }
    return reports;
  }

  /**
   * Removes the agent from every thread and closes the connection; safe to call twice. A thread
   * whose connection is gone (the target exited, or the socket dropped while closing) is not a
   * problem: its process is gone, or it drops our lease when the session ends and the agent
   * removes itself once no session holds it.
   */
  async detach(): Promise<void> {
    if (this.detached) return;
    this.detached = true;
    const problems: string[] = [];
    const report = (where: string) => (error: Error) => {
      if (!(error instanceof CdpError && error.code === 'DISCONNECTED')) problems.push(`${where}: ${error.message}`);
    };
    for (const thread of this.threads.reverse()) {
      if (thread.session.isClosed) continue;
      await thread.agent.uninstall().catch(report(thread.session.label));
    }
    await this.workers?.dispose().catch(report('workers'));
    this.resolver.dispose();
    await this.connection.close();
    if (problems.length) throw new Error(`detached, but the agent could not be removed from ${problems.join('; ')}`);
  }

  private async addThread(session: CdpSession): Promise<void> {
    const thread = new ThreadInspector(session, this.resolver, this.listenerOptions);
    await thread.agent.install(this.config);
    this.threads.push(thread);
  }

  private async adoptNewWorkers(): Promise<void> {
    if (!this.workers) return;
    for (const worker of this.workers.list()) {
      if (!this.threads.some((thread) => thread.session === worker)) await this.addThread(worker);
    }
  }
}

/** Agent frames are 1-based (V8 stack convention); the resolver takes CDP's 0-based ones. */
function toGeneratedFrame(frame: { url: string; line: number; column: number; functionName: string }): GeneratedFrame {
  return { url: frame.url, lineNumber: frame.line - 1, columnNumber: frame.column - 1, functionName: frame.functionName };
}
