/**
 * Growth by holder against real processes: a TCP lobby server (test/fixtures/heap-apps/lobby.ts,
 * compiled with a source map) whose players are real connections. Players join and leave before
 * the first heap snapshot (so emitters already hold listeners) and during the scenario; the
 * leaky mode keeps everything a player registered, the clean mode undoes it. Suspects must name
 * the holder as the program does, point at the TypeScript line, count the operations exactly
 * and never report Node's internals or the agent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { buildSync } from 'esbuild';
import { attach, type CdpSession } from '../../src/cdp';
import { HeapGrowthProbe } from '../../src/engine/heapGrowth';
import { takeHeapSnapshot } from '../../src/heap';
import { parseHeapSnapshotFile } from '../../src/heap/parser/parseSnapshot';
import { InspectorSession } from '../../src/engine/inspectorSession';
import type { Suspect } from '../../src/protocol/report';
import { checkJson } from '../cli/checkRun';
import { spawnProcess, type Cleanup } from '../helpers/inspectedProcess';
import { targetNode } from '../helpers/nodeVersions';

const SOURCE = path.resolve(__dirname, '../fixtures/heap-apps/lobby.ts');
const BEFORE_PLAYERS = 5;
const PLAYERS = 20;
const MESSAGES = 2;

const outDir = mkdtempSync(path.join(tmpdir(), 'holder-growth-'));
after(() => rmSync(outDir, { recursive: true, force: true }));
const SCRIPT = path.join(outDir, 'lobby.js');
buildSync({ entryPoints: [SOURCE], outfile: SCRIPT, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'error' });
const INFLIGHT_SOURCE = path.resolve(__dirname, '../fixtures/heap-apps/inflight.ts');
const INFLIGHT_SCRIPT = path.join(outDir, 'inflight.js');
buildSync({ entryPoints: [INFLIGHT_SOURCE], outfile: INFLIGHT_SCRIPT, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'error' });

/** 1-based line of the first line of the fixture containing `marker`. */
function lineOf(marker: string): number {
  const index = readFileSync(SOURCE, 'utf8').split('\n').findIndex((text) => text.includes(marker));
  assert.ok(index >= 0, `${marker} not in the fixture`);
  return index + 1;
}

async function startLobby(t: Cleanup, mode: 'leak' | 'clean', node = process.execPath): Promise<{ session: InspectorSession; port: number; url: string }> {
  const target = spawnProcess(t, node, ['--inspect=127.0.0.1:0', SCRIPT], { env: { ...process.env, LOBBY_MODE: mode } });
  const [, url] = await target.waitForOutput(/Debugger listening on (ws:\/\/\S+)/, 10_000);
  const [, port] = await target.waitForOutput(/listening (\d+)/, 10_000);
  const session = await InspectorSession.attach(url);
  t.after(() => session.detach().catch(() => undefined));
  return { session, port: Number(port), url };
}

/** Whether V8 still tracks allocations (a snapshot now carries stacks) and GC compaction is still suspended (the probe's state in the target). */
async function trackingLeft(session: CdpSession): Promise<{ tracking: boolean; compactionSuspended: boolean }> {
  const file = path.join(outDir, `probe-${Date.now()}.heapsnapshot`);
  await takeHeapSnapshot(session, file);
  const tracking = parseHeapSnapshotFile(file).allocationTrace !== null;
  rmSync(file);
  const { result } = await session.send('Runtime.evaluate', { expression: `globalThis[Symbol.for('leak-inspector.compaction')] !== undefined`, returnByValue: true });
  return { tracking, compactionSuspended: result.value === true };
}

/** `players` real connections at once; each sends `messages` lines (one `ok` back per line), then hangs up. */
async function playRound(port: number, players: number): Promise<void> {
  await Promise.all(
    Array.from({ length: players }, async () => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      const oks = () => received.split('ok\n').length - 1;
      socket.on('data', (chunk) => (received += chunk.toString()));
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      for (let i = 1; i <= MESSAGES; i++) {
        socket.write(`move ${i}\n`);
        while (oks() < i) await new Promise((resolve) => socket.once('data', resolve));
      }
      socket.end();
      await new Promise((resolve) => socket.once('close', resolve));
    }),
  );
  // The server sees each hang-up a moment after the client does.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function scenario(t: Cleanup, mode: 'leak' | 'clean', node?: string, options: { allocationStacks?: boolean } = {}): Promise<Suspect[]> {
  const { session, port } = await startLobby(t, mode, node);
  await playRound(port, BEFORE_PLAYERS);
  const probe = await HeapGrowthProbe.start(session, options);
  t.after(() => probe.dispose());
  await playRound(port, PLAYERS);
  const report = await probe.finish();
  assert.ok(report.suspects, 'the probe reports growth by holder');
  return report.suspects;
}

