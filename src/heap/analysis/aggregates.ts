/**
 * Objects grouped by class as in DevTools' Summary (HeapSnapshot.getAggregatesByClassKey):
 * nodes with a non-zero self size, keyed by class name and, for objects made by a script's
 * constructor, its location, so two classes that share a name stay apart. A class's retained
 * size sums the retained sizes of its objects that no other object of the class dominates.
 */
import { AGENT_CLASS } from './agentObjects';
import type { HeapGraph } from './heapGraph';

export const NO_CLASS = 0xffffffff;

export interface ClassAggregate {
  name: string;
  /** `,Name`, or `scriptId,line,column,Name`: stable across snapshots of one process (DevTools' class key). */
  key: string;
  count: number;
  selfSize: number;
  retainedSize: number;
}

export interface Aggregates {
  /** Per node: its aggregate's index, or NO_CLASS when its self size is 0. */
  nodeClasses: Uint32Array;
  /** In order of each class's first object. */
  classes: ClassAggregate[];
}

/** `agentOwned` nodes (the leak inspector's own, see `agentObjects.ts`) all go to the class `(leak inspector)`. */
export function aggregateByClass(graph: HeapGraph, classNames: Uint32Array, agentOwned: Uint8Array | null = null): Aggregates {
  const { nodeTypes, nodeSelfSizes, nodeLocations, locationPositions } = graph.raw;
  const agentClass = agentOwned ? graph.addString(AGENT_CLASS) : 0;
  const object = graph.type.object;
  const nodeClasses = new Uint32Array(graph.nodeCount);
  const classes: ClassAggregate[] = [];
  const byKey = new Map<number | string, number>();
  for (let node = 0; node < graph.nodeCount; node++) {
    const selfSize = nodeSelfSizes[node];
    if (selfSize === 0) {
      nodeClasses[node] = NO_CLASS;
      continue;
    }
    const agent = agentOwned !== null && agentOwned[node] === 1;
    const name = agent ? agentClass : classNames[node];
    const location = nodeLocations && nodeTypes[node] === object && !agent ? nodeLocations[node] : 0;
    // A number key while it fits in 53 bits, which is always in practice.
    const internalKey = location === 0 ? name : location < 2 ** 20 ? location * 2 ** 32 + name : `${location},${name}`;
    let index = byKey.get(internalKey);
    if (index === undefined) {
      index = classes.length;
      byKey.set(internalKey, index);
      const className = graph.string(name);
      const at = (location - 1) * 3;
      const key = location === 0 ? `,${className}` : `${locationPositions[at]},${locationPositions[at + 1]},${locationPositions[at + 2]},${className}`;
      classes.push({ name: className, key, count: 0, selfSize: 0, retainedSize: 0 });
    }
    nodeClasses[node] = index;
    const aggregate = classes[index];
    aggregate.count++;
    aggregate.selfSize += selfSize;
  }
  return { nodeClasses, classes };
}

/** Adds each class's retained size: a walk of the dominator tree counting each class's topmost objects. */
export function addClassRetainedSizes(graph: HeapGraph, aggregates: Aggregates, dominators: Uint32Array, retainedSizes: Float64Array): void {
  const n = graph.nodeCount;
  const root = graph.root;
  // Children of each node in the dominator tree: count, then fill each block from its end.
  const firstChild = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) if (v !== root) firstChild[dominators[v]]++;
  for (let v = 1; v <= n; v++) firstChild[v] += firstChild[v - 1];
  const children = new Uint32Array(Math.max(0, n - 1));
  for (let v = n - 1; v >= 0; v--) if (v !== root) children[--firstChild[dominators[v]]] = v;

  const { nodeClasses, classes } = aggregates;
  const open = new Uint32Array(classes.length);
  const sizes = new Float64Array(classes.length);
  // Depth-first; an entry with the top bit set leaves that node's subtree.
  const EXIT = 0x80000000;
  let stack = new Uint32Array(1024);
  let size = 0;
  const push = (value: number) => {
    if (size === stack.length) {
      const bigger = new Uint32Array(stack.length * 2);
      bigger.set(stack);
      stack = bigger;
    }
    stack[size++] = value;
  };
  push(root);
  while (size > 0) {
    const entry = stack[--size];
    if (entry & EXIT) {
      open[nodeClasses[entry ^ EXIT]]--;
      continue;
    }
    const cls = nodeClasses[entry];
    if (cls !== NO_CLASS) {
      if (open[cls] === 0) sizes[cls] += retainedSizes[entry];
      open[cls]++;
      push((entry | EXIT) >>> 0);
    }
    for (let c = firstChild[entry]; c < firstChild[entry + 1]; c++) push(children[c]);
  }
  classes.forEach((aggregate, index) => (aggregate.retainedSize = sizes[index]));
}
