/**
 * Heap leaks that hold no async resource (a finished battle kept in a module-level Map): a heap
 * snapshot before and after a scenario, DevTools' Comparison between them, and for each class of
 * the program's own code that grew, its constructor's source line, the path that holds its
 * objects and a leak score. Snapshots pause the target (see `estimateSnapshot`); the analysis
 * runs in a worker thread. With `allocationStacks`, V8 tracks allocations between the two
 * snapshots, so a grown holder's new entries are traced to the function that allocated them;
 * it slows the target a lot while the scenario runs, hence opt-in (`check --alloc-stacks`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { scoreHeapGrowth } from '../analysis';
import { HeapSnapshotError, runHeapAnalysisInWorker, takeHeapSnapshot, type SnapshotProgress } from '../heap';
import { resumeCompaction, startAllocationTracking, stopAllocationTracking } from '../heap/snapshot';
import type { HeapConstructorDiff, HeapGrowthReport, HeapGrowthSite, RetainerPath } from '../protocol/heap';
import { isUserFrame } from '../sourcemap';
import { holderGrowthSuspects } from './holderGrowth';
import type { InspectorSession } from './inspectorSession';

/**
 * Suspended async functions (V8 names their state `Generator`, located at the function) are
 * what pending promises hold: the async snapshot already reports them at their creation site.
 */
const ASYNC_MACHINERY = new Set(['Generator', 'AsyncGenerator']);

export interface HeapGrowthOptions {
  /** Where the two snapshots go; a fresh temporary folder (removed by `dispose`) by default. */
  dir?: string;
  /** Classes with fewer kept objects are not reported (default 1). */
  minGrowth?: number;
  /** Retainer paths are looked up for this many classes, the most grown first (default 5). */
  maxSites?: number;
  /** Also report growth by holder (containers, listeners, promise reactions) as `suspects` (default true). */
  holders?: boolean;
  /**
   * Track allocations from the "before" snapshot to the "after" one (V8's allocation stacks), so
   * holder suspects say which function allocated their new entries. Slows the target a lot
   * meanwhile (see `startAllocationTracking`); default false.
   */
  allocationStacks?: boolean;
  onProgress?: (phase: 'before' | 'after', progress: SnapshotProgress) => void;
  signal?: AbortSignal;
}

export class HeapGrowthProbe {
  /** Each snapshot's measured duration (the target's pause and the transfer), in the order taken. */
  readonly pauses: Array<{ phase: 'before' | 'after'; pauseMs: number }> = [];
  /** Allocation tracking is on in the target: it must be stopped whatever happens. */
  private tracking = false;
  /** GC compaction is suspended in the target while tracking (see `startAllocationTracking`): resumed after the last snapshot. */
  private compactionToken: string | undefined;

  private constructor(
    private readonly session: InspectorSession,
    private readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly options: HeapGrowthOptions,
  ) {}

