/** The heap analyser on snapshot files, in this thread (the command line, benchmarks, the worker). */
import type { HeapAnalysisRequest, HeapAnalysisResult, HeapDiff, HeapRetainers, HeapSummary, RetainerPath } from '../protocol/heap';
import { analyzeHeap, summarizeHeap } from './analysis/analyzeHeapGraph';
import { classMembers, diffClassMembers } from './analysis/diff';
import { RetainerIndex } from './analysis/retainers';
import { parseHeapSnapshotFile, type ParseOptions } from './parser/parseSnapshot';
import { heapPendingPromises } from './analyzePromiseFile';
import { EarlierSnapshot } from './analysis/earlierSnapshot';
import { analyzeHolderGrowth, type HolderGrowthOptions } from './analysis/holderGrowth';
import type { HolderGrowth } from '../protocol/heap';

/** DevTools' Summary of a snapshot file: classes by retained size. */
export function summarizeHeapSnapshot(file: string, options: ParseOptions = {}): HeapSummary {
  return summarizeHeap(parseHeapSnapshotFile(file, options));
}

/**
 * DevTools' Comparison of two snapshots of one process. One snapshot is in memory at a time:
 * the second is read first, as its interface names classify the first.
 */
export function diffHeapSnapshots(before: string, after: string, options: ParseOptions = {}): HeapDiff {
  const later = classMembers(parseHeapSnapshotFile(after, options));
  const earlier = classMembers(parseHeapSnapshotFile(before, options), later.interfaces);
  return diffClassMembers(earlier, later);
}

/** Retainer paths of the `limit` objects of `className` that retain the most. */
export function heapRetainers(file: string, className: string, limit = 5, options: ParseOptions = {}): HeapRetainers {
  return new RetainerIndex(analyzeHeap(parseHeapSnapshotFile(file, options))).retainersOf(className, limit);
}

/** The retainer path of the object with heap object id `id`. */
export function heapRetainerPath(file: string, id: number, options: ParseOptions = {}): RetainerPath {
  return new RetainerIndex(analyzeHeap(parseHeapSnapshotFile(file, options))).pathToId(id);
}

/**
 * Growth by holder between two snapshots of one process: containers, listeners and promise
 * reactions that grew. The first snapshot is reduced to ids and counts before the second is read.
 */
export function heapHolderGrowth(before: string, after: string, options: HolderGrowthOptions & ParseOptions = {}): HolderGrowth {
  const earlier = EarlierSnapshot.of(parseHeapSnapshotFile(before, options));
  return analyzeHolderGrowth(earlier, parseHeapSnapshotFile(after, options), options);
}

export function runHeapRequest<R extends HeapAnalysisRequest>(request: R): HeapAnalysisResult<R> {
  switch (request.kind) {
    case 'summary':
      return summarizeHeapSnapshot(request.file) as HeapAnalysisResult<R>;
    case 'diff':
      return diffHeapSnapshots(request.before, request.after) as HeapAnalysisResult<R>;
    case 'retainers':
      return heapRetainers(request.file, request.className, request.limit) as HeapAnalysisResult<R>;
    case 'path':
      return heapRetainerPath(request.file, request.id) as HeapAnalysisResult<R>;
    case 'promises':
      return heapPendingPromises(request.file, request.probe) as HeapAnalysisResult<R>;
    case 'holders':
      return heapHolderGrowth(request.before, request.after, { minAdded: request.minAdded }) as HeapAnalysisResult<R>;
  }
  throw new Error(`unknown heap analysis request ${(request as { kind: string }).kind}`);
}
