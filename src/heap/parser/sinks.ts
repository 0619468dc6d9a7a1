/**
 * Where the numbers of the `nodes`, `edges` and `locations` arrays go as they are tokenised:
 * straight into per-field typed arrays, never into a JS array of the whole section.
 */
import { HeapSnapshotParseError } from './parseError';

export interface NumberSink {
  put(value: number, offset: number): void;
  /** Called at the closing bracket; throws if the array is incomplete. */
  finish(offset: number): void;
}

/** The `snapshot` object at the head of the file (only the fields used here). */
export interface SnapshotHeader {
  meta: {
    node_fields: string[];
    node_types: [string[], ...unknown[]];
    edge_fields: string[];
    edge_types: [string[], ...unknown[]];
    location_fields?: string[];
  };
  node_count?: number;
  edge_count?: number;
  root_index?: number;
  extra_native_bytes?: number;
}

/** Grows a typed array by doubling when the header did not say how many values come. */
function grown<T extends Uint8Array | Uint32Array>(array: T, needed: number): T {
  let capacity = Math.max(1024, array.length);
  while (capacity < needed) capacity *= 2;
  const bigger = new (array.constructor as new (length: number) => T)(capacity);
  bigger.set(array);
  return bigger;
}

export class NodeSink implements NumberSink {
  types: Uint8Array;
  names: Uint32Array;
  ids: Uint32Array;
  selfSizes: Uint32Array;
  /** Per node ordinal: its first edge ordinal; one more entry at the end. */
  firstEdges: Uint32Array;
  detachedness: Uint8Array | null;
  count = 0;
  private field = 0;
  private edgeTotal = 0;
  private readonly roles: Int8Array;
  private readonly typeCount: number;

  constructor(header: SnapshotHeader) {
    const fields = header.meta.node_fields;
    const required = ['type', 'name', 'id', 'self_size', 'edge_count'];
    const missing = required.filter((name) => !fields.includes(name));
    if (missing.length > 0) throw new Error(`snapshot.meta.node_fields lacks ${missing.join(', ')}`);
    this.roles = Int8Array.from(fields, (name) => ['type', 'name', 'id', 'self_size', 'edge_count', 'detachedness'].indexOf(name));
    this.typeCount = header.meta.node_types[0].length;
    const capacity = header.node_count ?? 0;
    this.types = new Uint8Array(capacity);
    this.names = new Uint32Array(capacity);
    this.ids = new Uint32Array(capacity);
    this.selfSizes = new Uint32Array(capacity);
    this.firstEdges = new Uint32Array(capacity + 1);
    this.detachedness = fields.includes('detachedness') ? new Uint8Array(capacity) : null;
  }

  put(value: number, offset: number): void {
    const ordinal = this.count;
    if (this.field === 0 && ordinal >= this.types.length) this.ensure(ordinal + 1);
    switch (this.roles[this.field]) {
      case 0:
        if (value >= this.typeCount) throw new HeapSnapshotParseError(`node ${ordinal} has type ${value}, but there are ${this.typeCount} node types`, offset);
        this.types[ordinal] = value;
        break;
      case 1:
        this.names[ordinal] = value;
        break;
      case 2:
        this.ids[ordinal] = value;
        break;
      case 3:
        this.selfSizes[ordinal] = value;
        break;
      case 4:
        this.edgeTotal += value;
        this.firstEdges[ordinal + 1] = this.edgeTotal;
        break;
      case 5:
        (this.detachedness as Uint8Array)[ordinal] = value;
        break;
    }
    if (++this.field === this.roles.length) {
      this.field = 0;
      this.count++;
    }
  }

  finish(offset: number): void {
    if (this.field !== 0) throw new HeapSnapshotParseError(`the nodes array ends in the middle of node ${this.count}`, offset);
    if (this.count < this.types.length) {
      throw new HeapSnapshotParseError(`the nodes array holds ${this.count} nodes, but the header says ${this.types.length}`, offset);
    }
  }

  get edgeCount(): number {
    return this.edgeTotal;
  }

  private ensure(nodes: number): void {
    this.types = grown(this.types, nodes);
    this.names = grown(this.names, nodes);
    this.ids = grown(this.ids, nodes);
    this.selfSizes = grown(this.selfSizes, nodes);
    this.firstEdges = grown(this.firstEdges, this.types.length + 1);
    if (this.detachedness) this.detachedness = grown(this.detachedness, nodes);
  }

  /** Drops the spare capacity left by growing (only when the header had no node_count). */
  trim(): void {
    if (this.types.length === this.count) return;
    this.types = this.types.slice(0, this.count);
    this.names = this.names.slice(0, this.count);
    this.ids = this.ids.slice(0, this.count);
    this.selfSizes = this.selfSizes.slice(0, this.count);
    this.firstEdges = this.firstEdges.slice(0, this.count + 1);
    if (this.detachedness) this.detachedness = this.detachedness.slice(0, this.count);
  }
}

