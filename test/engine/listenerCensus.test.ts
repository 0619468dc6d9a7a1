/**
 * The listener census on real processes: listeners on EventEmitters, `process`, an AbortSignal
 * and an EventTarget, those added before the attach too (found by the once-per-attach scan),
 * grouped by emitter, event and line, with growth, owners gone and the emitter's name; the
 * leak (a per-connection listener on a module-level bus, never removed) scores high and its
 * clean twin (removed on close) does not; detach puts every wrapped method back.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import type { InspectorSession } from '../../src/engine/inspectorSession';
import type { Suspect } from '../../src/protocol/report';
import { ensureNode24 } from '../vscode-e2e/install';
import { runFixtureClient, settleFixture, startFixture } from '../fixtures/fixtureServers';
import { NODE_CACHE_DIR } from '../helpers/nodeVersions';
import { evaluate, eventually, inspect, LIMITS, lineOf, rawConnection, startScript, writeScript } from './targets';

const TARGET = `
const net = require('node:net');
const { EventEmitter } = require('node:events');
const { AsyncLocalStorage } = require('node:async_hooks');
const bus = new EventEmitter(); // BUS
bus.setMaxListeners(0);
for (let i = 0; i < 30; i++) bus.on('early', function onEarly() {}); // EARLY
const controller = new AbortController();
const ticker = new EventTarget();
const players = new AsyncLocalStorage();
const clean = process.env.CLEAN === '1';
const aborts = [];
globalThis.addOthers = () => {
  for (let i = 0; i < 3; i++) process.on('beforeExit', function onBeforeExit() {}); // PROCESS
  for (let i = 0; i < 5; i++) aborts.push(function onAbort() {});
  for (const onAbort of aborts) controller.signal.addEventListener('abort', onAbort); // ABORT
  for (let i = 0; i < 4; i++) ticker.addEventListener('tick', function onTick() {}); // TICK
  for (let i = 0; i < 12; i++) bus.once('later', function onceLater() {}); // ONCE
};
globalThis.messageListeners = () => bus.listenerCount('message');
globalThis.removeOthers = () => {
  process.removeAllListeners('beforeExit');
  for (const onAbort of aborts) controller.signal.removeEventListener('abort', onAbort);
  bus.removeAllListeners('later');
};
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.once('data', (data) => {
    players.run({ playerId: String(data).trim() }, () => {
      const onMessage = (message) => socket.write(message);
      bus.on('message', onMessage); // JOIN
      if (clean) socket.on('close', () => bus.off('message', onMessage));
      socket.write('joined\\n');
    });
  });
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + '\\nready'));
`;

/** \`count\` players join (each adds its listener) and leave by closing the socket. */
async function playRound(port: number, count: number, round: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(`p${round}-${i}\n`));
        socket.once('data', () => socket.end());
        socket.once('close', () => resolve());
        socket.once('error', reject);
      }),
    ),
  );
}

function listeners(session: InspectorSession): Promise<Suspect[]> {
  return session.snapshot().then(([report]) => report.listenerSuspects ?? assert.fail('no listener census in the report'));
}

function describe(suspects: readonly Suspect[]): string {
  return suspects.map((suspect) => `${suspect.score} ${suspect.title} @ ${suspect.location?.path}:${suspect.location?.line} holder=${suspect.holder}`).join('\n');
}

function at(suspects: readonly Suspect[], file: string, line: number): Suspect {
  const found = suspects.find((suspect) => suspect.location?.path === file && suspect.location.line === line);
  return found ?? assert.fail(`no listener suspect at ${file}:${line}; got:\n${describe(suspects)}`);
}

async function startTarget(t: Parameters<typeof writeScript>[0], options: { clean?: boolean; node?: string } = {}) {
  const file = writeScript(t, 'listeners.js', TARGET);
  const target = await startScript(t, file, { env: { ...process.env, CLEAN: options.clean ? '1' : '0' }, node: options.node });
  const port = Number(/port (\d+)/.exec(target.output())![1]);
  return { file, target, port };
}

