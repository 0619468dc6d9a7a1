/**
 * Who holds an object, named the way its program writes it: the hops from the object up its
 * shortest retainer path, with V8's internal storage skipped (a Map's hash table, an object's
 * property and element stores), so `system / Context ->rooms → Map {table} → (array) [20] →
 * {…}` reads `->rooms` then `.get("p1")`.
 */
import type { HeapEdgeType, HolderHop } from '../../protocol/heap';
import type { HeapAnalysis } from './analyzeHeapGraph';
import type { ContainerReader } from './containerEntries';
import { edgeLabel, type RetainerIndex } from './retainers';

const MAX_HOPS = 10;
/** The agent's property on `globalThis` (see `src/agent/agent.ts`); `agentObjects.ts` starts from it too. */
export const AGENT_GLOBAL = '<symbol leak-inspector.agent>';

export class HolderNamer {
  private readonly globals: Set<number>;
  private readonly contextNames: Set<number>;
  /** Context ordinal → a closure over it, filled by `locateScopes`. */
  private readonly scopeFunctions = new Map<number, number>();
  /** Heap id → ordinal of the contexts met in hops. */
  private readonly contextOrdinals = new Map<number, number>();

  constructor(
    private readonly analysis: HeapAnalysis,
    private readonly retainers: RetainerIndex,
    private readonly reader: ContainerReader,
  ) {
    const { graph } = analysis;
    this.contextNames = graph.indexesOf('system / Context');
    this.globals = new Set();
    // Decided once per name string, not per object.
    const globalNames = new Map<number, boolean>();
    const { nodeTypes, nodeNames } = graph.raw;
    for (let node = 0; node < graph.nodeCount; node++) {
      if (nodeTypes[node] !== graph.type.object) continue;
      let global = globalNames.get(nodeNames[node]);
      if (global === undefined) globalNames.set(nodeNames[node], (global = graph.string(nodeNames[node]).startsWith('global /')));
      if (global) this.globals.add(node);
    }
  }

  /** Hops from `ordinal` toward the roots (`hops[0].from` holds it), bounded. */
  hopsOf(ordinal: number): HolderHop[] {
    const { graph } = this.analysis;
    const hops: HolderHop[] = [];
    let below = ordinal;
    let node = ordinal;
    /** The internal edge into `below` from the storage it was reached through. */
    let storageEdge = -1;
    while (hops.length < MAX_HOPS) {
      const parent = this.retainers.parentOf(node);
      if (!parent) break;
      if (this.isStorage(parent.node)) {
        if (node === below) storageEdge = parent.edge;
        node = parent.node;
        continue;
      }
      const hop = this.hop(parent.node, node === below ? parent.edge : this.directEdge(parent.node, below), below, storageEdge, node);
      hops.push(hop);
      if (hop.global || hop.agent) break;
      below = node = parent.node;
      storageEdge = -1;
      if (graph.raw.nodeTypes[node] === graph.type.synthetic) break;
    }
    return hops;
  }

  /** Finds, for every context named by `hops`, a closure over it (one pass over the functions). */
  locateScopes(hopLists: HolderHop[][]): void {
    const { graph } = this.analysis;
    const wanted = new Map<number, HolderHop[]>();
    for (const hops of hopLists) {
      for (const hop of hops) {
        if (hop.edgeType !== 'context') continue;
        const context = this.contextOrdinals.get(hop.from.id);
        if (context === undefined) continue;
        const list = wanted.get(context) ?? [];
        list.push(hop);
        wanted.set(context, list);
      }
    }
    if (wanted.size === 0) return;
    const { firstEdges, edgeTargets, edgeTypes, nodeTypes, nodeLocations } = graph.raw;
    const contextEdge = graph.indexesOf('context');
    for (let fn = 0; fn < graph.nodeCount; fn++) {
      if (nodeTypes[fn] !== graph.type.closure || !nodeLocations?.[fn]) continue;
      for (let e = firstEdges[fn]; e < firstEdges[fn + 1]; e++) {
        if (edgeTypes[e] !== graph.edge.internal || !contextEdge.has(graph.raw.edgeNames[e])) continue;
        const context = edgeTargets[e];
        if (wanted.has(context) && !this.scopeFunctions.has(context)) this.scopeFunctions.set(context, fn);
      }
    }
    for (const [context, hops] of wanted) {
      const fn = this.scopeFunctions.get(context);
      if (fn === undefined) continue;
      const ref = this.retainers.object(fn);
      for (const hop of hops) hop.scopeFunction = ref;
    }
  }