  /** Takes the "before" snapshot of the main thread. */
  static async start(session: InspectorSession, options: HeapGrowthOptions = {}): Promise<HeapGrowthProbe> {
    const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'leak-inspector-heap-')));
    const probe = new HeapGrowthProbe(session, dir, options.dir === undefined, options);
    try {
      await probe.capture('before');
      if (options.allocationStacks) {
        // Set first: a start that fails half-way may still have left tracking on.
        probe.tracking = true;
        ({ compactionToken: probe.compactionToken } = await startAllocationTracking(session.threadSessions[0].session));
      }
    } catch (error) {
      await probe.dispose();
      throw error;
    }
    return probe;
  }

  get beforeFile(): string {
    return path.join(this.dir, 'before.heapsnapshot');
  }

  get afterFile(): string {
    return path.join(this.dir, 'after.heapsnapshot');
  }

  /** Takes the "after" snapshot and reports the program's classes that grew, highest score first. */
  async finish(): Promise<HeapGrowthReport> {
    try {
      await this.capture('after');
    } finally {
      if (!this.tracking) await this.resumeCompaction();
    }
    const { signal } = this.options;
    const diff = await runHeapAnalysisInWorker({ kind: 'diff', before: this.beforeFile, after: this.afterFile }, { signal });
    const minGrowth = this.options.minGrowth ?? 1;
    // The agent's objects, and the program's objects only the agent keeps (a sampled callback's
    // closure), are one class `(leak inspector)` in the Comparison, with no location: never a site.
    const grown = await this.ownClasses(diff.constructors.filter((c) => c.deltaCount >= minGrowth && c.location && !ASYNC_MACHINERY.has(c.name)));
    const grownClasses = new Set(grown.map(({ entry }) => entry.name));
    const sites: HeapGrowthSite[] = [];
    for (const [index, { entry, location }] of grown.entries()) {
      const retainerPath = index < (this.options.maxSites ?? 5) ? await this.retainerPathOf(entry.name) : null;
      const { score, severity, factors } = scoreHeapGrowth(entry, retainerPath, grownClasses);
      const { name, newCount, deletedCount, deltaCount, sizeDelta } = entry;
      sites.push({ className: name, newCount, deletedCount, deltaCount, sizeDelta, location, retainerPath, score, severity, factors });
    }
    sites.sort((a, b) => b.score - a.score || b.deltaCount - a.deltaCount);
    const report: HeapGrowthReport = { before: this.beforeFile, after: this.afterFile, heapGrowthBytes: diff.after.totalSize - diff.before.totalSize, sites };
    if (this.options.holders !== false) {
      const growth = await runHeapAnalysisInWorker({ kind: 'holders', before: this.beforeFile, after: this.afterFile }, { signal });
      report.suspects = await holderGrowthSuspects(growth, this.session);
    }
    return report;
  }

  /**
   * Stops allocation tracking and resumes GC compaction if `finish` did not (it failed or never
   * ran), and removes the snapshots when they went to a temporary folder of ours.
   */
  async dispose(): Promise<void> {
    try {
      await this.stopTracking();
    } finally {
      try {
        await this.resumeCompaction();
      } finally {
        if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
      }
    }
  }

  private async resumeCompaction(): Promise<void> {
    const token = this.compactionToken;
    if (!token) return;
    this.compactionToken = undefined;
    const [main] = this.session.threadSessions;
    // A session that closed meanwhile released the token: the target resumes compaction at its next GC.
    await resumeCompaction(main.session, token).catch((error: unknown) => {
      if (!main.session.isClosed) throw error;
    });
  }

  private async stopTracking(): Promise<void> {
    if (!this.tracking) return;
    this.tracking = false;
    const [main] = this.session.threadSessions;
    // A session that closed meanwhile took tracking with it (V8 disables a closing session's heap profiler).
    await stopAllocationTracking(main.session).catch((error: unknown) => {
      if (!main.session.isClosed) throw error;
    });
  }

  private async capture(phase: 'before' | 'after'): Promise<void> {
    const [main] = this.session.threadSessions;
    const { onProgress, signal } = this.options;
    // The "after" snapshot of a tracked scenario is the one V8 takes as it stops tracking.
    const stopsAllocationTracking = phase === 'after' && this.tracking;
    try {
      const { durationMs } = await takeHeapSnapshot(main.session, phase === 'before' ? this.beforeFile : this.afterFile, {
        signal,
        onProgress: onProgress && ((progress) => onProgress(phase, progress)),
        stopsAllocationTracking,
      });
      this.pauses.push({ phase, pauseMs: Math.round(durationMs) });
      if (stopsAllocationTracking) this.tracking = false;
    } catch (error) {
      // Any failure but an abort comes after V8 got the command (it stops tracking even when the
      // snapshot fails) or with the session gone (which stops it too). An abort may come before
      // the command was sent: `dispose` then stops tracking, at the price of one more pause.
      if (stopsAllocationTracking && !(error instanceof HeapSnapshotError && error.reason === 'aborted')) this.tracking = false;
      throw error;
    }
  }

  /** Grown classes whose constructor is in the program's own sources, most grown first. */
  private async ownClasses(entries: HeapConstructorDiff[]): Promise<Array<{ entry: HeapConstructorDiff; location: HeapGrowthSite['location'] }>> {
    const resolved = await this.session.resolveScriptPositions(
      entries.map(({ location }) => ({ scriptId: String(location!.scriptId), lineNumber: location!.line, columnNumber: location!.column })),
    );
    return entries
      .map((entry, i) => ({ entry, resolved: resolved[i] }))
      .filter(({ resolved }) => resolved !== undefined && isUserFrame(resolved))
      .sort((a, b) => b.entry.deltaCount - a.entry.deltaCount)
      .map(({ entry, resolved }) => ({ entry, location: { path: resolved!.path, line: resolved!.line, column: resolved!.column } }));
  }

  private async retainerPathOf(className: string): Promise<RetainerPath | null> {
    const retainers = await runHeapAnalysisInWorker({ kind: 'retainers', file: this.afterFile, className, limit: 1 }, { signal: this.options.signal });
    return retainers.paths[0] ?? null;
  }
}
