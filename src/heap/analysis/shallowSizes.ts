/**
 * DevTools' calculateShallowSizes: arrays, hidden (system) nodes and external string data owned
 * by exactly one object are counted in that object's own size instead of their own, so that a
 * Map's hash table or an object's property array show up where the user looks for them.
 * Skipped when the snapshot has no user roots (taken with internals exposed).
 */
import type { HeapGraph } from './heapGraph';

const UNVISITED = 0xffffffff;
const MANY_OWNERS = 0xfffffffe;

export function moveOwnedSizes(graph: HeapGraph): void {
  if (!graph.hasUserRoots()) return;
  const { nodeTypes, nodeNames, nodeSelfSizes, firstEdges, edgeTypes, edgeTargets } = graph.raw;
  const n = graph.nodeCount;
  const { hidden, array, native, synthetic } = graph.type;
  const weak = graph.edge.weak;
  const externalStringData = graph.indexesOf('system / ExternalStringData');
  const owners = new Uint32Array(n);
  let ownedCount = 0;
  for (let i = 0; i < n; i++) {
    const type = nodeTypes[i];
    const owned = type === hidden || type === array || (type === native && externalStringData.has(nodeNames[i]));
    owners[i] = owned ? UNVISITED : i;
    if (owned) ownedCount++;
  }
  // Each owned node enters the work list at most twice: when it gets an owner, and when it
  // turns out to have several.
  let work = new Uint32Array(Math.max(16, ownedCount));
  let size = 0;
  const pass = (from: number) => {
    const owner = owners[from];
    for (let e = firstEdges[from]; e < firstEdges[from + 1]; e++) {
      if (edgeTypes[e] === weak) continue;
      const target = edgeTargets[e];
      const current = owners[target];
      if (current === target || current === owner || current === MANY_OWNERS) continue;
      owners[target] = current === UNVISITED ? owner : MANY_OWNERS;
      if (size === work.length) {
        const bigger = new Uint32Array(work.length * 2);
        bigger.set(work);
        work = bigger;
      }
      work[size++] = target;
    }
  };
  for (let i = 0; i < n; i++) if (owners[i] === i) pass(i);
  while (size > 0) pass(work[--size]);

  for (let i = 0; i < n; i++) {
    const owner = owners[i];
    if (owner === UNVISITED || owner === MANY_OWNERS || owner === i) continue;
    // Adding to synthetic nodes or the root would not help anyone.
    if (nodeTypes[owner] === synthetic || owner === graph.root) continue;
    nodeSelfSizes[owner] += nodeSelfSizes[i];
    nodeSelfSizes[i] = 0;
  }
}
