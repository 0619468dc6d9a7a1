/** Heap capture against real inspected Node processes. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { attach } from '../../src/cdp';
import {
  estimatePauseMs,
  estimateSnapshot,
  heapUsage,
  HeapSnapshotError,
  HeapUsageSampler,
  sampleAllocations,
  saveHeapProfile,
  takeHeapSnapshot,
  topAllocationSites,
} from '../../src/heap';
import { spawnInspected, type Cleanup } from '../helpers/inspectedProcess';

/**
 * Keeps `Battle` objects alive, a few more every 10 ms. The script starts on line 2 (spawnNode
 * puts its watchdog on line 1), so `allocateBattles` is on line 4.
 */
const BATTLES = `
class Battle { constructor(id) { this.id = id; this.players = null; } }
globalThis.keep = [];
function allocateBattles() { for (let i = 0; i < 200; i++) { const b = new Battle(i); b.players = { a: [i, i + 1, i + 2, i + 3], b: { hp: i, mp: i } }; keep.push(b); } }
setInterval(allocateBattles, 10);
console.log('ready');
`;
const ALLOCATING_LINE = 4;

/** About `mb` MB of small live objects, for a snapshot that takes a while. */
const bigHeap = (mb: number) => `
globalThis.big = [];
for (let i = 0; i < ${mb} * 10000; i++) big.push({ id: i, name: 'n' + i });
setInterval(() => {}, 1000);
console.log('ready');
`;

async function connect(t: Cleanup, script: string) {
  const target = await spawnInspected(t, script, { ready: /ready/ });
  const session = await attach(target.webSocketDebuggerUrl);
  t.after(() => session.close());
  return { target, session };
}

async function tempDir(t: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'heap-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('heapUsage reports positive sizes; the sampler fills a bounded ring and stops', async (t) => {
  const { session } = await connect(t, BATTLES);
  const usage = await heapUsage(session);
  assert.ok(usage.usedSize > 0 && usage.totalSize >= usage.usedSize, JSON.stringify(usage));
  assert.ok(Math.abs(usage.takenAt - Date.now()) < 5000);

  const sampler = new HeapUsageSampler(session, { intervalMs: 20, capacity: 3 }).start();
  t.after(() => sampler.stop());
  await new Promise((resolve) => setTimeout(resolve, 300));
  sampler.stop();
  const samples = sampler.samples();
  assert.equal(samples.length, 3);
  assert.ok(samples[0].takenAt <= samples[1].takenAt && samples[1].takenAt <= samples[2].takenAt);
  assert.deepEqual(sampler.latest(), samples[2]);
  assert.equal(sampler.isRunning, false);

  const estimate = await estimateSnapshot(session);
  assert.ok(estimate.usedSize > 0);
  assert.equal(estimate.estimatedPauseMs, estimatePauseMs(estimate.usedSize));
  assert.ok(Math.abs(estimatePauseMs(20 * 1024 * 1024) - 700) < 5);
  assert.ok(Math.abs(estimatePauseMs(86 * 1024 * 1024) - 4700) < 5);
});

test('a heap snapshot streams to the file, which parses and holds the Battle class', async (t) => {
  const { session } = await connect(t, BATTLES);
  const file = join(await tempDir(t), 'battle.heapsnapshot');
  const progress: number[] = [];
  const result = await takeHeapSnapshot(session, file, { onProgress: ({ done }) => progress.push(done) });
  assert.equal(result.file, file);
  assert.ok(result.durationMs >= 0);
  assert.ok(progress.length > 0, 'progress was reported');
  assert.equal(existsSync(`${file}.partial`), false);
  assert.equal((await stat(file)).size, result.bytes);
  const snapshot = JSON.parse(await readFile(file, 'utf8')) as { snapshot: { meta: { node_fields: string[] } }; strings: string[] };
  assert.ok(snapshot.snapshot.meta.node_fields.includes('name'));
  assert.ok(snapshot.strings.includes('Battle'));
});

test('the target dying mid-stream rejects and leaves no file', async (t) => {
  const { target, session } = await connect(t, bigHeap(60));
  const file = join(await tempDir(t), 'big.heapsnapshot');
  let partialSeen = false;
  const snapshot = takeHeapSnapshot(session, file);
  session.on('HeapProfiler.addHeapSnapshotChunk', () => {
    if (partialSeen) return;
    partialSeen = existsSync(`${file}.partial`);
    target.child.kill('SIGKILL');
  });
  await assert.rejects(snapshot, (error: unknown) => {
    assert.ok(error instanceof HeapSnapshotError, String(error));
    assert.equal(error.reason, 'target');
    assert.match(error.message, new RegExp(`heap snapshot of .*${target.port}.* failed: .*closed`));
    return true;
  });
  assert.ok(partialSeen, 'the kill happened while the partial file was being written');
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(`${file}.partial`), false);
});

test('aborting rejects at once and leaves no file; an already aborted signal writes nothing', async (t) => {
  const { session } = await connect(t, bigHeap(10));
  const file = join(await tempDir(t), 'aborted.heapsnapshot');
  const controller = new AbortController();
  const snapshot = takeHeapSnapshot(session, file, { signal: controller.signal, onProgress: () => controller.abort() });
  await assert.rejects(snapshot, (error: unknown) => {
    assert.ok(error instanceof HeapSnapshotError, String(error));
    assert.equal(error.reason, 'aborted');
    assert.match(error.message, /heap snapshot of .* failed: aborted/);
    return true;
  });
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(`${file}.partial`), false);

  await assert.rejects(takeHeapSnapshot(session, file, { signal: AbortSignal.abort() }), /aborted before it started/);
  assert.equal(existsSync(`${file}.partial`), false);

  // The target was still sending the aborted snapshot: the next one waits for it, then is whole.
  const next = await takeHeapSnapshot(session, file);
  assert.equal((await stat(file)).size, next.bytes);
  JSON.parse(await readFile(file, 'utf8'));
});

test('a disk error rejects and leaves no file', async (t) => {
  const { session } = await connect(t, BATTLES);
  const file = join(await tempDir(t), 'missing-dir', 'x.heapsnapshot');
  await assert.rejects(takeHeapSnapshot(session, file), (error: unknown) => {
    assert.ok(error instanceof HeapSnapshotError, String(error));
    assert.equal(error.reason, 'disk');
    assert.match(error.message, /ENOENT/);
    return true;
  });
  assert.equal(existsSync(`${file}.partial`), false);
});

test('allocation sampling finds the allocating function (1-based line) on top', async (t) => {
  const { session } = await connect(t, BATTLES);
  const profile = await sampleAllocations(session, 1000);
  const [top] = topAllocationSites(profile, 5);
  assert.ok(top, 'some allocations were sampled');
  assert.equal(top.functionName, 'allocateBattles', JSON.stringify(topAllocationSites(profile, 5)));
  assert.equal(top.line, ALLOCATING_LINE);
  assert.ok(top.bytes > 0);

  const file = join(await tempDir(t), 'battle.heapprofile');
  await saveHeapProfile(profile, file);
  const saved = JSON.parse(await readFile(file, 'utf8')) as { head: { callFrame: unknown; children: unknown[] } };
  assert.ok(saved.head.callFrame && Array.isArray(saved.head.children));
});
