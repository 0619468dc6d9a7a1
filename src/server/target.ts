/**
 * One attached process, as the language server sees it: the engine's session, the latest
 * report of each thread, the live-resource trend, heap readings and the heap files taken.
 * Work on a target runs one step at a time (a snapshot never overlaps a heap snapshot), and a
 * snapshot asked for while one runs shares it.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InspectorSession, type InspectorOptions } from '../engine/inspectorSession';
import { inspect } from '../engine/inspection';
import { buildAllocationFlameGraph, buildAsyncFlameGraph, diffFlameGraphs } from '../flame';
import { sourceMappedAllocationSites } from '../engine/allocationSites';
import { estimateSnapshot, heapUsage, sampleAllocations, saveHeapProfile, takeHeapSnapshot, type SamplingHeapProfile, type SnapshotProgress } from '../heap';
import type { FlameGraphData, FlameMode } from '../protocol/flameGraph';
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import { ErrorCodes, type AllocationSiteInfo, type DeepScanResult, type HeapFile, type HeapSnapshotEstimate, type HeapUsageReading, type TargetState, type TargetStatus, type ThreadState } from '../protocol/lsp';
import { SourceMapResolver } from '../sourcemap';
import { errorMessage } from '../common/errors';
import type { PromiseTracking } from '../engine/agentConfig';
import type { InspectionReport, ReportSampling, Suspect } from '../protocol/report';
import { buildReport, collectWarnings } from '../report';
import { ServerError } from './errors';

/** Live-resource totals kept for the trend. */
const TREND_LENGTH = 10;
const TOP_ALLOCATION_SITES = 20;
/** What the promise census adds to the live snapshot's suspects. */
const DEEP_SCAN_KINDS = new Set<Suspect['kind']>(['stuck-promise', 'orphaned-promise']);

export class Target {
  private status: TargetStatus = 'attached';
  private error: string | undefined;
  private threads: ThreadState[] = [];
  /** The snapshot before the latest, for diffs. */
  private previousReports: AsyncSnapshotReport[] = [];
  private latestProfile: SamplingHeapProfile | undefined;
  private readonly liveTrend: number[] = [];
  private heap: HeapUsageReading | undefined;
  private readonly heapFiles: HeapFile[] = [];
  private lastSnapshotAt: number | undefined;
  private pid: number | undefined;
  private readonly attachedAt = Date.now();
  private queue: Promise<unknown> = Promise.resolve();
  private pendingSnapshot: Promise<void> | undefined;
  /** What the latest deep scan found (stuck promises), shown with every later snapshot until the next scan. */
  private deepScan: { suspects: Suspect[]; heapSnapshots: ReportSampling['heapSnapshots']; notes: string[] } = { suspects: [], heapSnapshots: [], notes: [] };

  private constructor(
    readonly id: string,
    readonly spec: string,
    private readonly session: InspectorSession,
    private readonly heapDirectory: string,
    private readonly pathMapping: Record<string, string>,
    private readonly promiseTracking: PromiseTracking,
  ) {}

  /** A live process (a saved report is not). */
  readonly isLive: boolean = true;

  static async attach(
    id: string,
    spec: string,
    options: InspectorOptions & { heapDirectory: string; promiseTracking: PromiseTracking },
    onDisconnected: (reason: string) => void,
  ): Promise<Target> {
    const session = await InspectorSession.attach(spec, options);
    const target = new Target(id, spec, session, options.heapDirectory, options.pathMapping ?? {}, options.promiseTracking);
    const pid = /^pid:(\d+)$/i.exec(spec.trim());
    if (pid) target.pid = Number(pid[1]);
    session.connection.onDisconnected((reason) => {
      if (target.status === 'disconnected') return;
      target.status = 'disconnected';
      target.error = `connection lost: ${reason}`;
      onDisconnected(reason);
    });
    return target;
  }

  get label(): string {
    return this.session.label;
  }

  get isConnected(): boolean {
    return this.status !== 'disconnected';
  }

  /** Every thread's latest report (main thread first). */
  reports(): Array<{ thread: ThreadState; report: AsyncSnapshotReport }> {
    return this.threads.flatMap((thread) => (thread.report ? [{ thread, report: thread.report }] : []));
  }

