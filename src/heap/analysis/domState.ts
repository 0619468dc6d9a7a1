/**
 * DevTools' propagateDOMState: attachedness of embedder (DOM) nodes spreads to the native nodes
 * they reach, and detached ones are renamed `Detached <name>`. Node.js snapshots rarely have
 * such nodes, but a browser snapshot does, and class names must match DevTools'.
 */
import type { HeapGraph } from './heapGraph';

const ATTACHED = 1;
const DETACHED = 2;

export function propagateDomState(graph: HeapGraph): void {
  const { nodeDetachedness: state, nodeTypes, nodeNames, firstEdges, edgeTypes, edgeTargets } = graph.raw;
  if (!state) return;
  const native = graph.type.native;
  const skipped = new Set([graph.edge.hidden, graph.edge.weak]);
  const visited = new Uint8Array(graph.nodeCount);
  const attached: number[] = [];
  const detached: number[] = [];
  const renamed = new Map<number, number>();

  const visit = (ordinal: number, newState: number) => {
    if (visited[ordinal]) return;
    visited[ordinal] = 1;
    // Embedder entry points know their own state; it does not spread through JavaScript.
    if (nodeTypes[ordinal] !== native) return;
    state[ordinal] = newState;
    if (newState === ATTACHED) attached.push(ordinal);
    else if (newState === DETACHED) {
      const old = nodeNames[ordinal];
      let name = renamed.get(old);
      if (name === undefined) renamed.set(old, (name = graph.addString(`Detached ${graph.string(old)}`)));
      nodeNames[ordinal] = name;
      detached.push(ordinal);
    }
  };
  const spread = (ordinal: number, newState: number) => {
    for (let e = firstEdges[ordinal]; e < firstEdges[ordinal + 1]; e++) if (!skipped.has(edgeTypes[e])) visit(edgeTargets[e], newState);
  };

  for (let ordinal = 0; ordinal < graph.nodeCount; ordinal++) if (state[ordinal] !== 0) visit(ordinal, state[ordinal]);
  while (attached.length > 0) spread(attached.pop() as number, ATTACHED);
  while (detached.length > 0) {
    const ordinal = detached.pop() as number;
    if (state[ordinal] !== ATTACHED) spread(ordinal, DETACHED);
  }
}