export class EdgeSink implements NumberSink {
  types: Uint8Array;
  names: Uint32Array;
  /** Target node ordinals (the file has node indexes: ordinal × node field count). */
  targets: Uint32Array;
  count = 0;
  private field = 0;
  private readonly roles: Int8Array;
  private readonly typeCount: number;

  constructor(
    header: SnapshotHeader,
    private readonly nodeFieldCount: number,
    capacity: number,
  ) {
    const fields = header.meta.edge_fields;
    const missing = ['type', 'name_or_index', 'to_node'].filter((name) => !fields.includes(name));
    if (missing.length > 0) throw new Error(`snapshot.meta.edge_fields lacks ${missing.join(', ')}`);
    this.roles = Int8Array.from(fields, (name) => ['type', 'name_or_index', 'to_node'].indexOf(name));
    this.typeCount = header.meta.edge_types[0].length;
    this.types = new Uint8Array(capacity);
    this.names = new Uint32Array(capacity);
    this.targets = new Uint32Array(capacity);
  }

  put(value: number, offset: number): void {
    const ordinal = this.count;
    if (ordinal >= this.types.length) {
      throw new HeapSnapshotParseError(`the edges array holds more edges than the nodes' edge counts add up to (${this.types.length})`, offset);
    }
    switch (this.roles[this.field]) {
      case 0:
        if (value >= this.typeCount) throw new HeapSnapshotParseError(`edge ${ordinal} has type ${value}, but there are ${this.typeCount} edge types`, offset);
        this.types[ordinal] = value;
        break;
      case 1:
        this.names[ordinal] = value;
        break;
      case 2:
        if (value % this.nodeFieldCount !== 0) throw new HeapSnapshotParseError(`edge ${ordinal} points to ${value}, which is not a node index`, offset);
        this.targets[ordinal] = value / this.nodeFieldCount;
        break;
    }
    if (++this.field === this.roles.length) {
      this.field = 0;
      this.count++;
    }
  }

  finish(offset: number): void {
    if (this.field !== 0 || this.count !== this.types.length) {
      throw new HeapSnapshotParseError(`the edges array holds ${this.count} edges, but the nodes' edge counts add up to ${this.types.length}`, offset);
    }
  }
}

/**
 * `locations`: script positions of closures and of objects made by a script's constructor.
 * Each distinct (script, line, column) gets a small id; nodes keep id + 1 (0: none).
 */
export class LocationSink implements NumberSink {
  readonly nodeLocations: Uint32Array;
  /** Distinct locations, 3 numbers each: script id, line, column. */
  readonly positions: number[] = [];
  private readonly ids = new Map<number | string, number>();
  private readonly record: Float64Array;
  private field = 0;
  private readonly fieldOrder: number[];

  constructor(
    fields: string[],
    nodeCount: number,
    private readonly nodeFieldCount: number,
  ) {
    this.fieldOrder = ['object_index', 'script_id', 'line', 'column'].map((name) => fields.indexOf(name));
    if (this.fieldOrder.includes(-1)) throw new Error(`snapshot.meta.location_fields lacks some of object_index, script_id, line, column`);
    this.record = new Float64Array(fields.length);
    this.nodeLocations = new Uint32Array(nodeCount);
  }

  put(value: number, offset: number): void {
    this.record[this.field] = value;
    if (++this.field < this.record.length) return;
    this.field = 0;
    const [objectAt, scriptAt, lineAt, columnAt] = this.fieldOrder;
    const objectIndex = this.record[objectAt];
    const ordinal = objectIndex / this.nodeFieldCount;
    if (!(ordinal < this.nodeLocations.length) || objectIndex % this.nodeFieldCount !== 0) {
      throw new HeapSnapshotParseError(`a location points to ${objectIndex}, which is not a node index`, offset);
    }
    const scriptId = this.record[scriptAt];
    const line = this.record[lineAt];
    const column = this.record[columnAt];
    // One number as the key when the parts fit in 53 bits (always, in practice).
    const key = scriptId < 2 ** 14 && line < 2 ** 26 && column < 2 ** 13 ? (scriptId * 2 ** 26 + line) * 2 ** 13 + column : `${scriptId},${line},${column}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.positions.length / 3;
      this.positions.push(scriptId, line, column);
      this.ids.set(key, id);
    }
    this.nodeLocations[ordinal] = id + 1;
  }

  finish(offset: number): void {
    if (this.field !== 0) throw new HeapSnapshotParseError('the locations array ends in the middle of a location', offset);
  }
}

/** Numbers of a section we do not keep (`samples`, `trace_function_infos`). */
export const IGNORED_NUMBERS: NumberSink = { put: () => undefined, finish: () => undefined };
