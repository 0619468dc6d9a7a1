/**
 * The parser's allocation trace (node `trace_node_id`, `trace_function_infos`, `trace_tree`) on
 * snapshots of a real process taken over CDP: one with allocation tracking on, checked against
 * JSON.parse of the same file and against the function the target allocated with, and one
 * without, which must cost nothing. Then broken trace sections, which must be parse errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { attach } from '../../src/cdp';
import { HeapSnapshotParseError, takeHeapSnapshot } from '../../src/heap';
import { parseHeapSnapshotChunks, parseHeapSnapshotFile, type RawHeapSnapshot } from '../../src/heap/parser/parseSnapshot';
import { startAllocationTracking } from '../../src/heap/snapshot';
import { spawnProcess } from '../helpers/inspectedProcess';
import { syntheticSnapshot } from './snapshots';

const dir = mkdtempSync(path.join(tmpdir(), 'allocation-trace-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TARGET = path.join(dir, 'entries.js');
writeFileSync(
  TARGET,
  [
    'const kept = [];',
    '',
    'function makeEntry(n) {',
    "  return { entryNumber: n, entryLabel: 'entry-' + n };",
    '}',
    '',
    'setInterval(() => { for (let i = 0; i < 20; i++) kept.push(makeEntry(kept.length)); }, 10);',
    "console.log('ready');",
  ].join('\n'),
);
/** 0-based, as V8 positions a function: at its parameter list. */
const MAKE_ENTRY = { line: 2, column: 'function makeEntry'.length };

interface JsonSnapshot {
  snapshot: { meta: { node_fields: string[]; trace_function_info_fields: string[]; trace_node_fields: string[] } };
  nodes: number[];
  edges: number[];
  trace_function_infos: number[];
  trace_tree: unknown[];
  strings: string[];
}

/** The same facts as the parser keeps, read the plain way from JSON.parse. */
function oracle(json: JsonSnapshot) {
  const { meta } = json.snapshot;
  const nodeFields = meta.node_fields.length;
  const traceAt = meta.node_fields.indexOf('trace_node_id');
  const nodeTraceIds = json.nodes.filter((_, i) => i % nodeFields === traceAt);
  const infoFields = meta.trace_function_info_fields;
  const functions: Array<{ name: string; script: string; scriptId: number; line: number; column: number }> = [];
  for (let i = 0; i < json.trace_function_infos.length; i += infoFields.length) {
    const field = (name: string) => json.trace_function_infos[i + infoFields.indexOf(name)];
    functions.push({ name: json.strings[field('name')], script: json.strings[field('script_name')], scriptId: field('script_id'), line: field('line') - 1, column: field('column') - 1 });
  }
  const treeFields = meta.trace_node_fields;
  const parents = new Map<number, { parent: number; fn: number }>();
  const walk = (array: unknown[], parent: number) => {
    for (let i = 0; i < array.length; i += treeFields.length) {
      const id = array[i + treeFields.indexOf('id')] as number;
      parents.set(id, { parent, fn: array[i + treeFields.indexOf('function_info_index')] as number });
      walk(array[i + treeFields.indexOf('children')] as unknown[], id);
    }
  };
  walk(json.trace_tree, 0);
  return { nodeTraceIds, functions, parents };
}

function functionOf(raw: RawHeapSnapshot, traceId: number) {
  const trace = raw.allocationTrace!;
  const fn = trace.functionIndexes[traceId];
  return { name: raw.strings.get(trace.functionNames[fn]), script: raw.strings.get(trace.scriptNames[fn]), line: trace.lines[fn], column: trace.columns[fn] };
}

/** Objects with an `entryLabel` property (a string: a snapshot has no edges to small integers): what the target's makeEntry made. */
function entries(raw: RawHeapSnapshot): number[] {
  const found: number[] = [];
  const property = raw.header.meta.edge_types[0].indexOf('property');
  for (let node = 0; node < raw.nodeCount; node++) {
    for (let e = raw.firstEdges[node]; e < raw.firstEdges[node + 1]; e++) {
      if (raw.edgeTypes[e] === property && raw.strings.get(raw.edgeNames[e]) === 'entryLabel') found.push(node);
    }
  }
  return found;
}

