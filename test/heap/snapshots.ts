/** Heap snapshot test helpers: a synthetic snapshot writer and Chrome DevTools' model as the oracle. */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import type { HeapDiff, HeapSummary } from '../../src/protocol/heap';
import { analyzeHeap, summarize } from '../../src/heap/analysis/analyzeHeapGraph';
import { parseHeapSnapshotFile } from '../../src/heap/parser/parseSnapshot';

export interface SyntheticNode {
  type: string;
  name: string;
  id: number;
  size: number;
  detachedness?: number;
  edges?: Array<{ type: string; name: string | number; to: number }>;
  /** script id, line, column */
  location?: [number, number, number];
}

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];
const FIELDS = 7;

/** A `.heapsnapshot` in V8's format (edges refer to nodes by position in `nodes`). */
export function syntheticSnapshot(nodes: SyntheticNode[], extraStrings: string[] = []): string {
  const strings: string[] = [];
  const indexes = new Map<string, number>();
  const intern = (value: string) => {
    let index = indexes.get(value);
    if (index === undefined) indexes.set(value, (index = strings.push(value) - 1));
    return index;
  };
  const nodeRows: number[] = [];
  const edgeRows: number[] = [];
  const locations: number[] = [];
  nodes.forEach((node, ordinal) => {
    const edges = node.edges ?? [];
    nodeRows.push(NODE_TYPES.indexOf(node.type), intern(node.name), node.id, node.size, edges.length, 0, node.detachedness ?? 0);
    for (const edge of edges) {
      const named = edge.type !== 'element' && edge.type !== 'hidden';
      edgeRows.push(EDGE_TYPES.indexOf(edge.type), named ? intern(String(edge.name)) : Number(edge.name), edge.to * FIELDS);
    }
    if (node.location) locations.push(ordinal * FIELDS, ...node.location);
  });
  for (const extra of extraStrings) intern(extra);
  const meta = {
    node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
    node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
    edge_fields: ['type', 'name_or_index', 'to_node'],
    edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
    trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
    trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
    sample_fields: ['timestamp_us', 'last_assigned_id'],
    location_fields: ['object_index', 'script_id', 'line', 'column'],
  };
  const header = { meta, node_count: nodes.length, edge_count: edgeRows.length / 3, trace_function_count: 0 };
  return `{"snapshot":${JSON.stringify(header)},\n"nodes":[${nodeRows.join(',')}],\n"edges":[${edgeRows.join(',')}],\n"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n"locations":[${locations.join(',')}],\n"strings":[${strings.map((s) => JSON.stringify(s)).join(',\n')}]}`;
}

/** Every rule DevTools applies: weak, shortcut, self and debugger edges, WeakMaps, orphans, cycles, owned arrays, DOM state, interfaces, locations. */
export function ruleSnapshot(): string {
  const id = (ordinal: number) => 2 * ordinal + 1;
  const ephemeron = `1 / part of key (Key @${id(12)}) -> value (Val @${id(21)}) pair in WeakMap (table @${id(20)})`;
  const nodes: SyntheticNode[] = [
    { type: 'synthetic', name: '', id: id(0), size: 0, edges: [{ type: 'element', name: 1, to: 1 }, { type: 'shortcut', name: 'global', to: 2 }] },
    { type: 'synthetic', name: '(GC roots)', id: id(1), size: 0, edges: [{ type: 'element', name: 1, to: 3 }, { type: 'element', name: 2, to: 14 }, { type: 'element', name: 3, to: 2 }] },
    {
      type: 'object', name: 'global', id: id(2), size: 24,
      edges: [
        ['foo', 4], ['bar', 5], ['p1', 6], ['p2', 7], ['p3', 8], ['map', 9], ['fn', 10], ['wm', 11], ['key', 12], ['div', 16], ['rx', 25], ['cs', 26],
      ].map(([name, to]) => ({ type: 'property', name, to: to as number })),
    },
    { type: 'hidden', name: 'system / Context', id: id(3), size: 40, edges: [{ type: 'context', name: 'x', to: 4 }] },
    {
      type: 'object', name: 'Foo', id: id(4), size: 32, location: [1, 10, 2],
      edges: [{ type: 'internal', name: 'elements', to: 13 }, { type: 'weak', name: 'w', to: 19 }, { type: 'weak', name: 'w2', to: 27 }, { type: 'shortcut', name: 'sc', to: 5 }, { type: 'property', name: 'me', to: 4 }],
    },
    { type: 'object', name: 'Foo', id: id(5), size: 48, location: [2, 3, 4], edges: [{ type: 'property', name: 'child', to: 4 }] },
    ...[6, 7, 8].map((ordinal): SyntheticNode => ({ type: 'object', name: 'Object', id: id(ordinal), size: 16, edges: [{ type: 'property', name: 'x', to: 18 }, { type: 'property', name: 'y', to: 18 }, { type: 'property', name: '__proto__', to: 19 }] })),
    { type: 'object', name: 'Map', id: id(9), size: 20, edges: [{ type: 'internal', name: 'table', to: 15 }] },
    { type: 'closure', name: 'doIt', id: id(10), size: 28, location: [1, 20, 0], edges: [{ type: 'internal', name: 'context', to: 3 }, { type: 'internal', name: 'code', to: 17 }] },
    { type: 'object', name: 'WeakMap', id: id(11), size: 24, edges: [{ type: 'internal', name: 'table', to: 20 }] },
    { type: 'object', name: 'Key', id: id(12), size: 12, edges: [{ type: 'internal', name: ephemeron, to: 21 }] },
    { type: 'array', name: '', id: id(13), size: 64 },
    { type: 'object', name: 'DebuggerThing', id: id(14), size: 8, edges: [{ type: 'property', name: 'ref', to: 6 }] },
    { type: 'array', name: '(object elements)', id: id(15), size: 100, edges: [{ type: 'element', name: 0, to: 5 }] },
    { type: 'native', name: '<div id="a">', id: id(16), size: 50, detachedness: 2, edges: [{ type: 'property', name: 'child', to: 22 }] },
    { type: 'code', name: 'doIt', id: id(17), size: 60 },
    { type: 'string', name: 'hello', id: id(18), size: 20 },
    { type: 'object', name: 'Orphan', id: id(19), size: 10 },
    { type: 'array', name: 'WeakMap table', id: id(20), size: 30, edges: [{ type: 'internal', name: ephemeron, to: 21 }] },
    { type: 'object', name: 'Val', id: id(21), size: 30 },
    { type: 'native', name: '<span>', id: id(22), size: 5 },
    { type: 'object', name: 'Cyc', id: id(23), size: 7, edges: [{ type: 'property', name: 'other', to: 24 }] },
    { type: 'object', name: 'Cyc', id: id(24), size: 9, edges: [{ type: 'property', name: 'other', to: 23 }] },
    { type: 'regexp', name: '/a/', id: id(25), size: 11 },
    { type: 'concatenated string', name: 'ab', id: id(26), size: 13 },
    // Held only weakly (by Foo), so an orphan the root adopts, with a child it dominates.
    { type: 'object', name: 'WeaklyHeld', id: id(27), size: 6, edges: [{ type: 'property', name: 'child', to: 28 }] },
    { type: 'object', name: 'WeakChild', id: id(28), size: 3 },
  ];
  return syntheticSnapshot(nodes);
}

