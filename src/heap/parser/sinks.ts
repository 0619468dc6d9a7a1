/**
 * Where the numbers of the `nodes`, `edges`, `locations` and allocation-trace arrays go as they
 * are tokenised: straight into per-field typed arrays, never into a JS array of the whole section.
 */
import { HeapSnapshotParseError } from './parseError';

export interface NumberSink {
  put(value: number, offset: number): void;
  /** Called at the closing bracket; throws if the array is incomplete. */
  finish(offset: number): void;
  /**
   * Only for a nested array (`trace_tree`): a `[` inside it, and the matching `]`. A flat sink
   * leaves them out, and a `[` inside its array is an error.
   */
  open?(offset: number): void;
  close?(offset: number): void;
}

/** The `snapshot` object at the head of the file (only the fields used here). */
export interface SnapshotHeader {
  meta: {
    node_fields: string[];
    node_types: [string[], ...unknown[]];
    edge_fields: string[];
    edge_types: [string[], ...unknown[]];
    location_fields?: string[];
    /** Present in V8's snapshots; the sections they describe are empty unless allocations were tracked. */
    trace_function_info_fields?: string[];
    trace_node_fields?: string[];
  };
  node_count?: number;
  edge_count?: number;
  trace_function_count?: number;
  root_index?: number;
  extra_native_bytes?: number;
}