  state(): TargetState {
    const state: TargetState = {
      id: this.id,
      target: this.spec,
      label: this.label,
      status: this.status,
      attachedAt: this.attachedAt,
      threads: this.threads,
      liveTrend: [...this.liveTrend],
      heapFiles: [...this.heapFiles],
    };
    if (this.pid !== undefined) state.pid = this.pid;
    if (this.error !== undefined) state.error = this.error;
    if (this.lastSnapshotAt !== undefined) state.lastSnapshotAt = this.lastSnapshotAt;
    if (this.heap !== undefined) state.heapUsage = this.heap;
    const warnings = collectWarnings(this.reports().map(({ report }) => report), []);
    if (warnings.length > 0) state.warnings = warnings;
    return state;
  }

  /** The report document of the latest snapshot of every thread. */
  report(): InspectionReport {
    const threads = this.reports().map(({ report }) => report);
    if (threads.length === 0) throw nothingYet(`no snapshot of ${this.label} yet`);
    const { suspects, heapSnapshots, notes } = this.deepScan;
    return buildReport({
      threads,
      target: { address: this.spec, label: this.label },
      producer: 'language-server',
      suspects,
      sampling: { promiseTracking: this.promiseTracking, heapSnapshots, notes },
    });
  }

  /** Snapshots every thread; a failure is kept in `error` and rethrown. */
  snapshot(): Promise<void> {
    this.pendingSnapshot ??= this.serialized(async () => {
      this.assertConnected();
      this.status = 'snapshotting';
      try {
        await this.record(await this.session.snapshot());
      } catch (error) {
        this.error = `snapshot failed: ${errorMessage(error)}`;
        throw error;
      } finally {
        if (this.status === 'snapshotting') this.status = 'attached';
      }
    }).finally(() => (this.pendingSnapshot = undefined));
    return this.pendingSnapshot;
  }

  /** Keeps a new snapshot of every thread, with the heap reading taken right after it. */
  private async record(reports: AsyncSnapshotReport[]): Promise<void> {
    this.previousReports = this.reports().map(({ report }) => report);
    this.threads = reports.map((report) => ({ threadId: report.target.threadId, label: report.target.label, report }));
    this.pid = reports[0]?.target.pid ?? this.pid;
    this.lastSnapshotAt = Date.now();
    this.liveTrend.push(reports.reduce((sum, report) => sum + report.liveResources, 0));
    this.liveTrend.splice(0, this.liveTrend.length - TREND_LENGTH);
    const { usedSize, totalSize, takenAt } = await heapUsage(this.session.connection);
    this.heap = { usedSize, totalSize, takenAt };
    this.error = undefined;
  }

  /**
   * A snapshot of every thread plus the exact pending-promise census (one heap snapshot: the
   * target pauses, as `estimateHeapSnapshot` said). Its stuck promises join the suspects until
   * the next deep scan, which measures their growth against this one.
   */
  deepScanNow(onNotice: (message: string) => void, signal: AbortSignal): Promise<DeepScanResult> {
    return this.serialized(async () => {
      this.assertConnected();
      const started = Date.now();
      this.status = 'snapshotting';
      try {
        signal.throwIfAborted();
        const previousPromises = new Map(this.deepScan.suspects.map((suspect) => [suspect.key, suspect.count]));
        const { report, promiseCensus } = await inspect(this.session, {
          producer: 'language-server',
          target: { address: this.spec, label: this.label },
          promiseTracking: this.promiseTracking,
          promises: true,
          previousPromises,
          onNotice,
          signal,
        });
        // Cancelled in a step that does not watch the signal (the threads' snapshot): the result is dropped all the same.
        signal.throwIfAborted();
        if (!promiseCensus) throw new Error('the engine returned no promise census');
        await this.record(report.threads);
        const suspects = report.suspects.filter((suspect) => DEEP_SCAN_KINDS.has(suspect.kind));
        this.deepScan = { suspects, heapSnapshots: report.sampling.heapSnapshots, notes: report.sampling.notes.filter((note) => /promise/i.test(note)) };
        return {
          pendingPromises: promiseCensus.analysis.census.total,
          stuckPromises: promiseCensus.analysis.stuckCount,
          suspects,
          snapshotMs: Math.round(promiseCensus.snapshot.durationMs),
          durationMs: Date.now() - started,
          notes: this.deepScan.notes,
        };
      } catch (error) {
        if (!signal.aborted) this.error = `deep scan failed: ${errorMessage(error)}`;
        throw error;
      } finally {
        if (this.status === 'snapshotting') this.status = 'attached';
      }
    });
  }

