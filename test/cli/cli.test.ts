/**
 * The `leak-inspector` command line, run as a user runs it (the built dist/cli.js) against the
 * real sample server over a real inspector.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { botArgs, startSampleServer, type SampleServer } from '../../src/sample/sampleServer';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../dist/cli.js');
const servers: SampleServer[] = [];
after(() => Promise.all(servers.map((server) => server.stop())));

async function inspectedServer(leaks: string): Promise<SampleServer> {
  const server = await startSampleServer({ leaks, nodeArgs: ['--inspect=127.0.0.1:0'] });
  servers.push(server);
  return server;
}

/** Runs the CLI; resolves with its exit code and output instead of throwing on exit 1. */
async function leakInspector(args: string[], timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { timeout, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

test('check fails with the leaking site when a scenario leaves intervals behind', async () => {
  const server = await inspectedServer('heartbeat');
  const bots = botArgs({ url: server.wsUrl, players: 4, durationS: 1.5 });
  const { code, stdout } = await leakInspector(['check', '--inspect', server.inspectorUrl!, '--settle', '1.5', '--', process.execPath, ...bots]);
  assert.equal(code, 1, stdout);
  assert.match(stdout, /grew during the command and did not come back/);
  assert.match(stdout, /\+\d+ +Interval +0 → \d+ +samples\/game-server\/src\/player-session\.ts:\d+:\d+/);
});

test('check passes on the leak-free server', async () => {
  const server = await inspectedServer('none');
  const bots = botArgs({ url: server.wsUrl, players: 4, durationS: 1.5 });
  const { code, stdout } = await leakInspector(['check', '--inspect', server.inspectorUrl!, '--settle', '2.5', '--', process.execPath, ...bots]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /no async leaks/);
});

test('check --heap fails on the battle leak (no async resource) and names the class, its line and its holder', async () => {
  const server = await inspectedServer('battle');
  const bots = botArgs({ url: server.wsUrl, players: 8, durationS: 2 });
  const { code, stdout } = await leakInspector(['check', '--inspect', server.inspectorUrl!, '--heap', '--settle', '1', '--', process.execPath, ...bots], 120_000);
  assert.equal(code, 1, stdout);
  assert.match(stdout, /no async leaks/);
  assert.match(stdout, /score \d+ (HIGH|MEDIUM) {2}\+\d+ × Battle .* samples\/game-server\/src\/battle\.ts:\d+:\d+/);
  assert.match(stdout, /held by: .*->battles → Map/);
});

test('check --heap passes on the leak-free server', async () => {
  const server = await inspectedServer('none');
  const bots = botArgs({ url: server.wsUrl, players: 8, durationS: 2 });
  const { code, stdout } = await leakInspector(['check', '--inspect', server.inspectorUrl!, '--heap', '--settle', '1', '--', process.execPath, ...bots], 120_000);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /no heap leaks/);
});

test('snapshot --json lists sites by score with source locations and stacks', async () => {
  const server = await inspectedServer('timer');
  await run(process.execPath, botArgs({ url: server.wsUrl, players: 6, durationS: 1.5 }));
  const { code, stdout } = await leakInspector(['snapshot', '--inspect', server.inspectorUrl!, '--json']);
  assert.equal(code, 0);
  const { sites } = JSON.parse(stdout) as { sites: Array<{ type: string; count: number; score: number; factors: unknown[]; oldestAgeMs: number; location: { path: string; line: number; column: number } | null; stack: Array<{ path: string; line: number; column: number }> }> };
  assert.ok(sites.length > 0);
  for (let i = 1; i < sites.length; i++) assert.ok(sites[i - 1].score >= sites[i].score, 'sorted by score');
  const timeout = sites.find((site) => site.type === 'Timeout' && site.location?.path.endsWith(path.join('samples', 'game-server', 'src', 'battle.ts')));
  assert.ok(timeout, 'the match timeout site, located in battle.ts by its callback (created before the attach)');
  assert.ok(timeout.count > 0 && timeout.oldestAgeMs > 0 && timeout.factors.length > 0);
  assert.ok(timeout.location!.line > 0);
  assert.deepEqual(timeout.stack, [], 'no creation stack for resources created before the attach');
});

test('--context-keys chooses which AsyncLocalStorage fields are reported', async () => {
  const server = await inspectedServer('heartbeat');
  // Bots play while the snapshots are taken, so resources are created (and tagged) after the attach.
  const bots = run(process.execPath, [...botArgs({ url: server.wsUrl, players: 4, durationS: 3, waitS: 5 })]);
  const { code, stdout } = await leakInspector(['snapshot', '--inspect', server.inspectorUrl!, '--json', '--watch', '3', '--interval', '1', '--context-keys', 'protocol,roomId']);
  await bots;
  assert.equal(code, 0);
  const { sites } = JSON.parse(stdout) as { sites: Array<{ context: { keys: Record<string, unknown> } }> };
  const reported = new Set(sites.flatMap((site) => Object.keys(site.context.keys)));
  assert.ok(reported.has('protocol'), `context keys reported: ${[...reported].join(', ')}`);
  assert.equal(reported.has('playerId'), false, 'playerId was not asked for');
});

test('snapshot text reads like a goroutine dump; bad targets get clear errors', async () => {
  const server = await inspectedServer('heartbeat');
  await run(process.execPath, botArgs({ url: server.wsUrl, players: 4, durationS: 1 }));
  const text = await leakInspector(['snapshot', '--inspect', server.inspectorUrl!]);
  assert.equal(text.code, 0);
  // Created before the attach: located by the interval's callback, marked as such.
  assert.match(text.stdout, /^score \d+ (LOW|MEDIUM|HIGH) +\d+ × Interval +oldest \S+ +samples\/game-server\/src\/player-session\.ts:\d+:\d+$/m);
  assert.match(text.stdout, /^ {4}at \(\) => \{ if \(!this\.alive\).*\(samples\/game-server\/src\/player-session\.ts:\d+:\d+\) \[callback: created before attach\]$/m);

  const remote = await leakInspector(['snapshot', '--inspect', '10.20.30.40:9229']);
  assert.equal(remote.code, 1);
  assert.match(remote.stderr, /10\.20\.30\.40.*--allow-remote/s);
  const usage = await leakInspector(['snapshot']);
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /snapshot needs --inspect TARGET/);
});