test('a snapshot taken with allocation tracking: every node\'s trace and the whole trace tree as JSON.parse reads them, entries traced to makeEntry', async (t) => {
  const target = spawnProcess(t, process.execPath, ['--inspect=127.0.0.1:0', TARGET]);
  const [, url] = await target.waitForOutput(/Debugger listening on (ws:\/\/\S+)/, 10_000);
  await target.waitForOutput(/ready/, 10_000);
  const connection = await attach(url);
  t.after(() => connection.close());
  await new Promise((resolve) => setTimeout(resolve, 100));

  const untracked = path.join(dir, 'untracked.heapsnapshot');
  await takeHeapSnapshot(connection, untracked);
  const plain = parseHeapSnapshotFile(untracked);
  assert.equal(plain.nodeTraceIds, null, 'no trace ids without tracking');
  assert.equal(plain.allocationTrace, null);
  assert.ok(entries(plain).length > 0);

  await startAllocationTracking(connection);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const tracked = path.join(dir, 'tracked.heapsnapshot');
  await takeHeapSnapshot(connection, tracked, { stopsAllocationTracking: true });

  const bytes = readFileSync(tracked);
  const expected = oracle(JSON.parse(bytes.toString('utf8')) as JsonSnapshot);
  // Odd chunk sizes split the nested trace_tree anywhere, brackets included.
  for (const raw of [parseHeapSnapshotFile(tracked), parseHeapSnapshotChunks(Array.from({ length: Math.ceil(bytes.length / 997) }, (_, i) => bytes.subarray(i * 997, (i + 1) * 997)))]) {
    assert.ok(raw.nodeTraceIds && raw.allocationTrace, 'the tracked snapshot has an allocation trace');
    assert.deepEqual([...raw.nodeTraceIds], expected.nodeTraceIds);
    const trace = raw.allocationTrace;
    assert.deepEqual(
      Array.from(trace.functionNames, (_, fn) => ({ name: raw.strings.get(trace.functionNames[fn]), script: raw.strings.get(trace.scriptNames[fn]), scriptId: trace.scriptIds[fn], line: trace.lines[fn], column: trace.columns[fn] })),
      expected.functions,
    );
    assert.ok(expected.parents.size > 1);
    for (const [id, { parent, fn }] of expected.parents) {
      assert.equal(trace.parentIds[id], parent, `parent of trace node ${id}`);
      assert.equal(trace.functionIndexes[id], fn, `function of trace node ${id}`);
    }

    // What the target kept while tracking ran was allocated by makeEntry, at its definition, called from the timer.
    const traced = entries(raw).filter((node) => raw.nodeTraceIds![node] !== 0);
    assert.ok(traced.length >= 100, `${traced.length} traced entries`);
    for (const node of traced) {
      const traceId: number = raw.nodeTraceIds[node];
      assert.deepEqual(functionOf(raw, traceId), { name: 'makeEntry', script: TARGET, ...MAKE_ENTRY });
      const callers: string[] = [];
      for (let id = trace.parentIds[traceId]; id !== 0; id = trace.parentIds[id]) callers.push(functionOf(raw, id).name);
      assert.equal(callers.at(-1), '(root)');
      assert.ok(callers.includes('listOnTimeout'), callers.join(' < '));
    }
  }

  // Tracking stopped with that snapshot: the next one has no trace again.
  const later = path.join(dir, 'later.heapsnapshot');
  await takeHeapSnapshot(connection, later);
  assert.equal(parseHeapSnapshotFile(later).allocationTrace, null);
});

/** A synthetic snapshot whose trace sections are replaced. */
function withTrace(nodeTraceId: number, functionInfos: number[], tree: string): string {
  const text = syntheticSnapshot([
    { type: 'synthetic', name: '', id: 1, size: 0, edges: [{ type: 'element', name: 1, to: 1 }] },
    { type: 'object', name: 'Thing', id: 3, size: 16 },
  ]);
  // Node 1's row is `3,<name>,3,16,0,<trace_node_id>,0`: its trace id is the sixth field.
  return text
    .replace(/"nodes":\[(\d+,\d+,\d+,\d+,\d+,\d+,\d+),(\d+),(\d+),(\d+),(\d+),(\d+),0,/, (_, first, type, name, id, size, edges) => `"nodes":[${first},${type},${name},${id},${size},${edges},${nodeTraceId},`)
    .replace('"trace_function_infos":[]', `"trace_function_infos":[${functionInfos.join(',')}]`)
    .replace('"trace_tree":[]', `"trace_tree":${tree}`);
}

test('trace sections that do not hold together are parse errors; well-formed ones parse', () => {
  // function_id, name, script_name, script_id, line, column: strings 0 is "" in every synthetic snapshot.
  const functions = [0, 0, 0, 0, 0, 0, 1, 0, 0, 7, 3, 5];
  const good = parseHeapSnapshotChunks([Buffer.from(withTrace(2, functions, '[1,0,0,0,[2,1,1,16,[]]]'))]);
  assert.deepEqual([...good.nodeTraceIds!], [0, 2]);
  assert.deepEqual([...good.allocationTrace!.parentIds], [0, 0, 1]);
  assert.deepEqual([good.allocationTrace!.lines[1], good.allocationTrace!.columns[1], good.allocationTrace!.scriptIds[1]], [2, 4, 7]);

  const broken: Array<[string, string, RegExp]> = [
    ['a number where the children belong', withTrace(2, functions, '[1,0,0,0,5]'), /number where its children array belongs/],
    ['an array where a number belongs', withTrace(2, functions, '[1,[],0,0,[]]'), /array where a number belongs/],
    ['a node cut short', withTrace(2, functions, '[1,0,0,0,[2,1]]'), /ends in the middle of trace node/],
    ['a node naming a trace node not in the tree', withTrace(9, functions, '[1,0,0,0,[2,1,1,16,[]]]'), /names allocation trace node 9/],
    ['a trace node naming a function that is not there', withTrace(2, functions, '[1,0,0,0,[2,4,1,16,[]]]'), /names function 4, but there are 2/],
    ['trace ids without a tree', withTrace(2, [], '[]'), /no trace_tree/],
    ['no comma between a children array and the next node', withTrace(2, functions, '[1,0,0,0,[2,1,1,16,[]]3,1,0,0,[]]'), /missing "," between two numbers/],
  ];
  for (const [what, text, message] of broken) {
    assert.throws(() => parseHeapSnapshotChunks([Buffer.from(text)]), (error: unknown) => error instanceof HeapSnapshotParseError && message.test(error.message), what);
  }
});
