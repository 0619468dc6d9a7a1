/**
 * The entries of the containers a program grows without bound, read from a heap snapshot:
 * `Map`s and `Set`s (their `table`: V8's OrderedHashTable), arrays (element edges), plain
 * objects used as dictionaries (property edges), the listeners of EventEmitters (`_events`) and
 * EventTargets/AbortSignals (Node's `kEvents` map of `Listener` lists), and a pending promise's
 * reactions (its `PromiseReaction` chain). Works on a bare `HeapGraph`, so the first snapshot
 * is read without the cost of a full analysis.
 */
import type { HeapGraph } from './heapGraph';

export type ContainerKind = 'Map' | 'Set' | 'Array' | 'Object';
export type EmitterKind = 'EventEmitter' | 'EventTarget' | 'AbortSignal';

/** One listener as registered: the emitter, the event and the function called. */
export interface ListenerVisit {
  emitter: number;
  kind: EmitterKind;
  event: string;
  /** The function (the wrapped one for `once`); -1 when none could be read (a handleEvent object). */
  fn: number;
  /** The node the emitter keeps per listener (the function, or the `Listener` record). */
  record: number;
  /** The array or map holding the emitter's listeners (not a container of the program's own). */
  store: number;
}

/** OrderedHashTable: element count, deleted count and bucket count, then the buckets, then the entries. */
const HASH_TABLE_HEADER = 3;

export class ContainerReader {
  private readonly s: {
    map: Set<number>; set: Set<number>; array: Set<number>; object: Set<number>; promise: Set<number>; reaction: Set<number>;
    table: Set<number>; proto: Set<number>; events: Set<number>; kEvents: Set<number>; kAborted: Set<number>;
    next: Set<number>; listener: Set<number>; callback: Set<number>; reactions: Set<number>; oddball: Set<number>;
  };

  /**
   * `tableSizes` are the snapshot's own self sizes (before DevTools moves an array's size to its
   * owner): a hash table's length, hence where its entries start, is read from them.
   */
  constructor(
    readonly graph: HeapGraph,
    private readonly tableSizes: Uint32Array,
  ) {
    const i = (name: string) => graph.indexesOf(name);
    this.s = {
      map: i('Map'), set: i('Set'), array: i('Array'), object: i('Object'), promise: i('Promise'), reaction: i('system / PromiseReaction'),
      table: i('table'), proto: i('__proto__'), events: i('_events'), kEvents: i('<symbol kEvents>'), kAborted: i('<symbol kAborted>'),
      next: i('next'), listener: i('listener'), callback: i('callback'), reactions: i('reactions_or_result'), oddball: i('system / Oddball'),
    };
  }

  /** Which kind of container `node` is, if any (prototypes such as `Map.prototype` have no table and are not). */
  containerKind(node: number): ContainerKind | undefined {
    const { nodeTypes, nodeNames } = this.graph.raw;
    if (nodeTypes[node] !== this.graph.type.object) return undefined;
    const name = nodeNames[node];
    if (this.s.map.has(name)) return this.edgeTo(node, this.s.table, this.graph.edge.internal) >= 0 ? 'Map' : undefined;
    if (this.s.set.has(name)) return this.edgeTo(node, this.s.table, this.graph.edge.internal) >= 0 ? 'Set' : undefined;
    if (this.s.array.has(name)) return 'Array';
    if (this.s.object.has(name)) return 'Object';
    return undefined;
  }

