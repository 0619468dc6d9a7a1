/** The pending-promise census and stuck-promise analysis of a snapshot file (the `promises` request). */
import type { PendingPromiseProbe, PromiseHeapAnalysis } from '../protocol/heap';
import { analyzeHeap } from './analysis/analyzeHeapGraph';
import { analyzePendingPromises, applyPendingProbe } from './analysis/pendingPromises';
import { parseHeapSnapshotFile, type ParseOptions } from './parser/parseSnapshot';

/**
 * `probe`: the target named its pending promises before the snapshot (see `PendingPromiseProbe`);
 * without one, only promises with reactions are known to be pending.
 */
export function heapPendingPromises(file: string, probe?: PendingPromiseProbe, options: ParseOptions = {}): PromiseHeapAnalysis {
  const started = performance.now();
  const raw = parseHeapSnapshotFile(file, options);
  const parsed = performance.now();
  const probed = probe ? applyPendingProbe(raw, probe.className, probe.settledIndexes) : undefined;
  if (probe && !probed?.found) throw new Error(`the snapshot ${file} has no ${probe.className} object: it was not taken right after the probe`);
  const result = analyzePendingPromises(analyzeHeap(raw), probed?.pending ?? null);
  return { ...result, timings: { parseMs: Math.round(parsed - started), analysisMs: Math.round(performance.now() - parsed) } };
}
