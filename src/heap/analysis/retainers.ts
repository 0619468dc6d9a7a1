/**
 * Retainer paths: the shortest chain of references from the GC roots to an object, by the
 * distances DevTools shows (HeapSnapshot.calculateDistances): breadth first from the user roots
 * (the global objects) and then from the root, over non-weak edges, skipping the links DevTools
 * skips (shared map descriptors, the NativeContext's sloppy_function_map, and the first of the
 * two edges V8 records for each WeakMap value).
 */
import type { HeapEdgeType, HeapObjectRef, HeapRetainers, RetainerPath, RetainerStep } from '../../protocol/heap';
import type { HeapAnalysis } from './analyzeHeapGraph';

const NO_PARENT = 0xffffffff;
const MAX_NAME = 80;

export class RetainerIndex {
  /** Per node: the edge that reached it first (NO_PARENT for the roots and the unreachable). */
  private readonly parentEdge: Uint32Array;
  /** Per node: the node that edge comes from. */
  private readonly parentNode: Uint32Array;

  constructor(private readonly analysis: HeapAnalysis) {
    const { graph } = analysis;
    const n = graph.nodeCount;
    this.parentEdge = new Uint32Array(n).fill(NO_PARENT);
    this.parentNode = new Uint32Array(n).fill(NO_PARENT);
    const seen = new Uint8Array(n);
    const queue = new Uint32Array(n);
    const { firstEdges, edgeTargets, nodeTypes } = graph.raw;
    let length = 0;
    for (let e = firstEdges[graph.root]; e < firstEdges[graph.root + 1]; e++) {
      const target = edgeTargets[e];
      if (seen[target]) continue;
      if (nodeTypes[target] !== graph.type.synthetic || graph.isDocumentDomTreesRoot(target)) {
        seen[target] = 1;
        queue[length++] = target;
      }
    }
    length = this.breadthFirst(queue, 0, length, seen);
    if (!seen[graph.root]) {
      seen[graph.root] = 1;
      queue[length] = graph.root;
      this.breadthFirst(queue, length, length + 1, seen);
    }
  }