  /** Internal storage a user never names: arrays (hash tables, property/element stores) and hidden nodes. */
  private isStorage(node: number): boolean {
    const { graph } = this.analysis;
    const type = graph.raw.nodeTypes[node];
    if (type === graph.type.array || type === graph.type.code) return true;
    return type === graph.type.hidden && !this.contextNames.has(graph.raw.nodeNames[node]);
  }

  /** A named edge from `from` straight to `to` (V8 also records a property's value on the object itself). */
  private directEdge(from: number, to: number): number {
    const { graph } = this.analysis;
    const { firstEdges, edgeTargets, edgeTypes } = graph.raw;
    let found = -1;
    for (let e = firstEdges[from]; e < firstEdges[from + 1]; e++) {
      if (edgeTargets[e] !== to || edgeTypes[e] === graph.edge.weak) continue;
      const type = edgeTypes[e];
      if (type === graph.edge.property || type === graph.edge.context || type === graph.edge.element) return e;
      if (found < 0) found = e;
    }
    return found;
  }

  private hop(from: number, edge: number, below: number, storageEdge: number, storage: number): HolderHop {
    const { graph } = this.analysis;
    const ref = this.retainers.object(from);
    const kind = this.reader.containerKind(from);
    let hop: HolderHop;
    if ((kind === 'Map' || kind === 'Set') && storageEdge >= 0 && storage !== below) {
      hop = { from: ref, edgeType: 'internal', edgeName: '', edgeLabel: this.entryLabel(kind, storage, storageEdge) };
    } else if (edge < 0) {
      hop = { from: ref, edgeType: 'internal', edgeName: '', edgeLabel: '{…}' };
    } else {
      const edgeType = graph.edgeTypeNames[graph.raw.edgeTypes[edge]] as HeapEdgeType;
      const edgeName = graph.edgeName(edge);
      hop = { from: ref, edgeType, edgeName, edgeLabel: edgeLabel(edgeType, edgeName) };
      if (edgeType === 'context') this.contextOrdinals.set(ref.id, from);
    }
    const edgeName = hop.edgeName;
    if (this.globals.has(from)) hop.global = true;
    if (edgeName === AGENT_GLOBAL) hop.agent = true;
    return hop;
  }

  /** `.get("p1")` for a Map value (its key in the slot before), `{entry}` for a Set member or a key. */
  private entryLabel(kind: 'Map' | 'Set', table: number, edge: number): string {
    const { graph } = this.analysis;
    if (kind === 'Set') return '{entry}';
    const { firstEdges, edgeTargets, edgeTypes } = graph.raw;
    const keySlot = String(Number(graph.edgeName(edge)) - 1);
    for (let e = firstEdges[table]; e < firstEdges[table + 1]; e++) {
      if (edgeTypes[e] !== edgeTypes[edge] || graph.edgeName(e) !== keySlot) continue;
      const key = edgeTargets[e];
      const keyType = graph.raw.nodeTypes[key];
      const text = keyType === graph.type.string || keyType === graph.type.consString || keyType === graph.type.slicedString ? JSON.stringify(graph.nodeName(key).slice(0, 40)) : `${this.retainers.object(key).className} @${graph.raw.nodeIds[key]}`;
      return `.get(${text})`;
    }
    return '.get(…)';
  }
}
