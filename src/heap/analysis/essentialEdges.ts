/**
 * Which edges can retain their target, by DevTools' rules (HeapSnapshot.computeIsEssentialEdge):
 * not weak edges, not self edges, not shortcuts except from the root, not a WeakMap's table
 * edge to a value (the key's edge is kept), and not edges from objects the page does not own
 * (e.g. the debugger's) to objects it owns.
 */
import type { HeapGraph } from './heapGraph';

const EPHEMERON = /^\d+(?<duplicatedPart> \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(?<tableId>\d+)\))$/;

export interface EphemeronName {
  duplicatedPart: string;
  tableId: number;
}

/** Parses the names V8 gives WeakMap value edges, caching per string. */
export class EphemeronNames {
  private readonly checked: Uint8Array;
  private readonly matches = new Map<number, EphemeronName>();

  constructor(private readonly graph: HeapGraph) {
    this.checked = new Uint8Array(graph.raw.strings.count);
  }

  get(nameIndex: number): EphemeronName | undefined {
    if (nameIndex >= this.checked.length) return undefined;
    if (this.checked[nameIndex] === 0) {
      this.checked[nameIndex] = 1;
      const match = EPHEMERON.exec(this.graph.string(nameIndex));
      if (match?.groups) this.matches.set(nameIndex, { duplicatedPart: match.groups.duplicatedPart, tableId: Number(match.groups.tableId) });
    }
    return this.matches.get(nameIndex);
  }
}

/** Nodes the page owns: reachable by non-weak edges from the root's shortcuts (globals) and DOM trees. */
function pageOwnedNodes(graph: HeapGraph): Uint8Array {
  const { firstEdges, edgeTypes, edgeTargets } = graph.raw;
  const owned = new Uint8Array(graph.nodeCount);
  const stack = new Uint32Array(graph.nodeCount);
  let size = 0;
  for (let e = firstEdges[graph.root]; e < firstEdges[graph.root + 1]; e++) {
    const type = edgeTypes[e];
    const target = edgeTargets[e];
    if (type === graph.edge.element ? !graph.isDocumentDomTreesRoot(target) : type !== graph.edge.shortcut) continue;
    stack[size++] = target;
    owned[target] = 1;
  }
  const weak = graph.edge.weak;
  while (size > 0) {
    const node = stack[--size];
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      const target = edgeTargets[e];
      if (owned[target] || edgeTypes[e] === weak) continue;
      owned[target] = 1;
      stack[size++] = target;
    }
  }
  return owned;
}

/** One bit per edge: set when the edge counts for dominators. */
export function essentialEdges(graph: HeapGraph, ephemerons: EphemeronNames): Uint8Array {
  const { firstEdges, edgeTypes, edgeNames, edgeTargets, nodeIds } = graph.raw;
  const owned = pageOwnedNodes(graph);
  const bits = new Uint8Array(Math.ceil(graph.edgeCount / 8));
  const { internal, weak, shortcut } = graph.edge;
  for (let node = 0; node < graph.nodeCount; node++) {
    const isRoot = node === graph.root;
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      const type = edgeTypes[e];
      if (type === weak) continue;
      if (type === internal && ephemerons.get(edgeNames[e])?.tableId === nodeIds[node]) continue;
      const target = edgeTargets[e];
      if (target === node) continue;
      if (!isRoot && (type === shortcut || (owned[target] && !owned[node]))) continue;
      bits[e >>> 3] |= 1 << (e & 7);
    }
  }
  return bits;
}
