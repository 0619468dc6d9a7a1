/**
 * A saved report opened as a read-only target: the views, diagnostics, hovers and gutter show
 * it as they show an attached process, with no process behind it. Anything that needs the
 * process (snapshots, heap work) fails with a message saying so.
 */
import { buildAsyncFlameGraph } from '../flame';
import type { FlameGraphData, FlameMode } from '../protocol/flameGraph';
import { ErrorCodes, type AllocationSiteInfo, type DeepScanResult, type HeapFile, type HeapSnapshotEstimate, type TargetState } from '../protocol/lsp';
import type { InspectionReport } from '../protocol/report';
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import { ServerError } from './errors';
import type { Target } from './target';

/** What the target manager needs of a target, live or saved. */
export type InspectedTarget = Pick<
  Target,
  'id' | 'spec' | 'label' | 'isConnected' | 'isLive' | 'reports' | 'state' | 'report' | 'snapshot' | 'deepScanNow' | 'sourceContent' | 'estimateHeapSnapshot' | 'takeHeapSnapshot' | 'sampleAllocations' | 'flameGraph' | 'detach'
>;

export class SavedReport implements InspectedTarget {
  readonly isLive: boolean = false;
  readonly isConnected = true;
  private readonly openedAt = Date.now();

  constructor(
    readonly id: string,
    private readonly saved: InspectionReport,
    private readonly file: string | undefined,
  ) {}

  get spec(): string {
    return this.saved.target.address;
  }

  get label(): string {
    return `${this.saved.target.label} (saved report)`;
  }

  reports(): Array<{ thread: TargetState['threads'][number]; report: AsyncSnapshotReport }> {
    return this.saved.threads.map((report) => ({ thread: { threadId: report.target.threadId, label: report.target.label, report }, report }));
  }

  state(): TargetState {
    const state: TargetState = {
      id: this.id,
      target: this.spec,
      label: this.label,
      status: 'report',
      attachedAt: this.openedAt,
      lastSnapshotAt: Math.max(...this.saved.threads.map((report) => report.takenAt)),
      threads: this.reports().map(({ thread }) => thread),
      liveTrend: [this.saved.threads.reduce((sum, report) => sum + report.liveResources, 0)],
      heapFiles: [],
      savedReport: { producer: this.saved.producer, createdAt: this.saved.createdAt, ...(this.file !== undefined && { file: this.file }) },
    };
    if (this.saved.target.pid !== null) state.pid = this.saved.target.pid;
    if (this.saved.warnings.length > 0) state.warnings = this.saved.warnings;
    return state;
  }

  /** The report as it was saved: exporting it again gives the same document. */
  report(): InspectionReport {
    return this.saved;
  }

  async flameGraph(mode: FlameMode): Promise<FlameGraphData> {
    if (mode !== 'async') throw this.needsProcess(`a ${mode} flame graph`);
    return buildAsyncFlameGraph(this.saved.threads);
  }

  async sourceContent(): Promise<string | undefined> {
    return undefined;
  }

  snapshot(): Promise<void> {
    return Promise.reject(this.needsProcess('a snapshot'));
  }

  deepScanNow(): Promise<DeepScanResult> {
    return Promise.reject(this.needsProcess('a deep scan'));
  }

  estimateHeapSnapshot(): Promise<HeapSnapshotEstimate> {
    return Promise.reject(this.needsProcess('a heap snapshot'));
  }

  takeHeapSnapshot(): Promise<HeapFile> {
    return Promise.reject(this.needsProcess('a heap snapshot'));
  }

  sampleAllocations(): Promise<{ file: HeapFile; topSites: AllocationSiteInfo[] }> {
    return Promise.reject(this.needsProcess('allocation sampling'));
  }

  /** Closing a saved report touches no process. */
  async detach(): Promise<void> {}

  private needsProcess(what: string): ServerError {
    return new ServerError(ErrorCodes.OperationFailed, { code: 'SAVED_REPORT' }, `${this.label} is a saved report: ${what} needs a running process (attach to one)`);
  }
}