interface DevToolsSnapshot {
  uid?: number;
  interfaceDefinitions(): Promise<string>;
  aggregatesForDiff(interfaceDefinitions: string): Promise<unknown>;
  calculateSnapshotDiff(baseUid: number | undefined, base: unknown): Promise<Record<string, { name: string; addedCount: number; removedCount: number; countDelta: number; addedSize: number; removedSize: number; sizeDelta: number }>>;
  nodeCount: number;
  totalSize: number;
  retainedSizes: Float64Array;
  dominatorsTree: Uint32Array;
  aggregatesWithFilter(filter: object): Record<string, { name: string; count: number; self: number; maxRet: number }>;
}

/** Chrome DevTools' own HeapSnapshot model (the dev dependency heap-snapshot-toolkit). */
export async function devToolsSnapshot(file: string): Promise<DevToolsSnapshot> {
  const toolkit = (await import('heap-snapshot-toolkit')) as unknown as { parse(stream: NodeJS.ReadableStream): Promise<DevToolsSnapshot> };
  return toolkit.parse(createReadStream(file, 'utf8'));
}

/** DevTools' Summary in our JSON shape. */
export function devToolsSummary(snapshot: DevToolsSnapshot, edgeCount: number): HeapSummary {
  const constructors = Object.values(snapshot.aggregatesWithFilter({})).map(({ name, count, self, maxRet }) => ({ name, count, selfSize: self, retainedSize: maxRet }));
  return { nodeCount: snapshot.nodeCount, edgeCount, totalSize: snapshot.totalSize, constructors };
}

const byContent = (a: HeapSummary['constructors'][number], b: HeapSummary['constructors'][number]) =>
  a.name.localeCompare(b.name) || a.count - b.count || a.selfSize - b.selfSize || a.retainedSize - b.retainedSize;

/**
 * Asserts that our analysis of `file` equals DevTools': node and edge counts, every class's
 * count, self size and retained size, and every node's dominator and retained size.
 */
export async function assertMatchesDevTools(file: string): Promise<HeapSummary> {
  const analysis = analyzeHeap(parseHeapSnapshotFile(file));
  const ours = summarize(analysis);
  const devtools = await devToolsSnapshot(file);
  const theirs = devToolsSummary(devtools, ours.edgeCount);
  assert.equal(ours.nodeCount, theirs.nodeCount);
  assert.equal(ours.totalSize, theirs.totalSize);
  assert.deepEqual([...ours.constructors].sort(byContent), [...theirs.constructors].sort(byContent));
  let mismatches = 0;
  for (let node = 0; node < ours.nodeCount; node++) {
    if (analysis.retainedSizes[node] !== devtools.retainedSizes[node] || analysis.dominators[node] !== devtools.dominatorsTree[node]) mismatches++;
  }
  assert.equal(mismatches, 0, 'nodes whose dominator or retained size differs from DevTools');
  return ours;
}

/**
 * Asserts that a diff equals DevTools' Comparison view, computed as its data grid does: the
 * base snapshot is classified with the current snapshot's interface definitions.
 */
export async function assertDiffMatchesDevTools(ours: HeapDiff, beforeFile: string, afterFile: string): Promise<void> {
  const before = await devToolsSnapshot(beforeFile);
  const after = await devToolsSnapshot(afterFile);
  const base = await before.aggregatesForDiff(await after.interfaceDefinitions());
  const theirs = Object.values(await after.calculateSnapshotDiff(before.uid, base)).map((d) => ({
    name: d.name,
    newCount: d.addedCount,
    deletedCount: d.removedCount,
    deltaCount: d.countDelta,
    allocSize: d.addedSize,
    freedSize: d.removedSize,
    sizeDelta: d.sizeDelta,
  }));
  const order = (a: HeapDiff['constructors'][number], b: HeapDiff['constructors'][number]) => a.name.localeCompare(b.name) || a.newCount - b.newCount || a.deletedCount - b.deletedCount || a.allocSize - b.allocSize;
  // DevTools keys classes by location too but does not list it: compare without ours.
  const comparable = ours.constructors.map(({ location: _location, ...rest }) => rest);
  assert.deepEqual(comparable.sort(order), theirs.sort(order));
}