/** Grows a typed array by doubling when the header did not say how many values come. */
function grown<T extends Uint8Array | Uint32Array | Int32Array>(array: T, needed: number): T {
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
  /** Per node: its allocation trace node id; allocated at the first non-zero one (V8 writes zeros unless allocations were tracked). */
  traceNodeIds: Uint32Array | null = null;
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
    this.roles = Int8Array.from(fields, (name) => ['type', 'name', 'id', 'self_size', 'edge_count', 'detachedness', 'trace_node_id'].indexOf(name));
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
      case 6:
        if (value !== 0) (this.traceNodeIds ??= new Uint32Array(this.types.length))[ordinal] = value;
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
    if (this.traceNodeIds) this.traceNodeIds = grown(this.traceNodeIds, nodes);
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
    if (this.traceNodeIds) this.traceNodeIds = this.traceNodeIds.slice(0, this.count);
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

/**
 * `trace_function_infos`: the functions of V8's allocation stacks, one record per function. V8
 * writes a function's position 1-based with 0 for unknown (`SerializePosition` in
 * heap-snapshot-generator.cc); they are kept 0-based here, -1 for unknown, like `locations`.
 */
export class TraceFunctionSink implements NumberSink {
  /** String table indexes. */
  names: Uint32Array;
  scriptNames: Uint32Array;
  scriptIds: Uint32Array;
  /** Where the function is defined (not where it allocated: V8 records no more), 0-based; -1 unknown. */
  lines: Int32Array;
  columns: Int32Array;
  count = 0;
  private field = 0;
  private readonly roles: Int8Array;

  constructor(fields: string[], expected: number) {
    const required = ['name', 'script_name', 'script_id', 'line', 'column'];
    const missing = required.filter((name) => !fields.includes(name));
    if (missing.length > 0) throw new Error(`snapshot.meta.trace_function_info_fields lacks ${missing.join(', ')}`);
    this.roles = Int8Array.from(fields, (name) => required.indexOf(name));
    this.names = new Uint32Array(expected);
    this.scriptNames = new Uint32Array(expected);
    this.scriptIds = new Uint32Array(expected);
    this.lines = new Int32Array(expected);
    this.columns = new Int32Array(expected);
  }

  put(value: number): void {
    const ordinal = this.count;
    if (this.field === 0 && ordinal >= this.names.length) {
      this.names = grown(this.names, ordinal + 1);
      this.scriptNames = grown(this.scriptNames, ordinal + 1);
      this.scriptIds = grown(this.scriptIds, ordinal + 1);
      this.lines = grown(this.lines, ordinal + 1);
      this.columns = grown(this.columns, ordinal + 1);
    }
    switch (this.roles[this.field]) {
      case 0:
        this.names[ordinal] = value;
        break;
      case 1:
        this.scriptNames[ordinal] = value;
        break;
      case 2:
        this.scriptIds[ordinal] = value;
        break;
      case 3:
        this.lines[ordinal] = value - 1;
        break;
      case 4:
        this.columns[ordinal] = value - 1;
        break;
    }
    if (++this.field === this.roles.length) {
      this.field = 0;
      this.count++;
    }
  }

  finish(offset: number): void {
    if (this.field !== 0) throw new HeapSnapshotParseError(`the trace_function_infos array ends in the middle of function ${this.count}`, offset);
  }
}

/**
 * `trace_tree`: V8's allocation stacks as a call tree, each node `[id, function_info_index,
 * count, size, [children…]]` (field order from `meta.trace_node_fields`), read as it streams:
 * per trace node, in the order met, its id, its parent's order + 1 (0 for a root) and its
 * function. Allocation counts and sizes are not kept (the snapshot's own nodes say what lives).
 */
export class TraceTreeSink implements NumberSink {
  ids: Uint32Array = new Uint32Array(0);
  parents: Uint32Array = new Uint32Array(0);
  functions: Uint32Array = new Uint32Array(0);
  count = 0;
  private readonly roles: Int8Array;
  /** Field expected next at the current depth, the trace node being read there (-1 before its first field) and its parent (-1 at the top). */
  private field = 0;
  private node = -1;
  private parent = -1;
  private readonly outer: Array<{ field: number; node: number; parent: number }> = [];

  constructor(fields: string[]) {
    const required = ['id', 'function_info_index', 'children'];
    const missing = required.filter((name) => !fields.includes(name));
    if (missing.length > 0) throw new Error(`snapshot.meta.trace_node_fields lacks ${missing.join(', ')}`);
    this.roles = Int8Array.from(fields, (name) => required.indexOf(name));
  }

  put(value: number, offset: number): void {
    this.beginField();
    switch (this.roles[this.field]) {
      case 0:
        this.ids[this.node] = value;
        break;
      case 1:
        this.functions[this.node] = value;
        break;
      case 2:
        throw new HeapSnapshotParseError(`trace node ${this.count - 1} has a number where its children array belongs`, offset);
    }
    this.field = (this.field + 1) % this.roles.length;
  }

  open(offset: number): void {
    this.beginField();
    if (this.roles[this.field] !== 2) throw new HeapSnapshotParseError(`trace node ${this.count - 1} has an array where a number belongs`, offset);
    this.outer.push({ field: this.field, node: this.node, parent: this.parent });
    this.parent = this.node;
    this.node = -1;
    this.field = 0;
  }

  close(offset: number): void {
    const outer = this.outer.pop();
    if (this.field !== 0 || !outer) throw new HeapSnapshotParseError(`a children array of the trace tree ends in the middle of trace node ${this.count - 1}`, offset);
    ({ node: this.node, parent: this.parent } = outer);
    this.field = (outer.field + 1) % this.roles.length;
  }

  finish(offset: number): void {
    if (this.field !== 0 || this.outer.length > 0) throw new HeapSnapshotParseError(`the trace_tree array ends in the middle of trace node ${this.count - 1}`, offset);
  }

  /** At the first field of a trace node: a new one, child of the node whose children are being read. */
  private beginField(): void {
    if (this.field !== 0) return;
    this.node = this.count++;
    if (this.node >= this.ids.length) {
      this.ids = grown(this.ids, this.count);
      this.parents = grown(this.parents, this.count);
      this.functions = grown(this.functions, this.count);
    }
    this.parents[this.node] = this.parent + 1;
  }
}

/** Numbers of a section we do not keep (`samples`). */
export const IGNORED_NUMBERS: NumberSink = { put: () => undefined, finish: () => undefined };