function describeSuspects(suspects: Suspect[]): string {
  return suspects.map((s) => `${s.score} ${s.severity} ${s.kind} ${s.title} @ ${s.location ? `${path.basename(s.location.path)}:${s.location.line}` : '?'}`).join('\n');
}

function find(suspects: Suspect[], kind: Suspect['kind'], holder: string | RegExp): Suspect {
  const found = suspects.find((s) => s.kind === kind && (typeof holder === 'string' ? s.holder === holder : holder.test(s.holder ?? '')));
  assert.ok(found, `no ${kind} suspect held by ${holder}:\n${describeSuspects(suspects)}`);
  return found;
}

function assertAt(suspect: Suspect, marker: string): void {
  assert.equal(suspect.location?.path, SOURCE, `${suspect.title}: ${JSON.stringify(suspect.location)}`);
  assert.equal(suspect.location?.line, lineOf(marker), `${suspect.title} at line ${suspect.location?.line}, expected the line of ${marker}`);
}

describe('growth by holder', () => {
  test('a lobby that keeps what each player registered: every holder named, located and counted', async (t) => {
    const suspects = await scenario(t, 'leak');
    const shown = describeSuspects(suspects);

    const players = find(suspects, 'holder', 'players');
    assert.equal(players.growth, PLAYERS, shown);
    assert.equal(players.count, BEFORE_PLAYERS + PLAYERS);
    assertAt(players, 'const players = new Map');
    assert.equal(players.severity, 'high', JSON.stringify(players.factors));
    assert.match(players.details.map((d) => d.value).join('\n'), /20 × \{id, socket/);
    assert.ok(players.factors.find((f) => f.name === 'owner-gone')!.points > 0, 'entries keep sockets that closed');

    const hooks = find(suspects, 'holder', 'leaveHooks');
    assert.equal(hooks.growth, PLAYERS, shown);
    assertAt(hooks, 'const leaveHooks');
    assert.match(hooks.details.map((d) => d.value).join('\n'), new RegExp(`closure hook\\(\\) at .*lobby\\.ts:${lineOf('const hook = ')}`));

    const subscriptions = find(suspects, 'holder', '.subscriptions of PresenceBus');
    assert.equal(subscriptions.growth, PLAYERS, shown);
    assertAt(subscriptions, 'private readonly subscriptions');

    const tick = find(suspects, 'listener', 'bus');
    assert.equal(tick.growth, PLAYERS, shown);
    assert.equal(tick.count, BEFORE_PLAYERS + PLAYERS, 'listeners added before the first snapshot are counted');
    assert.match(tick.title, /'tick' listeners on bus/);
    assertAt(tick, 'const onTick');
    assert.equal(tick.severity, 'high', JSON.stringify(tick.factors));

    const abort = suspects.find((s) => s.kind === 'listener' && /'abort'/.test(s.title));
    assert.ok(abort, shown);
    assert.equal(abort.growth, PLAYERS);
    assert.match(abort.holder ?? '', /^lifetime/, abort.holder);
    assertAt(abort, 'const onAbort');

    const race = find(suspects, 'promise-reactions', 'shutdown');
    assert.equal(race.growth, PLAYERS * MESSAGES, shown);
    assertAt(race, 'const shutdown');
    const then = find(suspects, 'promise-reactions', 'drained');
    assert.equal(then.growth, PLAYERS * MESSAGES, shown);
    assertAt(then, 'drained.then(');
    assert.notEqual(then.severity, 'low', JSON.stringify(then.factors));

    // Nothing else: no Node internal, no agent object, every suspect in the program's own source.
    for (const suspect of suspects) assert.equal(suspect.location?.path, SOURCE, `not the program's: ${suspect.title} ${suspect.holder}\n${shown}`);
    assert.ok(!/leak-inspector|agent/i.test(JSON.stringify(suspects)), shown);
  });

  test('with allocation stacks: the players Map\'s new entries are allocated by join() at its TypeScript line', async (t) => {
    const suspects = await scenario(t, 'leak', undefined, { allocationStacks: true });
    const shown = describeSuspects(suspects);
    const players = find(suspects, 'holder', 'players');
    assert.equal(players.growth, PLAYERS, shown);
    const details = players.details.map((d) => `${d.label}: ${d.value}`).join('\n');
    const joinLine = lineOf('function join(');
    assert.ok(details.includes(`allocated by: join (${SOURCE}:${joinLine}) ×${PLAYERS}`), details);
    const [path] = players.paths;
    assert.ok(path, `no allocation path:\n${details}`);
    assert.equal(path.count, PLAYERS);
    assert.deepEqual({ ...path.stack[0], column: 0 }, { functionName: 'join', path: SOURCE, line: joinLine, column: 0, mapped: true });
    // The tick listeners were made by join too; Node's internals and the agent are never a frame.
    assert.match(find(suspects, 'listener', 'bus').details.map((d) => `${d.label}: ${d.value}`).join('\n'), new RegExp(`registered by: join \\(.*lobby\\.ts:${joinLine}\\) ×${PLAYERS}`));
    for (const frame of suspects.flatMap((s) => s.paths.flatMap((p) => p.stack))) assert.equal(frame.path, SOURCE, JSON.stringify(frame));
  });

  test('allocation tracking leaves nothing behind: stopped by the "after" snapshot, by dispose without one, and when the session ends', async (t) => {
    const { session, port, url } = await startLobby(t, 'leak');
    const main = session.threadSessions[0].session;
    const off = { tracking: false, compactionSuspended: false };

    const finished = await HeapGrowthProbe.start(session, { allocationStacks: true });
    t.after(() => finished.dispose());
    assert.deepEqual(await trackingLeft(main), { tracking: true, compactionSuspended: true }, 'on while the scenario runs');
    await playRound(port, 3);
    await finished.finish();
    assert.deepEqual(await trackingLeft(main), off, 'after finish');

    const abandoned = await HeapGrowthProbe.start(session, { allocationStacks: true });
    await abandoned.dispose();
    assert.deepEqual(await trackingLeft(main), off, 'after a dispose without finish');

    const dropped = await HeapGrowthProbe.start(session, { allocationStacks: true });
    t.after(() => dropped.dispose());
    await session.detach();
    // V8 stops tracking as the session closes; the compaction token it held is collected at a later GC.
    const again = await attach(url);
    t.after(() => again.close());
    let left = await trackingLeft(again);
    for (let tries = 0; left.compactionSuspended && tries < 20; tries++) {
      await again.send('HeapProfiler.collectGarbage');
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await trackingLeft(again);
    }
    assert.deepEqual(left, off, 'after the session ended without finish or dispose');
  });

  test('check --alloc-stacks (the command a user runs) announces the cost, reports where the new entries were allocated and leaves tracking off', async (t) => {
    const target = spawnProcess(t, process.execPath, ['--inspect=127.0.0.1:0', SCRIPT], { env: { ...process.env, LOBBY_MODE: 'leak' } });
    const [, url] = await target.waitForOutput(/Debugger listening on (ws:\/\/\S+)/, 10_000);
    const port = Number((await target.waitForOutput(/listening (\d+)/, 10_000))[1]);
    // The scenario: PLAYERS connections that each send one line, wait for its `ok` and hang up.
    const players = path.join(outDir, 'players.js');
    writeFileSync(
      players,
      `const { connect } = require('node:net');
Promise.all(Array.from({ length: ${PLAYERS} }, () => new Promise((resolve, reject) => {
  const socket = connect(${port}, '127.0.0.1', () => socket.write('move 1\\n'));
  socket.on('data', (chunk) => chunk.toString().includes('ok') && socket.end());
  socket.on('close', resolve).on('error', reject);
}))).then(() => setTimeout(() => undefined, 300));
`,
    );
    const run = await checkJson(url, ['--alloc-stacks', '--settle', '0'], [process.execPath, players]);
    assert.equal(run.code, 1, 'the lobby leaks');
    assert.match(run.stderr, /allocation stacks: V8 tracks every allocation/);
    assert.ok(run.report.sampling.notes.some((note) => /allocation stacks tracked/.test(note)), run.report.sampling.notes.join('\n'));
    const held = find(run.report.suspects, 'holder', 'players');
    const allocated = held.details.find((d) => d.label === 'allocated by')?.value;
    assert.equal(allocated, `join (${SOURCE}:${lineOf('function join(')}) ×${PLAYERS}`, held.details.map((d) => `${d.label}: ${d.value}`).join('\n'));
    const after = await attach(url);
    t.after(() => after.close());
    assert.deepEqual(await trackingLeft(after), { tracking: false, compactionSuspended: false });
  });

  test('the clean lobby (every registration undone on leave) reports nothing medium or high', async (t) => {
    const suspects = await scenario(t, 'clean');
    const flagged = suspects.filter((s) => s.severity !== 'low');
    assert.deepEqual(describeSuspects(flagged), '', describeSuspects(suspects));
  });

  test('Node 24 target: the same holders and listeners', async (t) => {
    const { node } = await targetNode(24, () => undefined);
    const suspects = await scenario(t, 'leak', node);
    const shown = describeSuspects(suspects);
    assert.equal(find(suspects, 'holder', 'players').growth, PLAYERS, shown);
    assert.equal(find(suspects, 'listener', 'bus').growth, PLAYERS, shown);
    assert.equal(find(suspects, 'holder', '.subscriptions of PresenceBus').growth, PLAYERS, shown);
    assert.equal(find(suspects, 'promise-reactions', 'drained').growth, PLAYERS * MESSAGES, shown);
  });
});

/** `count` requests to `route` of the in-flight server, each resolving when answered (or failed). */
function requests(port: number, route: '/ask' | '/hold' | '/release', count: number): Array<Promise<void>> {
  return Array.from({ length: count }, () => new Promise<void>((resolve) => get({ host: '127.0.0.1', port, path: route, agent: false }, (res) => res.resume().on('end', resolve).on('error', () => resolve())).on('error', () => resolve())));
}

test('requests in flight: Node\'s internal state under a variable of the program is not its holder; its own Map of responses is', async (t) => {
  const target = spawnProcess(t, process.execPath, ['--inspect=127.0.0.1:0', INFLIGHT_SCRIPT]);
  const [, url] = await target.waitForOutput(/Debugger listening on (ws:\/\/\S+)/, 10_000);
  const port = Number((await target.waitForOutput(/listening (\d+)/, 10_000))[1]);
  const session = await InspectorSession.attach(url);
  t.after(() => session.detach().catch(() => undefined));
  // Three asks: the `upstream` Agent's two sockets park two /hold requests, its queue holds the third.
  const asked = requests(port, '/ask', 3);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const probe = await HeapGrowthProbe.start(session);
  t.after(() => probe.dispose());
  // Twelve more asks queue in the Agent's internal `requests[host]` array; twelve holds go to `waiting`.
  const pending = [...asked, ...requests(port, '/ask', PLAYERS - 8), ...requests(port, '/hold', PLAYERS - 8)];
  await new Promise((resolve) => setTimeout(resolve, 500));
  const report = await probe.finish();
  const suspects = report.suspects ?? [];
  const shown = describeSuspects(suspects);
  // Release until every request is answered (the Agent sends the queued ones two at a time).
  const done = Promise.all(pending);
  for (let settled = false; !settled; ) {
    await Promise.all(requests(port, '/release', 1));
    settled = await Promise.race([done.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50))]);
  }

  assert.deepEqual(suspects.filter((s) => /upstream|httpServer/.test(s.holder ?? '')).map((s) => s.title), [], shown);
  const waiting = find(suspects, 'holder', 'waiting');
  assert.equal(waiting.growth, PLAYERS - 8, shown);
  assert.equal(waiting.location?.path, INFLIGHT_SOURCE, shown);
  assert.equal(waiting.location?.line, readFileSync(INFLIGHT_SOURCE, 'utf8').split('\n').findIndex((text) => text.includes('const waiting')) + 1, shown);
  assert.match(waiting.details.map((d) => d.value).join('\n'), /12 × ServerResponse/);
  for (const suspect of suspects) assert.equal(suspect.location?.path, INFLIGHT_SOURCE, `not the program's: ${suspect.title}\n${shown}`);
});