  /** Calls `visit(entry, key)` per entry: the value (or the key when the value is not an object), and the key (-1 if none). */
  entries(node: number, kind: ContainerKind, visit: (entry: number, key: number) => void): void {
    const { firstEdges, edgeTargets, edgeTypes, edgeNames } = this.graph.raw;
    const { element, property } = this.graph.edge;
    if (kind === 'Array') {
      for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === element) visit(edgeTargets[e], -1);
      return;
    }
    if (kind === 'Object') {
      for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === property && !this.s.proto.has(edgeNames[e])) visit(edgeTargets[e], -1);
      return;
    }
    this.hashEntries(node, kind, visit);
  }

  count(node: number, kind: ContainerKind): number {
    let count = 0;
    this.entries(node, kind, () => count++);
    return count;
  }

  /** The hash table of a Map or Set; -1 if none. */
  table(node: number): number {
    const e = this.edgeTo(node, this.s.table, this.graph.edge.internal);
    return e < 0 ? -1 : this.graph.raw.edgeTargets[e];
  }

  /**
   * Entries of a Map (key, value, chain) or Set (key, chain) in its OrderedHashTable. Slots
   * holding small integers or holes have no edge, so an entry is the group of slots with one.
   */
  private hashEntries(node: number, kind: 'Map' | 'Set', visit: (entry: number, key: number) => void): void {
    const table = this.table(node);
    if (table < 0) return;
    const { firstEdges, edgeTargets, edgeTypes } = this.graph.raw;
    const stride = kind === 'Map' ? 3 : 2;
    const base = this.entriesStart(table, stride);
    let group = -1;
    let key = -1;
    let value = -1;
    const flush = () => {
      if (group < 0) return;
      if (value >= 0 && !this.isOddball(value)) visit(value, key);
      else if (key >= 0) visit(key, key);
      else if (value >= 0) visit(value, -1);
    };
    for (let e = firstEdges[table]; e < firstEdges[table + 1]; e++) {
      const type = edgeTypes[e];
      if (type !== this.graph.edge.internal && type !== this.graph.edge.element) continue;
      const slot = Number(this.graph.edgeName(e));
      if (!(slot >= base)) continue;
      const g = Math.floor((slot - base) / stride);
      const field = (slot - base) % stride;
      if (g !== group) {
        flush();
        group = g;
        key = -1;
        value = -1;
      }
      if (field === 0) key = edgeTargets[e];
      else if (field === 1 && kind === 'Map') value = edgeTargets[e];
    }
    flush();
  }

  /** First entry slot: the header and the buckets (capacity / 2 of them), from the table's length. */
  private entriesStart(table: number, stride: number): number {
    const size = this.tableSizes[table];
    // 8-byte slots after a 16-byte header; with pointer compression, 4-byte slots after 8 bytes.
    for (const [header, slot] of [[16, 8], [8, 4]]) {
      const length = (size - header) / slot;
      const buckets = (length - HASH_TABLE_HEADER) / (1 + 2 * stride);
      if (Number.isInteger(buckets) && buckets > 0 && (buckets & (buckets - 1)) === 0) return HASH_TABLE_HEADER + buckets;
    }
    // Unknown layout: the smallest table's.
    return HASH_TABLE_HEADER + 2;
  }

  isOddball(node: number): boolean {
    return this.graph.raw.nodeTypes[node] === this.graph.type.hidden && this.s.oddball.has(this.graph.raw.nodeNames[node]);
  }

  /** Reactions of a pending promise (0 when settled or none), and each reaction node. */
  reactions(node: number, visit?: (reaction: number) => void): number {
    const { nodeTypes, nodeNames, edgeTargets } = this.graph.raw;
    if (nodeTypes[node] !== this.graph.type.object || !this.s.promise.has(nodeNames[node])) return 0;
    const e = this.edgeTo(node, this.s.reactions, this.graph.edge.internal);
    if (e < 0) return 0;
    let count = 0;
    const seen = new Set<number>();
    for (let reaction = edgeTargets[e]; reaction >= 0 && this.isReaction(reaction) && !seen.has(reaction); reaction = this.nextReaction(reaction)) {
      seen.add(reaction);
      count++;
      visit?.(reaction);
    }
    return count;
  }

  isReaction(node: number): boolean {
    return this.s.reaction.has(this.graph.raw.nodeNames[node]);
  }

  /** The next reaction of a chain (V8 keeps them as a linked list, newest first); -1 at the end. */
  nextReaction(reaction: number): number {
    const { firstEdges, edgeTargets } = this.graph.raw;
    for (let e = firstEdges[reaction]; e < firstEdges[reaction + 1]; e++) if (this.isReaction(edgeTargets[e])) return edgeTargets[e];
    return -1;
  }

  /** Every listener of every EventEmitter and EventTarget in the snapshot. */
  forEachListener(visit: (listener: ListenerVisit) => void): void {
    const { nodeTypes, firstEdges, edgeTargets, edgeTypes, edgeNames } = this.graph.raw;
    const { property, element } = this.graph.edge;
    const object = this.graph.type.object;
    for (let node = 0; node < this.graph.nodeCount; node++) {
      if (nodeTypes[node] !== object) continue;
      for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
        if (edgeTypes[e] !== property) continue;
        const name = edgeNames[e];
        const target = edgeTargets[e];
        if (this.s.events.has(name) && nodeTypes[target] === object) {
          // EventEmitter: `_events[name]` is one function or an array of them.
          for (let ev = firstEdges[target]; ev < firstEdges[target + 1]; ev++) {
            if (edgeTypes[ev] !== property || this.s.proto.has(edgeNames[ev])) continue;
            const event = this.graph.edgeName(ev);
            const value = edgeTargets[ev];
            if (nodeTypes[value] === this.graph.type.closure) visit({ emitter: node, kind: 'EventEmitter', event, fn: this.unwrapOnce(value), record: value, store: target });
            else if (this.containerKind(value) === 'Array') {
              for (let el = firstEdges[value]; el < firstEdges[value + 1]; el++) {
                const fn = edgeTargets[el];
                if (edgeTypes[el] === element && nodeTypes[fn] === this.graph.type.closure) visit({ emitter: node, kind: 'EventEmitter', event, fn: this.unwrapOnce(fn), record: fn, store: value });
              }
            }
          }
        } else if (this.s.kEvents.has(name) && this.containerKind(target) === 'Map') {
          const kind: EmitterKind = this.hasProperty(node, this.s.kAborted) ? 'AbortSignal' : 'EventTarget';
          this.hashEntries(target, 'Map', (entry, key) => {
            const event = key >= 0 ? this.graph.nodeName(key) : '';
            // `{ size, next: Listener, … }`: a doubly linked list of Listener records.
            const seen = new Set<number>();
            for (let record = this.propertyTarget(entry, this.s.next); record >= 0 && !seen.has(record); record = this.propertyTarget(record, this.s.next)) {
              seen.add(record);
              let fn = this.propertyTarget(record, this.s.listener);
              if (fn < 0 || nodeTypes[fn] !== this.graph.type.closure) fn = this.propertyTarget(record, this.s.callback);
              visit({ emitter: node, kind, event, fn: fn >= 0 && nodeTypes[fn] === this.graph.type.closure ? fn : -1, record, store: target });
            }
          });
        }
      }
    }
  }

  /** `once` listeners are wrapped: the wrapper keeps the user's function as `.listener`. */
  private unwrapOnce(fn: number): number {
    const wrapped = this.propertyTarget(fn, this.s.listener);
    return wrapped >= 0 && this.graph.raw.nodeTypes[wrapped] === this.graph.type.closure ? wrapped : fn;
  }

  private hasProperty(node: number, names: Set<number>): boolean {
    return this.edgeTo(node, names, this.graph.edge.property) >= 0;
  }

  propertyTarget(node: number, names: Set<number>): number {
    const e = this.edgeTo(node, names, this.graph.edge.property);
    return e < 0 ? -1 : this.graph.raw.edgeTargets[e];
  }

  private edgeTo(node: number, names: Set<number>, type: number): number {
    const { firstEdges, edgeTypes, edgeNames } = this.graph.raw;
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === type && names.has(edgeNames[e])) return e;
    return -1;
  }
}

/** A stable key for a function: its script position, or its name when V8 gave none. */
export function functionKey(graph: HeapGraph, fn: number): string {
  if (fn < 0) return '?';
  const location = graph.raw.nodeLocations?.[fn] ?? 0;
  if (location === 0) return `name:${graph.nodeName(fn)}`;
  return graph.raw.locationPositions.slice((location - 1) * 3, location * 3).join(':');
}
