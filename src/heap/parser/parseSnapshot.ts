/** Reads a `.heapsnapshot` file chunk by chunk into typed arrays (see tokenizer.ts). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { HeapSnapshotParseError } from './parseError';
import { EdgeSink, IGNORED_NUMBERS, LocationSink, NodeSink, type NumberSink, type SnapshotHeader } from './sinks';
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
  strings: StringTable;
  fileBytes: number;
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
      case 'samples':
      case 'trace_function_infos':
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
    strings,
    fileBytes,
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
