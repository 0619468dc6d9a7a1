/** `leak-inspector heap …` as a user runs it: the built dist/cli.js, real files, a real target. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { summarizeHeapSnapshot } from '../../src/heap';
import type { HeapDiff, HeapRetainers, HeapSummary } from '../../src/protocol/heap';
import { spawnInspected, type Cleanup } from '../helpers/inspectedProcess';
import { ruleSnapshot, syntheticSnapshot, type SyntheticNode } from './snapshots';

const cli = resolve(__dirname, '../../dist/cli.js');
const execute = promisify(execFile);

async function leakInspector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(process.execPath, [cli, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function tempDir(t: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'heap-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A root, a global, and `count` objects of class Thing with ids from `firstId`. */
function things(count: number, firstId: number): string {
  const nodes: SyntheticNode[] = [
    { type: 'synthetic', name: '', id: 1, size: 0, edges: [{ type: 'shortcut', name: 'global', to: 1 }] },
    { type: 'object', name: 'global', id: 3, size: 10, edges: [{ type: 'property', name: 'list', to: 2 }] },
    { type: 'object', name: 'Array', id: 5, size: 16, edges: Array.from({ length: count }, (_, i) => ({ type: 'element', name: i, to: 3 + i })) },
    ...Array.from({ length: count }, (_, i): SyntheticNode => ({ type: 'object', name: 'Thing', id: firstId + 2 * i, size: 40 })),
  ];
  return syntheticSnapshot(nodes);
}

test('heap summarize --json prints exactly the Summary shape, equal to the API', async (t) => {
  const file = join(await tempDir(t), 'rules.heapsnapshot');
  await writeFile(file, ruleSnapshot());
  const { code, stdout, stderr } = await leakInspector(['heap', 'summarize', file, '--json']);
  assert.equal(code, 0, stderr);
  const summary = JSON.parse(stdout) as HeapSummary;
  assert.deepEqual(Object.keys(summary), ['nodeCount', 'edgeCount', 'totalSize', 'constructors']);
  for (const entry of summary.constructors) assert.deepEqual(Object.keys(entry), ['name', 'count', 'selfSize', 'retainedSize']);
  for (let i = 1; i < summary.constructors.length; i++) assert.ok(summary.constructors[i - 1].retainedSize >= summary.constructors[i].retainedSize);
  assert.deepEqual(summary, summarizeHeapSnapshot(file));

  const text = await leakInspector(['heap', 'summarize', file]);
  assert.match(text.stdout, /^29 objects, \d+ references, .* in total\n\s+retained\s+self\s+count\s+constructor\n/);
});

test('heap diff and heap retainers', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.heapsnapshot'), things(3, 101));
  // Thing 101 is gone, 103 and 105 stay, four are new.
  await writeFile(join(dir, 'b.heapsnapshot'), things(6, 103));
  const diff = await leakInspector(['heap', 'diff', join(dir, 'a.heapsnapshot'), join(dir, 'b.heapsnapshot'), '--json']);
  assert.equal(diff.code, 0, diff.stderr);
  const thing = (JSON.parse(diff.stdout) as HeapDiff).constructors.find((c) => c.name === 'Thing');
  assert.deepEqual(thing, { name: 'Thing', newCount: 4, deletedCount: 1, deltaCount: 3, allocSize: 160, freedSize: 40, sizeDelta: 120 });
  const diffText = await leakInspector(['heap', 'diff', join(dir, 'a.heapsnapshot'), join(dir, 'b.heapsnapshot')]);
  assert.match(diffText.stdout, /\+3 +4 +1 +120 B +Thing/);

  const retainers = await leakInspector(['heap', 'retainers', join(dir, 'b.heapsnapshot'), '--name', 'Thing', '--top', '2', '--json']);
  assert.equal(retainers.code, 0, retainers.stderr);
  const result = JSON.parse(retainers.stdout) as HeapRetainers;
  assert.equal(result.count, 6);
  assert.equal(result.paths.length, 2);
  assert.match(result.paths[0].text, /^global @3 \.list → Array @5 \[\d\] → Thing @\d+$/);
  assert.deepEqual(result.paths[0].steps.map((step) => [step.edgeType, step.edgeLabel]), [['property', '.list'], ['element', result.paths[0].steps[1].edgeLabel]]);

  const byId = await leakInspector(['heap', 'retainers', join(dir, 'b.heapsnapshot'), '--id', '@107']);
  assert.equal(byId.code, 0, byId.stderr);
  assert.equal(byId.stdout, 'Thing @107 retains 40 B:\n  global @3 .list → Array @5 [2] → Thing @107\n');
  const unknown = await leakInspector(['heap', 'retainers', join(dir, 'b.heapsnapshot'), '--id', '999']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'leak-inspector: no object @999 in the snapshot\n');
});

