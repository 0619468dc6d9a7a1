/**
 * Whether what an object keeps (a few hops over properties and closure variables) includes a
 * connection that has closed — the heap's evidence that an owner (a player, a connection) is
 * gone. Shared by the holder-growth analysis (entries that keep closed connections) and the
 * pending-promise analysis (promises whose awaiting function holds one).
 *
 * What a closed connection looks like in a snapshot: a `net.Socket` whose `_handle` is null (its
 * `destroyed` flag is a bit V8 does not show), any object with `destroyed: true`, an engine.io
 * socket with `readyState: "closed"`, a socket.io `Socket` with `connected: false`, a `ws`
 * WebSocket with `_readyState` 3 when the snapshot carries numbers (else its `_socket`, a net.Socket
 * without handle, tells). Booleans and null are oddballs: V8 gives one its printed value as its
 * first hidden edge.
 */
import type { HeapGraph } from './heapGraph';

export interface ConnectionSearch {
  /** Objects looked at (default 64). */
  budget?: number;
  /**
   * Also follow array elements and a suspended function's arguments and locals (its registers).
   * Its `this` is left out then: a method's object (a server, a manager) reaches every
   * connection, open or closed, and would say nothing about this call's own.
   */
  elements?: boolean;
}

export class ClosedConnections {
  private readonly names: { destroyed: Set<number>; readyState: Set<number>; wsReadyState: Set<number>; connected: Set<number>; handle: Set<number>; socket: Set<number>; oddball: Set<number>; context: Set<number>; generatorSlots: Set<number>; thisName: Set<number> };

  private readonly numberType: number;
  private any: boolean | undefined;

  constructor(private readonly graph: HeapGraph) {
    this.numberType = graph.nodeTypeNames.indexOf('number');
    const i = (name: string) => graph.indexesOf(name);
    this.names = {
      destroyed: i('destroyed'),
      readyState: i('readyState'),
      wsReadyState: i('_readyState'),
      connected: i('connected'),
      handle: new Set([...i('_handle'), ...i('<symbol kHandle>')]),
      socket: i('Socket'),
      oddball: i('system / Oddball'),
      context: i('context'),
      generatorSlots: new Set([...i('parameters_and_registers'), ...i('context')]),
      thisName: i('this'),
    };
  }

  /** Whether the snapshot holds any closed connection at all (one pass, remembered): else no search can find one. */
  anyClosed(): boolean {
    if (this.any === undefined) {
      this.any = false;
      for (let node = 0; node < this.graph.nodeCount && !this.any; node++) this.any = this.isClosed(node);
    }
    return this.any;
  }

  /** Breadth first from `start`, within the budget: the first closed connection found, or -1. */
  findClosed(start: number, search: ConnectionSearch = {}): number {
    if (!this.anyClosed()) return -1;
    const { graph } = this;
    const { firstEdges, edgeTargets, edgeTypes, edgeNames, nodeTypes } = graph.raw;
    const budget = search.budget ?? 64;
    const seen = new Set<number>([start]);
    const queue = [start];
    for (let head = 0; head < queue.length && head < budget; head++) {
      const node = queue[head];
      if (this.isClosed(node)) return node;
      for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
        const type = edgeTypes[e];
        const target = edgeTargets[e];
        const follow =
          type === graph.edge.property ||
          (type === graph.edge.context && !(search.elements === true && this.names.thisName.has(edgeNames[e]))) ||
          (type === graph.edge.internal && (this.names.context.has(edgeNames[e]) || (search.elements === true && this.names.generatorSlots.has(edgeNames[e])))) ||
          (search.elements === true && (type === graph.edge.element || (type === graph.edge.internal && nodeTypes[node] === graph.type.array)));
        if (!follow || seen.has(target)) continue;
        const targetType = nodeTypes[target];
        // From a suspended function, objects and arrays only: a closure's scope leads to module variables, not to this call's owner.
        const allowed = search.elements === true ? targetType === graph.type.object || targetType === graph.type.array : targetType === graph.type.object || targetType === graph.type.closure;
        if (!allowed) continue;
        seen.add(target);
        queue.push(target);
      }
    }
    return -1;
  }

  keepsClosedConnection(start: number, search?: ConnectionSearch): boolean {
    return this.findClosed(start, search) >= 0;
  }

  /** Whether this object is a connection that has closed (by its own fields). */
  isClosed(node: number): boolean {
    const { graph, names } = this;
    const { firstEdges, edgeTargets, edgeTypes, edgeNames, nodeTypes, nodeNames } = graph.raw;
    if (nodeTypes[node] !== graph.type.object) return false;
    const socket = names.socket.has(nodeNames[node]);
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      if (edgeTypes[e] !== graph.edge.property) continue;
      const name = edgeNames[e];
      const target = edgeTargets[e];
      if (names.destroyed.has(name) && this.oddballValue(target) === 'true') return true;
      if (socket && names.handle.has(name) && this.oddballValue(target) === 'null') return true;
      if (socket && names.connected.has(name) && this.oddballValue(target) === 'false') return true;
      if (names.readyState.has(name) && nodeTypes[target] === graph.type.string && graph.nodeName(target) === 'closed') return true;
      if (names.wsReadyState.has(name) && nodeTypes[target] === this.numberType && graph.nodeName(target) === '3') return true;
    }
    return false;
  }

  /** A short name for a closed connection found: `WebSocket`, `net.Socket`. */
  describe(node: number): string {
    const name = this.graph.nodeName(node);
    return name === 'Socket' && this.hasProperty(node, this.names.handle) ? 'net.Socket' : name;
  }

  /** `true`, `false`, `null`…: an oddball's printed value, else undefined. */
  oddballValue(node: number): string | undefined {
    const { graph } = this;
    const { firstEdges, edgeTargets, edgeTypes, nodeTypes, nodeNames } = graph.raw;
    if (nodeTypes[node] !== graph.type.hidden || !this.names.oddball.has(nodeNames[node])) return undefined;
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === graph.edge.hidden) return graph.nodeName(edgeTargets[e]);
    return undefined;
  }

  private hasProperty(node: number, names: Set<number>): boolean {
    const { firstEdges, edgeTypes, edgeNames } = this.graph.raw;
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === this.graph.edge.property && names.has(edgeNames[e])) return true;
    return false;
  }
}