  sourceContent(sourcePath: string): Promise<string | undefined> {
    return this.session.sourceContent(sourcePath);
  }

  estimateHeapSnapshot(): Promise<HeapSnapshotEstimate> {
    this.assertConnected();
    return estimateSnapshot(this.session.connection);
  }

  /** A heap snapshot of the main thread, streamed into the heap directory. */
  takeHeapSnapshot(onProgress: (progress: SnapshotProgress) => void, signal: AbortSignal): Promise<HeapFile> {
    return this.serialized(async () => {
      this.assertConnected();
      const file = await this.heapFileName('heapsnapshot');
      const result = await takeHeapSnapshot(this.session.connection, file, { onProgress, signal });
      return this.addHeapFile({ kind: 'heapsnapshot', file: result.file, bytes: result.bytes, takenAt: Date.now() });
    });
  }

  /** Samples allocations of the main thread, saves a `.heapprofile` and maps the top sites to source. */
  sampleAllocations(durationMs: number, samplingInterval: number | undefined, signal: AbortSignal): Promise<{ file: HeapFile; topSites: AllocationSiteInfo[] }> {
    return this.serialized(async () => {
      this.assertConnected();
      const profile = await sampleAllocations(this.session.connection, durationMs, { samplingInterval, signal });
      this.latestProfile = profile;
      const file = await this.heapFileName('heapprofile');
      await saveHeapProfile(profile, file);
      const { size } = await fs.stat(file);
      const heapFile = this.addHeapFile({ kind: 'heapprofile', file, bytes: size, takenAt: Date.now() });
      const topSites = await sourceMappedAllocationSites(profile, TOP_ALLOCATION_SITES, this.pathMapping);
      return { file: heapFile, topSites };
    });
  }

  async flameGraph(mode: FlameMode): Promise<FlameGraphData> {
    const latest = this.reports().map(({ report }) => report);
    if (mode === 'allocations') {
      if (!this.latestProfile) throw nothingYet(`no allocation sampling of ${this.label} yet: run "Sample Allocations" first`);
      const resolver = new SourceMapResolver({ pathMapping: this.pathMapping });
      try {
        return await buildAllocationFlameGraph(this.latestProfile, (frame) => resolver.resolve(frame), `Live allocations of ${this.label} (sampled)`);
      } finally {
        resolver.dispose();
      }
    }
    if (latest.length === 0) throw nothingYet(`no snapshot of ${this.label} yet`);
    if (mode === 'async') return buildAsyncFlameGraph(latest);
    if (this.previousReports.length === 0) throw nothingYet(`a diff needs two snapshots of ${this.label}: take another one`);
    return diffFlameGraphs(buildAsyncFlameGraph(this.previousReports), buildAsyncFlameGraph(latest));
  }

  /** Removes the agent everywhere and closes the connection. */
  async detach(): Promise<void> {
    this.status = 'disconnected';
    // Work still running fails fast once the connection closes.
    await this.session.detach();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertConnected(): void {
    if (this.status !== 'disconnected') return;
    throw new ServerError(ErrorCodes.OperationFailed, { code: 'DISCONNECTED' }, `${this.label} is disconnected${this.error ? ` (${this.error})` : ''}`);
  }

  private async heapFileName(kind: HeapFile['kind']): Promise<string> {
    await fs.mkdir(this.heapDirectory, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return path.join(this.heapDirectory, `${this.pid ?? this.id}-${stamp}.${kind}`);
  }

  private addHeapFile(file: HeapFile): HeapFile {
    this.heapFiles.push(file);
    return file;
  }
}

export function nothingYet(message: string): ServerError {
  return new ServerError(ErrorCodes.OperationFailed, { code: 'NO_DATA' }, message);
}
