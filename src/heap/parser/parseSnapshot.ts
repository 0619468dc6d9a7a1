/** Reads a `.heapsnapshot` file chunk by chunk into typed arrays (see tokenizer.ts). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { HeapSnapshotParseError } from './parseError';
import { EdgeSink, IGNORED_NUMBERS, LocationSink, NodeSink, TraceFunctionSink, TraceTreeSink, type NumberSink, type SnapshotHeader } from './sinks';
import { StringTable } from './stringTable';
import { SnapshotTokenizer, type SectionHandler } from './tokenizer';

/** The parsed snapshot: one typed array per node and edge field, strings decoded on demand. */
export interface RawHeapSnapshot {
  header: SnapshotHeader;
  nodeCount: number;
  edgeCount: number;
  /** Index of the root node's ordinal. */
  rootOrdinal: number;
  nodeTypes: Uint8Array;
  nodeNames: Uint32Array;
  nodeIds: Uint32Array;
  nodeSelfSizes: Uint32Array;
  /** nodeCount + 1 entries: a node's edges are firstEdges[n] .. firstEdges[n + 1] - 1. */
  firstEdges: Uint32Array;
  nodeDetachedness: Uint8Array | null;
  edgeTypes: Uint8Array;
  edgeNames: Uint32Array;
  edgeTargets: Uint32Array;
  /** Per node: 1 + its index in `locationPositions` / 3, or 0. */
  nodeLocations: Uint32Array | null;
  /** script id, line, column per distinct location. */
  locationPositions: number[];
  /** Per node: the id of the allocation trace node that allocated it, 0 if unknown; null when no node has one. */
  nodeTraceIds: Uint32Array | null;
  /** The allocation stacks, when the snapshot was taken with allocation tracking on. */
  allocationTrace: AllocationTrace | null;
  strings: StringTable;
  fileBytes: number;
}

/**
 * V8's allocation stacks (a snapshot taken while `HeapProfiler.startTrackingHeapObjects` with
 * `trackAllocations` ran): a call tree whose node ids the snapshot's nodes name (`nodeTraceIds`).
 * Arrays by trace node id (V8 numbers them 1, 2, … as it meets new stacks), then by function.
 */
export interface AllocationTrace {
  /** Per trace node id: its caller's trace node id, 0 for the root. */
  parentIds: Uint32Array;
  /** Per trace node id: its function (an index of the function arrays below), -1 for an id not in the tree. */
  functionIndexes: Int32Array;
  /** Per function: its name and its script's name (string table indexes), the script id. */
  functionNames: Uint32Array;
  scriptNames: Uint32Array;
  scriptIds: Uint32Array;
  /** Per function: where it is defined, 0-based; -1 when V8 did not know. */
  lines: Int32Array;
  columns: Int32Array;
}

export interface ParseOptions {
  /** Bytes read at a time (default 4 MiB). */
  chunkSize?: number;
  /** Called after each chunk with the bytes read so far. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** Collects the sections as the tokenizer meets them. */
class SnapshotBuilder implements SectionHandler {
  header: SnapshotHeader | undefined;
  nodes: NodeSink | undefined;
  edges: EdgeSink | undefined;
  locations: LocationSink | undefined;
  traceFunctions: TraceFunctionSink | undefined;
  traceTree: TraceTreeSink | undefined;
  readonly strings = new StringTable();

  requireHeader(offset: number): SnapshotHeader {
    if (!this.header) throw new HeapSnapshotParseError('a section comes before the "snapshot" header', offset);
    return this.header;
  }

  onHeader(header: SnapshotHeader, offset: number): void {
    const meta = header?.meta;
    if (!meta || !Array.isArray(meta.node_fields) || !Array.isArray(meta.edge_fields) || !Array.isArray(meta.node_types?.[0]) || !Array.isArray(meta.edge_types?.[0])) {
      throw new HeapSnapshotParseError('the "snapshot" header has no usable "meta" (node_fields, node_types, edge_fields, edge_types)', offset);
    }
    this.header = header;
  }

