/**
 * The analyser against Chrome DevTools' own model (heap-snapshot-toolkit) on a synthetic
 * snapshot, a plain Node process and the sample game server; the battle leak found by a diff
 * and explained by its retainer path; the worker-thread API.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { attach } from '../../src/cdp';
import { diffHeapSnapshots, heapRetainers, runHeapAnalysisInWorker, summarizeHeapSnapshot, takeHeapSnapshot } from '../../src/heap';
import { botArgs, startSampleServer } from '../../src/sample/sampleServer';
import { spawnInspected, type Cleanup } from '../helpers/inspectedProcess';
import { settle } from '../helpers/sampleServer';
import { assertDiffMatchesDevTools, assertMatchesDevTools, ruleSnapshot } from './snapshots';

const run = promisify(execFile);

async function tempDir(t: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'heap-analysis-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a synthetic snapshot exercising every DevTools rule: equal to DevTools', async (t) => {
  const file = join(await tempDir(t), 'rules.heapsnapshot');
  await writeFile(file, ruleSnapshot());
  const summary = await assertMatchesDevTools(file);
  const names = summary.constructors.map((c) => c.name);
  for (const name of ['{x, y}', 'Function', '(compiled code)', '(system)', 'Detached <div>', 'Detached <span>', 'RegExp', '(concatenated string)', 'Cyc']) assert.ok(names.includes(name), `${name} in ${names}`);
  assert.equal(names.filter((name) => name === 'Foo').length, 2, 'two classes named Foo at different locations');
});

test('a plain Node process: equal to DevTools', async (t) => {
  const target = await spawnInspected(
    t,
    `class Item { constructor(i) { this.i = i; this.tags = ['t' + i]; } }
     const items = []; const wm = new WeakMap(); const cache = new Map();
     for (let i = 0; i < 3000; i++) { const item = new Item(i); items.push(item); wm.set(item, { at: i }); cache.set('k' + i, () => item); }
     globalThis.keep = { items, wm, cache }; setInterval(() => {}, 1000); console.log('ready');`,
    { ready: /ready/ },
  );
  const session = await attach(target.webSocketDebuggerUrl);
  t.after(() => session.close());
  const file = join(await tempDir(t), 'node.heapsnapshot');
  await takeHeapSnapshot(session, file);
  const summary = await assertMatchesDevTools(file);
  const item = summary.constructors.find((c) => c.name === 'Item');
  assert.equal(item?.count, 3000);
  // The worker thread gives the same answer.
  assert.deepEqual(await runHeapAnalysisInWorker({ kind: 'summary', file }), summarizeHeapSnapshot(file));
});

test('the battle leak: the diff shows Battle objects growing, the retainer path names the battles Map; summary and diff equal to DevTools', async (t) => {
  const server = await startSampleServer({ leaks: 'battle', nodeArgs: ['--inspect=127.0.0.1:0'] });
  t.after(() => server.stop());
  const session = await attach(server.inspectorUrl!);
  t.after(() => session.close());
  const dir = await tempDir(t);
  const before = join(dir, 'before.heapsnapshot');
  const after = join(dir, 'after.heapsnapshot');
  await takeHeapSnapshot(session, before);
  await run(process.execPath, botArgs({ url: server.wsUrl, players: 8, durationS: 2 }));
  const stats = await settle(server);
  assert.ok(stats.battles > 0, JSON.stringify(stats));
  await takeHeapSnapshot(session, after);

  const diff = diffHeapSnapshots(before, after);
  const battle = diff.constructors.find((c) => c.name === 'Battle');
  assert.ok(battle, 'Battle is in the diff');
  assert.equal(battle.deletedCount, 0);
  assert.ok(battle.newCount >= stats.battles, `${battle.newCount} new Battle objects, ${stats.battles} battles held`);
  assert.equal(battle.deltaCount, battle.newCount);

  const retainers = heapRetainers(after, 'Battle', 2);
  assert.equal(retainers.paths.length, 2);
  for (const path of retainers.paths) {
    assert.equal(path.target.className, 'Battle');
    assert.ok(path.target.location && path.target.location.scriptId > 0, 'where the Battle class is defined');
    const holder = path.steps.findIndex((step) => step.edgeType === 'context' && step.edgeName === 'battles');
    assert.ok(holder >= 0, path.text);
    assert.equal(path.steps[holder + 1]?.from.className, 'Map', path.text);
    assert.match(path.text, /->battles → Map @\d+ \{table\} → \(array\) @\d+ \{value of "room-\d+"\} → Battle @\d+$/);
  }
  await assertMatchesDevTools(after);
  await assertDiffMatchesDevTools(diff, before, after);
});
