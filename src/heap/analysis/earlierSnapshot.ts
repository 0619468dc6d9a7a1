/**
 * What growth is measured against: the first of two snapshots of one process, reduced to every
 * object's heap id (ids are stable across snapshots of a process, so an entry whose id is not
 * here is new), each container's entry count, each pending promise's reaction count, and each
 * emitter's listener count per event and function. The snapshot itself can then be dropped
 * before the second one is read.
 */
import type { RawHeapSnapshot } from '../parser/parseSnapshot';
import { ContainerReader, functionKey } from './containerEntries';
import { HeapGraph } from './heapGraph';

/** Counts share a float with the id: id × 2^21 + count stays exact in a double (32 + 21 bits). */
const COUNT_BITS = 2 ** 21;

export class EarlierSnapshot {
  private constructor(
    /** id × 2^21 + count, ascending. */
    private readonly packed: Float64Array,
    private readonly listeners: Map<string, number>,
  ) {}

  static of(raw: RawHeapSnapshot): EarlierSnapshot {
    const graph = new HeapGraph(raw);
    const reader = new ContainerReader(graph, raw.nodeSelfSizes);
    const packed = new Float64Array(graph.nodeCount);
    for (let node = 0; node < graph.nodeCount; node++) {
      const kind = reader.containerKind(node);
      const count = kind ? reader.count(node, kind) : reader.reactions(node);
      packed[node] = raw.nodeIds[node] * COUNT_BITS + Math.min(count, COUNT_BITS - 1);
    }
    packed.sort();
    const listeners = new Map<string, number>();
    reader.forEachListener(({ emitter, event, fn }) => {
      const key = listenerKey(raw.nodeIds[emitter], event, functionKey(graph, fn));
      listeners.set(key, (listeners.get(key) ?? 0) + 1);
    });
    return new EarlierSnapshot(packed, listeners);
  }

  /** Whether an object with heap id `id` was alive in this snapshot. */
  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  /** Entries (or reactions) the object with heap id `id` had; undefined if it was not alive. */
  count(id: number): number | undefined {
    const at = this.find(id);
    return at < 0 ? undefined : this.packed[at] % COUNT_BITS;
  }

  listenerCount(emitterId: number, event: string, fnKey: string): number {
    return this.listeners.get(listenerKey(emitterId, event, fnKey)) ?? 0;
  }

  private find(id: number): number {
    const packed = this.packed;
    let low = 0;
    let high = packed.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const midId = Math.floor(packed[mid] / COUNT_BITS);
      if (midId === id) return mid;
      if (midId < id) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }
}

function listenerKey(emitterId: number, event: string, fnKey: string): string {
  return `${emitterId}\u0000${event}\u0000${fnKey}`;
}