  numberArray(key: string, offset: number): NumberSink | undefined {
    switch (key) {
      case 'nodes':
        return (this.nodes = this.wrap(() => new NodeSink(this.requireHeader(offset)), offset));
      case 'edges': {
        const header = this.requireHeader(offset);
        if (!this.nodes) throw new HeapSnapshotParseError('"edges" comes before "nodes"', offset);
        const total = this.nodes.edgeCount;
        if (header.edge_count !== undefined && header.edge_count !== total) {
          throw new HeapSnapshotParseError(`the nodes' edge counts add up to ${total}, but the header says ${header.edge_count} edges`, offset);
        }
        const nodes = this.nodes;
        return (this.edges = this.wrap(() => new EdgeSink(header, header.meta.node_fields.length, nodes.edgeCount), offset));
      }
      case 'locations': {
        const header = this.requireHeader(offset);
        if (!header.meta.location_fields || !this.nodes) return IGNORED_NUMBERS;
        const fields = header.meta.location_fields;
        const nodes = this.nodes;
        return (this.locations = this.wrap(() => new LocationSink(fields, nodes.count, header.meta.node_fields.length), offset));
      }
      case 'trace_function_infos': {
        const header = this.requireHeader(offset);
        const fields = header.meta.trace_function_info_fields;
        if (!fields) return IGNORED_NUMBERS;
        return (this.traceFunctions = this.wrap(() => new TraceFunctionSink(fields, header.trace_function_count ?? 0), offset));
      }
      case 'trace_tree': {
        const fields = this.requireHeader(offset).meta.trace_node_fields;
        // Without the field names the nesting cannot be read: skipped as an unknown value.
        if (!fields) return undefined;
        return (this.traceTree = this.wrap(() => new TraceTreeSink(fields), offset));
      }
      case 'samples':
        return IGNORED_NUMBERS;
      default:
        return undefined;
    }
  }

  stringArray(key: string): StringTable | undefined {
    return key === 'strings' ? this.strings : undefined;
  }

  private wrap<T>(make: () => T, offset: number): T {
    try {
      return make();
    } catch (error) {
      if (error instanceof HeapSnapshotParseError) throw error;
      throw new HeapSnapshotParseError((error as Error).message, offset);
    }
  }
}

/** Parses a whole snapshot file. Throws HeapSnapshotParseError (with the file name) if it is not one. */
export function parseHeapSnapshotFile(file: string, options: ParseOptions = {}): RawHeapSnapshot {
  const fd = openSync(file, 'r');
  try {
    const totalBytes = fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(options.chunkSize ?? 4 * 1024 * 1024);
    const builder = new SnapshotBuilder();
    const tokenizer = new SnapshotTokenizer(builder);
    try {
      let read = 0;
      for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
        tokenizer.write(chunk.subarray(0, n));
        read += n;
        options.onProgress?.(read, totalBytes);
      }
      tokenizer.end();
      return finish(builder, read);
    } catch (error) {
      throw error instanceof HeapSnapshotParseError ? error.withFile(file) : error;
    }
  } finally {
    closeSync(fd);
  }
}

/** Parses a snapshot given as chunks (tests, or data that is not in a file). */
export function parseHeapSnapshotChunks(chunks: Iterable<Uint8Array>): RawHeapSnapshot {
  const builder = new SnapshotBuilder();
  const tokenizer = new SnapshotTokenizer(builder);
  let read = 0;
  for (const chunk of chunks) {
    tokenizer.write(chunk);
    read += chunk.length;
  }
  tokenizer.end();
  return finish(builder, read);
}

function finish(builder: SnapshotBuilder, fileBytes: number): RawHeapSnapshot {
  const { header, nodes, edges, strings } = builder;
  if (!header) throw new HeapSnapshotParseError('there is no "snapshot" header', fileBytes);
  if (!nodes) throw new HeapSnapshotParseError('there is no "nodes" array', fileBytes);
  if (!edges) throw new HeapSnapshotParseError('there is no "edges" array', fileBytes);
  if (nodes.count === 0) throw new HeapSnapshotParseError('the snapshot has no nodes', fileBytes);
  nodes.trim();
  strings.trim();
  checkStringIndexes(nodes.names, strings.count, 'node', fileBytes);
  const nameIsString = edgeTypesWithStringNames(header);
  for (let e = 0; e < edges.count; e++) {
    if (nameIsString[edges.types[e]] && edges.names[e] >= strings.count) {
      throw new HeapSnapshotParseError(`edge ${e} is named by string ${edges.names[e]}, but there are ${strings.count} strings`, fileBytes);
    }
    if (edges.targets[e] >= nodes.count) throw new HeapSnapshotParseError(`edge ${e} points to node ${edges.targets[e]}, but there are ${nodes.count} nodes`, fileBytes);
  }
  const fieldCount = header.meta.node_fields.length;
  const rootIndex = header.root_index ?? 0;
  if (rootIndex % fieldCount !== 0 || rootIndex / fieldCount >= nodes.count) {
    throw new HeapSnapshotParseError(`the root index ${rootIndex} is not a node`, fileBytes);
  }
  return {
    header,
    nodeCount: nodes.count,
    edgeCount: edges.count,
    rootOrdinal: rootIndex / fieldCount,
    nodeTypes: nodes.types,
    nodeNames: nodes.names,
    nodeIds: nodes.ids,
    nodeSelfSizes: nodes.selfSizes,
    firstEdges: nodes.firstEdges,
    nodeDetachedness: nodes.detachedness,
    edgeTypes: edges.types,
    edgeNames: edges.names,
    edgeTargets: edges.targets,
    nodeLocations: builder.locations?.nodeLocations ?? null,
    locationPositions: builder.locations?.positions ?? [],
    ...allocationTraceOf(builder, nodes.traceNodeIds, fileBytes),
    strings,
    fileBytes,
  };
}

