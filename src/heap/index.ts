/**
 * Heap capture (usage readings, streamed heap snapshots, allocation sampling over CDP) and
 * analysis of `.heapsnapshot` files (DevTools' Summary, Comparison and retainer paths).
 * Engine code: no editor API.
 */
export {
  DEFAULT_SAMPLING_INTERVAL,
  sampleAllocations,
  saveHeapProfile,
  topAllocationSites,
  type AllocationSite,
  type SampleAllocationsOptions,
  type SamplingHeapProfile,
} from './sampling';
export {
  estimatePauseMs,
  estimateSnapshot,
  HeapSnapshotError,
  takeHeapSnapshot,
  type HeapSnapshotResult,
  type SnapshotEstimate,
  type SnapshotProgress,
  type TakeHeapSnapshotOptions,
} from './snapshot';
export { heapUsage, HeapUsageSampler, type HeapUsage, type HeapUsageSamplerOptions } from './usage';
export { diffHeapSnapshots, heapRetainerPath, heapRetainers, runHeapRequest, summarizeHeapSnapshot } from './analyzeFiles';
export { runHeapAnalysisInWorker, type WorkerOptions } from './worker/runInWorker';
export { HeapSnapshotParseError } from './parser/parseError';
export type { ParseOptions } from './parser/parseSnapshot';
