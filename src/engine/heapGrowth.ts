/**
 * Heap leaks that hold no async resource (a finished battle kept in a module-level Map): a heap
 * snapshot before and after a scenario, DevTools' Comparison between them, and for each class of
 * the program's own code that grew, its constructor's source line, the path that holds its
 * objects and a leak score. Snapshots pause the target (see `estimateSnapshot`); the analysis
 * runs in a worker thread.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { scoreHeapGrowth } from '../analysis';
import { runHeapAnalysisInWorker, takeHeapSnapshot, type SnapshotProgress } from '../heap';
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
  onProgress?: (phase: 'before' | 'after', progress: SnapshotProgress) => void;
  signal?: AbortSignal;
}

export class HeapGrowthProbe {
  /** Each snapshot's measured duration (the target's pause and the transfer), in the order taken. */
  readonly pauses: Array<{ phase: 'before' | 'after'; pauseMs: number }> = [];

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
    await this.capture('after');
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

  /** Removes the snapshots when they went to a temporary folder of ours. */
  async dispose(): Promise<void> {
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  private async capture(phase: 'before' | 'after'): Promise<void> {
    const [main] = this.session.threadSessions;
    const { onProgress, signal } = this.options;
    const { durationMs } = await takeHeapSnapshot(main.session, phase === 'before' ? this.beforeFile : this.afterFile, {
      signal,
      onProgress: onProgress && ((progress) => onProgress(phase, progress)),
    });
    this.pauses.push({ phase, pauseMs: Math.round(durationMs) });
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