test('a per-connection listener left on a module-level bus: counted from before the attach, located, growing, owners gone, named, high', LIMITS, async (t) => {
  const { file, target, port } = await startTarget(t);
  const notices: string[] = [];
  const session = await inspect(t, target.webSocketDebuggerUrl, { listeners: { onNotice: (message) => notices.push(message) } });
  const first = await listeners(session);
  assert.match(notices.join('\n'), /pauses it about \d+ ms at [\d.]+ MB/, 'the scan announced its pause');

  // Added before the attach: no stack, so located at the listener function; named from its closure.
  const early = at(first, file, lineOf(file, '// EARLY'));
  assert.equal(early.count, 30);
  assert.equal(early.holder, 'bus');
  assert.match(early.title, /^30 'early' listeners on bus \(EventEmitter\)$/);
  assert.ok(early.details.some((detail) => /existed before the attach/.test(detail.value)), JSON.stringify(early.details));
  assert.equal(early.severity, 'low', 'many old listeners that do not grow or lose their owner are wiring, not a leak');

  for (let round = 1; round <= 3; round++) await playRound(port, 40, round);
  let latest: Suspect[] = [];
  for (let round = 4; round <= 6; round++) {
    await playRound(port, 40, round);
    latest = await listeners(session);
  }
  const join = at(latest, file, lineOf(file, '// JOIN'));
  assert.equal(join.count, 240, describe(latest));
  assert.equal(join.growth, 40);
  assert.equal(join.holder, `bus (listeners.js:${lineOf(file, '// BUS')})`);
  assert.match(join.title, /^\+40 'message' listeners on bus \(listeners\.js:\d+\) \(EventEmitter\)$/);
  assert.equal(join.paths[0]?.stack.find((frame) => frame.path === file)?.line, lineOf(file, '// JOIN'));
  const ownerGone = join.factors.find((factor) => factor.name === 'owner-gone')!;
  assert.equal(ownerGone.value, 1, ownerGone.explanation);
  assert.equal(join.severity, 'high', JSON.stringify(join.factors, null, 1));
  assert.equal(latest[0].key, join.key, `the leak ranks first:\n${describe(latest)}`);
  // Node's own listeners on the sockets and the server are not the user's.
  assert.ok(latest.every((suspect) => suspect.location === null || !suspect.location.path.startsWith('node:')), describe(latest));
});

test('process, an AbortSignal, an EventTarget and once: registering lines; removed listeners go', LIMITS, async (t) => {
  const { file, target } = await startTarget(t);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await evaluate(session.connection, 'addOthers()');
  const suspects = await listeners(session);

  const onProcess = at(suspects, file, lineOf(file, '// PROCESS'));
  assert.equal(onProcess.count, 3);
  assert.equal(onProcess.holder, 'process');
  assert.equal(onProcess.factors.find((factor) => factor.name === 'long-lived-emitter')?.value, 1);
  const abort = at(suspects, file, lineOf(file, '// ABORT'));
  assert.equal(abort.count, 5);
  assert.match(abort.title, /'abort' listeners on AbortSignal/);
  const tick = at(suspects, file, lineOf(file, '// TICK'));
  assert.equal(tick.count, 4);
  assert.match(tick.title, /'tick' listeners on EventTarget/);
  const once = at(suspects, file, lineOf(file, '// ONCE'));
  assert.equal(once.count, 12, 'once listeners are counted at their registering line, unwrapped');

  await evaluate(session.connection, 'removeOthers()');
  const after = await listeners(session);
  const lines = new Set(after.map((suspect) => suspect.location?.line));
  assert.equal(lines.has(lineOf(file, '// PROCESS')), false, describe(after));
  assert.equal(lines.has(lineOf(file, '// ABORT')), false, describe(after));
  assert.equal(lines.has(lineOf(file, '// ONCE')), false, describe(after));
  assert.equal(lines.has(lineOf(file, '// TICK')), true, 'listeners still registered stay');
});

test('the clean variant (listeners removed on close) reports nothing medium or high', LIMITS, async (t) => {
  const { file, target, port } = await startTarget(t, { clean: true });
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await listeners(session);
  let latest: Suspect[] = [];
  for (let round = 1; round <= 4; round++) {
    await playRound(port, 40, round);
    // Our client sees its socket close a moment before the server's 'close' handler removes the
    // listener (CI once took the census in between): at rest means after the server's cleanup.
    await eventually("the server's close handlers ran", async () => (await evaluate(session.connection, 'messageListeners()')) === 0);
    latest = await listeners(session);
  }
  assert.equal(latest.find((suspect) => suspect.location?.line === lineOf(file, '// JOIN')), undefined, describe(latest));
  assert.deepEqual(latest.filter((suspect) => suspect.severity !== 'low').map((suspect) => suspect.title), [], describe(latest));
});