test('a truncated or corrupt file: a clear error with the byte offset, exit 1, no stack trace', async (t) => {
  const dir = await tempDir(t);
  const text = ruleSnapshot();
  const truncated = join(dir, 'truncated.heapsnapshot');
  await writeFile(truncated, text.slice(0, text.indexOf('"edges"') + 20));
  const cut = await leakInspector(['heap', 'summarize', truncated]);
  assert.equal(cut.code, 1);
  assert.equal(cut.stderr.trim(), `leak-inspector: ${truncated}: not a valid heap snapshot: truncated: the file ends inside "edges" (at byte ${text.indexOf('"edges"') + 20})`);
  const corrupt = join(dir, 'corrupt.heapsnapshot');
  await writeFile(corrupt, text.replace('"nodes":[9,', '"nodes":[9,?'));
  const bad = await leakInspector(['heap', 'retainers', corrupt, '--name', 'Foo']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^leak-inspector: .*corrupt\.heapsnapshot: not a valid heap snapshot: unexpected "\?" in the number array "nodes" \(at byte \d+\)\n$/);
  const missing = await leakInspector(['heap', 'summarize', join(dir, 'missing.heapsnapshot')]);
  assert.equal(missing.code, 1);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
});

test('heap --inspect samples allocations (source-mapped sites, .heapprofile) or takes a snapshot after a pause warning', async (t) => {
  const target = await spawnInspected(
    t,
    `class Battle { constructor(i) { this.id = i; this.log = [i, i + 1]; } }
     globalThis.keep = [];
     function allocateBattles() { for (let i = 0; i < 500; i++) keep.push(new Battle(i)); }
     setInterval(allocateBattles, 10); console.log('ready');`,
    { ready: /ready/ },
  );
  const dir = await tempDir(t);
  const profile = join(dir, 'battle.heapprofile');
  const sampled = await leakInspector(['heap', '--inspect', `127.0.0.1:${target.port}`, '--sample', '1', '--out', profile, '--json']);
  assert.equal(sampled.code, 0, sampled.stderr);
  const { sites, profile: saved } = JSON.parse(sampled.stdout) as { profile: string; sites: Array<{ functionName: string; bytes: number; path: string; line: number }> };
  assert.equal(saved, profile);
  assert.ok((JSON.parse(await readFile(profile, 'utf8')) as { head?: unknown }).head);
  assert.equal(sites[0]?.functionName, 'allocateBattles', JSON.stringify(sites.slice(0, 3)));
  assert.ok(sites[0].bytes > 0 && sites[0].path !== '' && sites[0].line > 0, 'located in the script');

  const file = join(dir, 'live.heapsnapshot');
  const snap = await leakInspector(['heap', '--inspect', `127.0.0.1:${target.port}`, '--snapshot', file]);
  assert.equal(snap.code, 0, snap.stderr);
  assert.match(snap.stderr, /heap snapshot of .*: [\d.]+ (B|KiB|MiB|GiB) in use; the target will be paused for about [\d.]+(ms|s) while V8 walks its heap/);
  assert.match(snap.stdout, /^wrote .*live\.heapsnapshot \([\d.]+ (B|KiB|MiB|GiB)\) in /);
  assert.ok((await stat(file)).size > 0 && !existsSync(`${file}.partial`));
  assert.ok(summarizeHeapSnapshot(file).constructors.some((c) => c.name === 'Battle'));
});
