/**
 * Heap capture: usage readings, streamed heap snapshots and allocation sampling over CDP.
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