test('detach restores every wrapped listener method (===)', LIMITS, async (t) => {
  const { target } = await startTarget(t);
  const observer = await rawConnection(t, target.webSocketDebuggerUrl);
  const methods = `[EventEmitter.prototype.addListener, EventEmitter.prototype.on, EventEmitter.prototype.prependListener, EventEmitter.prototype.once,
    EventEmitter.prototype.prependOnceListener, EventEmitter.prototype.removeListener, EventEmitter.prototype.off, EventEmitter.prototype.removeAllListeners,
    EventTarget.prototype.addEventListener, EventTarget.prototype.removeEventListener]`;
  await evaluate(observer, `globalThis.EventEmitter = process.getBuiltinModule('events'); globalThis.originalMethods = ${methods}; true`);
  const changed = `(() => { const now = ${methods}; return now.flatMap((fn, i) => fn === originalMethods[i] ? [] : [i]); })()`;
  const session = await inspect(t, target.webSocketDebuggerUrl);
  assert.deepEqual(await evaluate(observer, changed), [0, 1, 2, 8], 'addListener/on, prependListener and addEventListener are wrapped while attached');
  assert.equal(await evaluate(observer, 'EventEmitter.prototype.on === EventEmitter.prototype.addListener'), true, 'aliases stay aliases');
  await session.detach();
  assert.deepEqual(await evaluate(observer, changed), []);
});

test('Node 24 target: listeners from before and after the attach', { timeout: 240_000 }, async (t) => {
  const node = await ensureNode24(NODE_CACHE_DIR, (line) => t.diagnostic(line));
  const { file, target, port } = await startTarget(t, { node });
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await playRound(port, 20, 1);
  await listeners(session);
  await playRound(port, 20, 2);
  const suspects = await listeners(session);
  assert.equal(at(suspects, file, lineOf(file, '// EARLY')).count, 30);
  const join = at(suspects, file, lineOf(file, '// JOIN'));
  assert.equal(join.count, 40, describe(suspects));
  assert.equal(join.growth, 20);
  assert.equal(join.holder, `bus (listeners.js:${lineOf(file, '// BUS')})`);
});

/**
 * The socket.io app (test/fixtures/socketio-app): its `connection` handler runs after an `await`
 * and a `process.nextTick`, so no registration knows its connection; the listeners' closures
 * (each holds its socket.io `Socket`) say the owners are gone. One round of bots, all gone.
 */
async function socketioListeners(t: Parameters<typeof writeScript>[0], leaks: string): Promise<Suspect[]> {
  const server = await startFixture(t, 'socketio-app', ['--leaks', leaks], ['--inspect=127.0.0.1:0']);
  const session = await inspect(t, server.inspectorUrl!);
  await listeners(session);
  await runFixtureClient(t, 'socketio-app', ['--url', server.url, '--players', '12', '--drops', '3', '--moves', '3', '--tag', leaks]);
  const stats = await settleFixture(server, (current) => current.connected === 0);
  assert.equal(stats.lobbyListeners, leaks === 'listener' ? 12 : 0, 'the fixture kept the listeners it should');
  return listeners(session);
}

const GAME_TS = path.resolve(__dirname, '../fixtures/socketio-app/src/game.ts');

test('socket.io app: the lobby listener leak scores medium or high on its first census, at game.ts, held by lobbyBus', LIMITS, async (t) => {
  const suspects = await socketioListeners(t, 'listener');
  const lobby = suspects.find((suspect) => suspect.location?.path === GAME_TS && [lineOf(GAME_TS, "lobbyBus.on('chat'"), lineOf(GAME_TS, 'const onChat =')].includes(suspect.location.line));
  assert.ok(lobby, describe(suspects));
  assert.equal(lobby.count, 12);
  assert.match(lobby.holder ?? '', /lobbyBus/);
  assert.notEqual(lobby.severity, 'low', JSON.stringify(lobby.factors, null, 1));
  assert.equal(lobby.factors.find((factor) => factor.name === 'owner-gone')?.value, 1, JSON.stringify(lobby.factors, null, 1));
  assert.equal(suspects[0].key, lobby.key, `the leak ranks first:\n${describe(suspects)}`);
});

test('socket.io app, clean: per-socket listeners and process signals stay low', LIMITS, async (t) => {
  const suspects = await socketioListeners(t, 'none');
  assert.ok(suspects.some((suspect) => suspect.holder === 'process' && /'SIGTERM'/.test(suspect.title)), describe(suspects));
  assert.equal(suspects.find((suspect) => /'chat' listeners? on lobbyBus/.test(suspect.title)), undefined, describe(suspects));
  assert.deepEqual(suspects.filter((suspect) => suspect.severity !== 'low').map((suspect) => suspect.title), [], describe(suspects));
});
