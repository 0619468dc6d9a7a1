import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Protocol } from 'devtools-protocol';
import { buildAllocationFlameGraph, buildAsyncFlameGraph, diffFlameGraphs } from '../../src/flame';
import type { FlameNode } from '../../src/protocol/flameGraph';
import type { GeneratedFrame, ResolvedLocation } from '../../src/sourcemap';
import { frame, gameReport, report, SET_INTERVAL, site, SRC } from './fixtures';

/** `name(total)` per node, depth-first, children in drawn order. */
function outline(node: FlameNode): string {
  const children = node.children.map(outline).join(' ');
  return children ? `${node.name}(${node.total}) [${children}]` : `${node.name}(${node.total})`;
}

test('async stacks run root to leaf, end in the resource type, and merge shared frames', () => {
  const { root, unit, mode } = buildAsyncFlameGraph([gameReport(12)]);
  assert.equal(mode, 'async');
  assert.equal(unit, 'count');
  assert.equal(outline(root), 'all(15) [main(15) [onLogin(12) [startHeartbeat(12) [setInterval(12) [Interval(12)]]] startLoop(3) [Timeout(3)]]]');
  const main = root.children[0]!;
  assert.deepEqual([main.path, main.line, main.column, main.kind], [`${SRC}/server.ts`, 10, 5, 'user']);
  const setInterval = main.children[0]!.children[0]!.children[0]!;
  assert.equal(setInterval.kind, 'node');
  assert.equal(setInterval.children[0]!.kind, 'resource');
  assert.equal(setInterval.children[0]!.self, 12);
});

test('async frames carry the highest score below them and the dominant resource type', () => {
  const { root } = buildAsyncFlameGraph([gameReport(2, 5)]);
  const main = root.children[0]!;
  assert.equal(main.score, 85, 'the leak scores the shared frame');
  assert.equal(main.type, 'Timeout', '5 timeouts outnumber 2 intervals');
  const startLoop = main.children.find((child) => child.name === 'startLoop')!;
  assert.equal(startLoop.score, 20);
});

test('children are left-heavy: the largest total first, whatever the report order', () => {
  const small = site('a', 'Timeout', 1, 0, [frame('a.ts', 1, 'a')]);
  const large = site('b', 'Timeout', 9, 0, [frame('b.ts', 1, 'b')]);
  assert.deepEqual(buildAsyncFlameGraph([report([small, large])]).root.children.map((c) => c.name), ['b', 'a']);
  assert.deepEqual(buildAsyncFlameGraph([report([large, small])]).root.children.map((c) => c.name), ['b', 'a']);
});

test('sites without a stack hang under a group with their callback location; several threads get a frame each', () => {
  const preexisting = { ...site('old', 'Interval', 4, 60, []), preexisting: true, callbackHint: 'tick', location: { path: `${SRC}/loop.ts`, line: 3, column: 1 } };
  const { root } = buildAsyncFlameGraph([report([preexisting], 'main'), report([site('w', 'Timeout', 1, 0, [SET_INTERVAL])], 'worker 1')]);
  assert.equal(outline(root), 'all(5) [main(4) [(created before attach)(4) [tick(4) [Interval(4)]]] worker 1(1) [setInterval(1) [Timeout(1)]]]');
  assert.equal(root.children[0]!.kind, 'group');
  assert.equal(root.children[0]!.children[0]!.children[0]!.line, 3);
});

test('the diff keeps the later widths and records each frame\'s earlier total', () => {
  const before = buildAsyncFlameGraph([gameReport(2, 3)]);
  const after = buildAsyncFlameGraph([gameReport(12, 1)]);
  const diff = diffFlameGraphs(before, after);
  assert.equal(diff.mode, 'diff');
  assert.equal(diff.beforeTotal, 5);
  const main = diff.root.children[0]!;
  assert.deepEqual([main.total, main.before], [13, 5]);
  const [heartbeat, loop] = main.children;
  assert.deepEqual([heartbeat!.name, heartbeat!.total, heartbeat!.before], ['onLogin', 12, 2]);
  assert.deepEqual([loop!.name, loop!.total, loop!.before], ['startLoop', 1, 3]);
  const added = diffFlameGraphs(buildAsyncFlameGraph([report([])]), after);
  assert.equal(added.root.children[0]!.before, 0, 'a frame only in the later tree grew from 0');
  assert.throws(() => diffFlameGraphs({ ...before, unit: 'bytes' }, after), /cannot diff/);
});

function node(id: number, functionName: string, url: string, lineNumber: number, selfSize: number, children: Protocol.HeapProfiler.SamplingHeapProfileNode[] = []): Protocol.HeapProfiler.SamplingHeapProfileNode {
  return { id, selfSize, callFrame: { functionName, url, lineNumber, columnNumber: 0, scriptId: '1' }, children };
}

test('allocation stacks are source-mapped once per frame and merge when two generated frames map to one function', async () => {
  const bundle = '/srv/game/dist/server.js';
  const profile: Protocol.HeapProfiler.SamplingHeapProfile = {
    head: node(1, '(root)', '', 0, 0, [
      node(2, 'main', bundle, 100, 0, [
        // Two inlined copies of the same TypeScript function, at different bundle lines.
        node(3, 'makeRoom', bundle, 200, 4096, [node(5, 'push', 'node:internal/fixed_queue', 9, 100)]),
        node(4, 'makeRoom', bundle, 300, 1024),
      ]),
      node(6, '(garbage collector)', '', -1, 50),
      node(7, 'idle', bundle, 400, 0),
    ]),
    samples: [],
  };
  const calls: GeneratedFrame[] = [];
  const resolve = async (generated: GeneratedFrame): Promise<ResolvedLocation> => {
    calls.push(generated);
    if (generated.url.startsWith('node:')) return { path: generated.url, line: generated.lineNumber + 1, column: 1, mapped: false, reason: 'Node internal', generated };
    const line = generated.lineNumber === 100 ? 5 : 42;
    return { path: `${SRC}/${generated.lineNumber === 100 ? 'server' : 'room'}.ts`, line, column: 3, mapped: true, generated };
  };
  const data = await buildAllocationFlameGraph(profile, resolve);
  assert.equal(data.unit, 'bytes');
  assert.equal(data.heapProfileAvailable, true);
  assert.equal(outline(data.root), 'all(5270) [main(5220) [makeRoom(5220) [push(100)]] (garbage collector)(50)]');
  const makeRoom = data.root.children[0]!.children[0]!;
  assert.deepEqual([makeRoom.path, makeRoom.line, makeRoom.self, makeRoom.kind], [`${SRC}/room.ts`, 42, 5120, 'user']);
  assert.equal(data.root.children[1]!.kind, 'native');
  assert.equal(calls.length, 5, 'each distinct generated frame is resolved once; native frames not at all');
});
