/**
 * Dominator tree and retained sizes, equal to Chrome DevTools'.
 *
 * DevTools runs Lengauer–Tarjan over the essential edges from the root, then from every node
 * that has no essential retainer (as if the root held it), and makes the root the dominator of
 * whatever is still unreached (cycles held only by each other). Dominators of a graph are
 * unique, so any exact algorithm gives its result; this one is Semi-NCA (Georgiadis; LLVM's
 * variant), which needs fewer arrays than Lengauer–Tarjan's buckets, all in DFS-number space.
 */
import type { HeapGraph } from './heapGraph';

export interface Dominators {
  /** Per node: its immediate dominator's ordinal (the root's is itself). */
  dominators: Uint32Array;
  /** Per node: self size plus the retained sizes of the nodes it immediately dominates. */
  retainedSizes: Float64Array;
}

export function computeDominators(graph: HeapGraph, essential: Uint8Array): Dominators {
  const n = graph.nodeCount;
  const root = graph.root;
  const { firstEdges, edgeTargets, nodeSelfSizes } = graph.raw;
  const isEssential = (e: number) => (essential[e >>> 3] & (1 << (e & 7))) !== 0;

  // Nodes with an essential retainer; the others hang off the root.
  const retained = new Uint8Array(n);
  for (let e = 0; e < graph.edgeCount; e++) if (isEssential(e)) retained[edgeTargets[e]] = 1;

  // Depth-first numbering (1-based; 0 = not reached) over essential edges.
  const dfsNumber = new Uint32Array(n + 1);
  const vertex = new Uint32Array(n + 1);
  const parent = new Uint32Array(n + 1);
  const cursor = new Uint32Array(n + 1);
  let count = 0;
  const search = (start: number, parentNumber: number) => {
    dfsNumber[start] = ++count;
    vertex[count] = start;
    parent[count] = parentNumber;
    cursor[start] = firstEdges[start];
    let v = start;
    for (;;) {
      let next = -1;
      const end = firstEdges[v + 1];
      for (let e = cursor[v]; e < end; e++) {
        if (!isEssential(e)) continue;
        const w = edgeTargets[e];
        if (dfsNumber[w] !== 0) continue;
        cursor[v] = e + 1;
        dfsNumber[w] = ++count;
        vertex[count] = w;
        parent[count] = dfsNumber[v];
        cursor[w] = firstEdges[w];
        next = w;
        break;
      }
      if (next >= 0) {
        v = next;
        continue;
      }
      cursor[v] = end;
      if (v === start) return;
      v = vertex[parent[dfsNumber[v]]];
    }
  };
  search(root, 0);
  for (let v = 0; v < n; v++) if (dfsNumber[v] === 0 && !retained[v]) search(v, 1);

  // Predecessors of each reached node, as DFS numbers (essential edges between reached nodes).
  const predStart = new Uint32Array(count + 2);
  for (let v = 0; v < n; v++) {
    if (dfsNumber[v] === 0) continue;
    for (let e = firstEdges[v]; e < firstEdges[v + 1]; e++) {
      if (isEssential(e) && dfsNumber[edgeTargets[e]] !== 0) predStart[dfsNumber[edgeTargets[e]] + 1]++;
    }
  }
  for (let i = 1; i <= count + 1; i++) predStart[i] += predStart[i - 1];
  const preds = new Uint32Array(predStart[count + 1]);
  const fill = cursor; // reused: no longer needed
  fill.set(predStart.subarray(0, count + 1));
  for (let v = 0; v < n; v++) {
    const from = dfsNumber[v];
    if (from === 0) continue;
    for (let e = firstEdges[v]; e < firstEdges[v + 1]; e++) {
      const to = dfsNumber[edgeTargets[e]];
      if (to !== 0 && isEssential(e)) preds[fill[to]++] = from;
    }
  }

  const reached = retained; // reused: no longer needed
  for (let v = 0; v < n; v++) reached[v] = dfsNumber[v] !== 0 ? 1 : 0;

  // Semi-dominators with path compression; `ancestor` is the compressed parent.
  const semi = dfsNumber; // reused: indexed by DFS number from here on
  const label = fill;
  for (let i = 0; i <= count; i++) {
    semi[i] = i;
    label[i] = i;
  }
  const ancestor = parent.slice();
  const idom = parent;
  let stack = new Uint32Array(64);
  for (let w = count; w >= 2; w--) {
    let s = parent[w];
    const lastLinked = w + 1;
    for (let p = predStart[w]; p < predStart[w + 1]; p++) {
      let v = preds[p];
      let u: number;
      if (ancestor[v] < lastLinked) u = label[v];
      else {
        let depth = 0;
        do {
          if (depth === stack.length) {
            const bigger = new Uint32Array(stack.length * 2);
            bigger.set(stack);
            stack = bigger;
          }
          stack[depth++] = v;
          v = ancestor[v];
        } while (ancestor[v] >= lastLinked);
        let top = v;
        let topLabel = label[top];
        do {
          v = stack[--depth];
          ancestor[v] = ancestor[top];
          if (semi[topLabel] < semi[label[v]]) label[v] = topLabel;
          else topLabel = label[v];
          top = v;
        } while (depth > 0);
        u = label[v];
      }
      if (semi[u] < s) s = semi[u];
    }
    semi[w] = s;
  }
  // Immediate dominator = nearest common ancestor of the DFS parent and the semi-dominator.
  for (let w = 2; w <= count; w++) {
    let candidate = idom[w];
    while (candidate > semi[w]) candidate = idom[candidate];
    idom[w] = candidate;
  }

  const dominators = semi.subarray(0, n).fill(root); // reused: semi-dominators are done
  for (let w = 2; w <= count; w++) dominators[vertex[w]] = vertex[idom[w]];
  // Reused when big enough: the predecessor lists are done.
  const retainedSizes = preds.byteLength >= n * 8 ? new Float64Array(preds.buffer, 0, n) : new Float64Array(n);
  for (let v = 0; v < n; v++) retainedSizes[v] = nodeSelfSizes[v];
  for (let w = count; w >= 2; w--) retainedSizes[vertex[idom[w]]] += retainedSizes[vertex[w]];
  // Unreached nodes: dominated by the root.
  for (let v = 0; v < n; v++) if (!reached[v]) retainedSizes[root] += retainedSizes[v];
  return { dominators, retainedSizes };
}