/** The allocation trace, checked against the nodes and strings that name it; nothing when the snapshot has none. */
function allocationTraceOf(builder: SnapshotBuilder, nodeTraceIds: Uint32Array | null, offset: number): Pick<RawHeapSnapshot, 'nodeTraceIds' | 'allocationTrace'> {
  const { traceTree: tree, traceFunctions: functions, strings } = builder;
  if (!tree || tree.count === 0) {
    if (nodeTraceIds) throw new HeapSnapshotParseError('nodes name allocation trace nodes, but the snapshot has no trace_tree', offset);
    return { nodeTraceIds: null, allocationTrace: null };
  }
  const functionCount = functions?.count ?? 0;
  let maxId = 0;
  for (let t = 0; t < tree.count; t++) maxId = Math.max(maxId, tree.ids[t]);
  // V8 numbers trace nodes 1…n; a sparse numbering would make the by-id arrays huge.
  if (maxId > 4 * tree.count + 1024) throw new HeapSnapshotParseError(`trace node ids go up to ${maxId} for ${tree.count} trace nodes`, offset);
  const parentIds = new Uint32Array(maxId + 1);
  const functionIndexes = new Int32Array(maxId + 1).fill(-1);
  for (let t = 0; t < tree.count; t++) {
    const id = tree.ids[t];
    if (functionIndexes[id] !== -1) throw new HeapSnapshotParseError(`trace node id ${id} appears twice`, offset);
    if (tree.functions[t] >= functionCount) throw new HeapSnapshotParseError(`trace node ${id} names function ${tree.functions[t]}, but there are ${functionCount} trace functions`, offset);
    functionIndexes[id] = tree.functions[t];
    parentIds[id] = tree.parents[t] === 0 ? 0 : tree.ids[tree.parents[t] - 1];
  }
  if (nodeTraceIds) {
    for (let n = 0; n < nodeTraceIds.length; n++) {
      const id = nodeTraceIds[n];
      if (id !== 0 && !(functionIndexes[id] >= 0)) throw new HeapSnapshotParseError(`node ${n} names allocation trace node ${id}, which is not in the trace_tree`, offset);
    }
  }
  const trace = functions as TraceFunctionSink;
  checkStringIndexes(trace.names.subarray(0, functionCount), strings.count, 'trace function', offset);
  checkStringIndexes(trace.scriptNames.subarray(0, functionCount), strings.count, 'trace function script', offset);
  return {
    nodeTraceIds,
    allocationTrace: {
      parentIds,
      functionIndexes,
      functionNames: trace.names.slice(0, functionCount),
      scriptNames: trace.scriptNames.slice(0, functionCount),
      scriptIds: trace.scriptIds.slice(0, functionCount),
      lines: trace.lines.slice(0, functionCount),
      columns: trace.columns.slice(0, functionCount),
    },
  };
}

function checkStringIndexes(indexes: Uint32Array, count: number, what: string, offset: number): void {
  for (let i = 0; i < indexes.length; i++) {
    if (indexes[i] >= count) throw new HeapSnapshotParseError(`${what} ${i} is named by string ${indexes[i]}, but there are ${count} strings`, offset);
  }
}

/** Element and hidden edges carry an index; the others a string. */
function edgeTypesWithStringNames(header: SnapshotHeader): boolean[] {
  return header.meta.edge_types[0].map((type) => type !== 'element' && type !== 'hidden');
}