  private breadthFirst(queue: Uint32Array, head: number, length: number, seen: Uint8Array): number {
    const { graph, ephemerons } = this.analysis;
    const { firstEdges, edgeTargets, edgeTypes, edgeNames, nodeTypes, nodeNames } = graph.raw;
    const { weak, internal } = graph.edge;
    const nativeContexts = graph.indexesOf('system / NativeContext');
    const sloppyFunctionMaps = graph.indexesOf('sloppy_function_map');
    const mapDescriptors = graph.indexesOf('(map descriptors)');
    const pendingEphemerons = new Set<string>();
    while (head < length) {
      const node = queue[head++];
      const descriptors = nodeTypes[node] === graph.type.array && mapDescriptors.has(nodeNames[node]);
      const nativeContext = nodeTypes[node] === graph.type.hidden && nativeContexts.has(nodeNames[node]);
      for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
        const type = edgeTypes[e];
        if (type === weak) continue;
        const target = edgeTargets[e];
        if (seen[target]) continue;
        if (nativeContext && type !== graph.edge.element && type !== graph.edge.hidden && sloppyFunctionMaps.has(edgeNames[e])) continue;
        if (descriptors) {
          const index = parseInt(graph.edgeName(e), 10);
          if (!(index < 2 || index % 3 !== 1)) continue;
        }
        if (type === internal) {
          const ephemeron = ephemerons.get(edgeNames[e]);
          if (ephemeron && !pendingEphemerons.delete(ephemeron.duplicatedPart)) {
            pendingEphemerons.add(ephemeron.duplicatedPart);
            continue;
          }
        }
        seen[target] = 1;
        this.parentEdge[target] = e;
        this.parentNode[target] = node;
        queue[length++] = target;
      }
    }
    return length;
  }

  /** The path from the roots to `ordinal`, roots side first. */
  pathTo(ordinal: number): RetainerPath {
    const { graph } = this.analysis;
    const steps: RetainerStep[] = [];
    for (let node = ordinal; this.parentEdge[node] !== NO_PARENT; node = this.parentNode[node]) {
      const edge = this.parentEdge[node];
      const from = this.parentNode[node];
      const edgeType = graph.edgeTypeNames[graph.raw.edgeTypes[edge]] as HeapEdgeType;
      const edgeName = graph.edgeName(edge);
      const key = this.mapKeyOf(from, edge);
      steps.push({ from: this.object(from), edgeType, edgeName, edgeLabel: key === undefined ? edgeLabel(edgeType, edgeName) : `{value of ${key}}` });
    }
    steps.reverse();
    const target = this.object(ordinal);
    return { target, steps, text: pathText(steps, target) };
  }

  /**
   * A Map keeps its entries in a hash table (`{table}`: key, value, chain, … in one array); for
   * the edge to a value, the key in the slot before it, as `"room-12"` or `Player @123`.
   */
  private mapKeyOf(table: number, edge: number): string | undefined {
    const { graph, classNames } = this.analysis;
    const { firstEdges, edgeTargets, edgeTypes } = graph.raw;
    const holder = this.parentNode[table];
    if (holder === NO_PARENT || graph.edgeName(this.parentEdge[table]) !== 'table' || graph.string(classNames[holder]) !== 'Map') return undefined;
    const type = edgeTypes[edge];
    if (type !== graph.edge.internal && type !== graph.edge.element) return undefined;
    const keySlot = String(Number(graph.edgeName(edge)) - 1);
    for (let e = firstEdges[table]; e < firstEdges[table + 1]; e++) {
      if (edgeTypes[e] !== type || graph.edgeName(e) !== keySlot) continue;
      const key = this.object(edgeTargets[e]);
      return key.className === '(string)' ? JSON.stringify(key.name) : displayName(key);
    }
    return undefined;
  }

  /** The edge (and the node it comes from) that reaches `ordinal` on its shortest path from the roots; undefined for the roots and the unreachable. */
  parentOf(ordinal: number): { node: number; edge: number } | undefined {
    const edge = this.parentEdge[ordinal];
    return edge === NO_PARENT ? undefined : { node: this.parentNode[ordinal], edge };
  }

  /** The path to the object with heap object id `id` (`@id` in DevTools). */
  pathToId(id: number): RetainerPath {
    const { nodeIds } = this.analysis.graph.raw;
    const ordinal = nodeIds.indexOf(id);
    if (ordinal < 0) throw new Error(`no object @${id} in the snapshot`);
    return this.pathTo(ordinal);
  }

  object(ordinal: number): HeapObjectRef {
    const { graph, classNames, retainedSizes } = this.analysis;
    const raw = graph.raw;
    let name = graph.nodeName(ordinal);
    if (name.length > MAX_NAME) name = `${name.slice(0, MAX_NAME)}…`;
    const object: HeapObjectRef = { id: raw.nodeIds[ordinal], className: graph.string(classNames[ordinal]), name, selfSize: raw.nodeSelfSizes[ordinal], retainedSize: retainedSizes[ordinal] };
    const location = raw.nodeLocations?.[ordinal] ?? 0;
    if (location !== 0) {
      const [scriptId, line, column] = raw.locationPositions.slice((location - 1) * 3, location * 3);
      object.location = { scriptId, line, column };
    }
    return object;
  }

  /**
   * Paths to the `limit` objects of a class (by class name) that retain the most; the program's
   * own first, so a class that grew is explained by what the program holds, not by the agent.
   */
  retainersOf(className: string, limit: number): HeapRetainers {
    const { graph, classNames, retainedSizes, agentOwned } = this.analysis;
    const matching = graph.indexesOfClass(className, classNames);
    const agents = (ordinal: number) => agentOwned?.[ordinal] ?? 0;
    const top = matching.sort((a, b) => agents(a) - agents(b) || retainedSizes[b] - retainedSizes[a]).slice(0, Math.max(0, limit));
    return { className, count: matching.length, paths: top.map((ordinal) => this.pathTo(ordinal)) };
  }
}

/**
 * The path on one line. A run of hops through the same class and edge (a linked list: Node's
 * timer list is `Timeout ._idlePrev` a hundred times) is written once with its length.
 */
function pathText(steps: RetainerStep[], target: HeapObjectRef): string {
  const parts: string[] = [];
  for (let i = 0; i < steps.length; ) {
    let run = 1;
    while (i + run < steps.length && steps[i + run].from.className === steps[i].from.className && steps[i + run].edgeLabel === steps[i].edgeLabel) run++;
    parts.push(run >= 3 ? `${steps[i].from.className} ${steps[i].edgeLabel} (×${run})` : steps.slice(i, i + run).map((step) => `${displayName(step.from)} ${step.edgeLabel}`).join(' → '));
    i += run;
  }
  return [...parts, displayName(target)].join(' → ');
}

/** How DevTools writes an edge: `.name`, `[3]`, `->variable` (closure context), `{internal}`. */
export function edgeLabel(type: HeapEdgeType, name: string): string {
  switch (type) {
    case 'context':
      return `->${name}`;
    case 'element':
      return `[${name}]`;
    case 'weak':
      return `[[${name}]]`;
    case 'property':
    case 'shortcut':
      return name.includes(' ') ? `["${name}"]` : `.${name}`;
    default:
      return `{${name}}`;
  }
}

/** Objects by class; internal nodes (contexts, arrays, roots) by their own name. */
function displayName(object: HeapObjectRef): string {
  const internal = object.className.startsWith('(') && object.className !== '(string)';
  const name = internal && object.name ? object.name : object.className === 'Function' ? `${object.name || 'anonymous'}()` : object.className;
  return `${name} @${object.id}`;
}
