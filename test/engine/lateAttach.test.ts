/**
 * Attaching after the leak: servers where players connected and dropped BEFORE the inspector
 * attached, each leaving a heartbeat interval whose closure holds its connection. Nothing was
 * recorded about those intervals (no stack, no owner), yet the FIRST snapshot must put the site
 * at medium or high at its line, from what it can see then: closures holding closed
 * connections, more intervals than open connections, a kind that never ends. The clean control
 * (intervals cleared on close) stays low.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import type { SiteReport } from '../../src/protocol/asyncSnapshot';
import { takePromiseCensus } from '../../src/engine/promiseCensus';
import { spawnProcess } from '../helpers/inspectedProcess';
import { inspect, LIMITS, lineOf, siteAt, startScript, writeScript } from './targets';

const DROPPED = 12;
const STAYING = 2;

/**
 * A raw `net` server and a `ws` server; DROPPED players of each connect and drop, STAYING stay.
 * `LEAK=1` leaves each connection's heartbeat running after it closes.
 */
const SERVER = `
const net = require('node:net');
const { WebSocket, WebSocketServer } = require(${JSON.stringify(require.resolve('ws'))});
const leak = process.env.LEAK === '1';

const lobby = net.createServer((socket) => {
  socket.on('error', () => {});
  const heartbeat = setInterval(function lobbyHeartbeat() { // NET HEARTBEAT
    if (!socket.destroyed) socket.write('ping\\n');
  }, 60000);
  socket.on('close', () => { if (!leak) clearInterval(heartbeat); });
});

const game = new WebSocketServer({ port: 0, host: '127.0.0.1' });
const gameListening = new Promise((resolve) => game.once('listening', resolve));
game.on('connection', (ws) => {
  const session = { playerId: 'p' + game.clients.size, ws, pings: 0 };
  const heartbeat = setInterval(() => { // WS HEARTBEAT
    session.pings++;
    if (session.ws.readyState === WebSocket.OPEN) session.ws.ping();
  }, 60000);
  ws.on('close', () => { if (!leak) clearInterval(heartbeat); });
});

const connectNet = (port) => new Promise((resolve) => { const c = net.connect(port, '127.0.0.1', () => resolve(c)); });
const connectWs = (port) => new Promise((resolve) => { const c = new WebSocket('ws://127.0.0.1:' + port); c.on('open', () => resolve(c)); });
const closed = (c) => new Promise((resolve) => c.once('close', resolve));

lobby.listen(0, '127.0.0.1', async () => {
  await gameListening;
  const lobbyPort = lobby.address().port;
  const gamePort = game.address().port;
  for (let i = 0; i < ${DROPPED}; i++) {
    const c = await connectNet(lobbyPort);
    c.destroy();
    const w = await connectWs(gamePort);
    w.terminate();
    await closed(w);
  }
  globalThis.staying = [];
  for (let i = 0; i < ${STAYING}; i++) staying.push(await connectNet(lobbyPort), await connectWs(gamePort));
  // The server side of the dropped connections has seen them close.
  const settle = () => (game.clients.size === ${STAYING} ? console.log('ready') : setTimeout(settle, 20));
  settle();
});
`;

function describe(site: SiteReport): string {
  return `${site.score} ${site.severity}: ${site.factors.map((factor) => `${factor.name} ${factor.points}/${factor.weight} (${factor.explanation})`).join('; ')}`;
}

async function firstSnapshot(t: Parameters<typeof writeScript>[0], leak: boolean) {
  const file = writeScript(t, leak ? 'late-leak.js' : 'late-clean.js', SERVER);
  const target = await startScript(t, file, { env: { ...process.env, LEAK: leak ? '1' : '0' } });
  const session = await inspect(t, target.webSocketDebuggerUrl);
  const [report] = await session.snapshot();
  return { file, report };
}

test('late attach to a server that leaked an interval per dropped player: the first snapshot rates each site medium or high at its line', LIMITS, async (t) => {
  const { file, report } = await firstSnapshot(t, true);
  assert.equal(report.openConnections, 2 * STAYING, 'the staying players (the client ends, in the same process, are not accepted sockets)');
  const net = siteAt(report, 'Interval', file, lineOf(file, '// NET HEARTBEAT'));
  const ws = siteAt(report, 'Interval', file, lineOf(file, '// WS HEARTBEAT'));
  for (const site of [net, ws]) {
    assert.equal(site.preexisting, true);
    assert.equal(site.count, DROPPED + STAYING);
    assert.equal(site.ownerKnownCount, 0, 'nothing recorded before the attach');
    assert.ok(site.severity !== 'low', describe(site));
    assert.ok(site.closures && site.closures.closed >= 3 && site.closures.closed + site.closures.open === site.closures.sampled, JSON.stringify(site.closures));
    assert.ok(site.closures.sampled >= 1 && site.closures.sampled <= 5, 'a bounded sample');
    assert.match(site.factors.find((factor) => factor.name === 'growth')!.explanation, new RegExp(`^${DROPPED + STAYING} intervals for ${2 * STAYING} open connections: they piled up`));
  }
  assert.match(net.factors.find((factor) => factor.name === 'owner-gone')!.explanation, /^closure holds a closed net\.Socket \(`socket`\) in \d of \d sampled intervals/);
  assert.match(ws.factors.find((factor) => factor.name === 'owner-gone')!.explanation, /^closure holds a closed WebSocket \(`(session\.)?ws`\) in \d of \d sampled intervals/);
  assert.ok(report.closureScan && report.closureScan.functions >= 2, JSON.stringify(report.closureScan));
  t.diagnostic(`net ${describe(net)}`);
  t.diagnostic(`ws ${describe(ws)}`);
  t.diagnostic(`closure scan: ${JSON.stringify(report.closureScan)}`);
});

test('late attach to the clean control (heartbeats cleared on close): the live players\' intervals stay low', LIMITS, async (t) => {
  const { file, report } = await firstSnapshot(t, false);
  for (const marker of ['// NET HEARTBEAT', '// WS HEARTBEAT']) {
    const site = siteAt(report, 'Interval', file, lineOf(file, marker));
    assert.equal(site.count, STAYING);
    assert.equal(site.severity, 'low', describe(site));
    assert.equal(site.closures?.closed, 0, JSON.stringify(site.closures));
    assert.ok((site.closures?.open ?? 0) >= 1, `their closures hold the open connections: ${JSON.stringify(site.closures)}`);
  }
  const notLow = report.sites.filter((site) => site.severity !== 'low');
  assert.deepEqual(notLow.map(describe), []);
});

const ROOM_LIFECYCLE = path.resolve(__dirname, '../fixtures/room-lifecycle/src');
const ROOM_LIFECYCLE_DIST = path.resolve(__dirname, '../../dist/fixtures/room-lifecycle');

/** The room-lifecycle fixture (`npm run build`): 20 players join, 15 drop, 5 leave politely; then we attach. */
async function roomLifecycleAfterDrops(t: Parameters<typeof writeScript>[0], mode: 'leaky' | 'clean') {
  const server = spawnProcess(t, process.execPath, ['--inspect=127.0.0.1:0', path.join(ROOM_LIFECYCLE_DIST, 'server.js'), '--port', '0', '--mode', mode]);
  const [, inspectorUrl] = await server.waitForOutput(/Debugger listening on (ws:\/\/\S+)/);
  const [, port] = await server.waitForOutput(/listening on 127\.0\.0\.1:(\d+)/);
  const client = spawnProcess(t, process.execPath, [path.join(ROOM_LIFECYCLE_DIST, 'client.js'), '--url', `ws://127.0.0.1:${port}`, '--join', '20', '--drop', '15']);
  const [line] = await client.waitForOutput(/^\{.*\}$/m, 10_000);
  assert.equal(JSON.parse(line).dropped, 15);
  const session = await inspect(t, inspectorUrl);
  const [report] = await session.snapshot();
  return { report, session };
}

test('room-lifecycle fixture, attached only after 15 players dropped: the first snapshot rates the per-player interval medium or high at its line', LIMITS, async (t) => {
  const { report, session } = await roomLifecycleAfterDrops(t, 'leaky');
  const file = path.join(ROOM_LIFECYCLE, 'heartbeat.ts');
  const heartbeat = siteAt(report, 'Interval', file, lineOf(file, 'return setInterval('));
  assert.equal(heartbeat.preexisting, true);
  assert.equal(heartbeat.count, 15);
  assert.ok(heartbeat.severity !== 'low', describe(heartbeat));
  assert.match(heartbeat.factors.find((factor) => factor.name === 'owner-gone')!.explanation, /^closure holds a closed WebSocket \(`socket`\) in (\d) of \1 sampled intervals/);
  t.diagnostic(`heartbeat.ts ${describe(heartbeat)}`);
  t.diagnostic(`closure scan: ${JSON.stringify(report.closureScan)}`);

  // The same inspection lists every never-settling readiness promise, exactly counted: the 15
  // dropped players' joins stay suspended at `await ready` with nothing left that can settle them.
  let announced = false;
  const census = await takePromiseCensus(session, { onEstimate: () => (announced = true) });
  assert.ok(announced, 'the heap snapshot pause is announced before it is taken');
  // One leak, one entry: the readiness promises are the root; the suspended onJoin calls and the
  // promises their `.catch` at server.ts derived are its consequences, listed with it.
  const handlers = path.join(ROOM_LIFECYCLE, 'handlers.ts');
  const listed = JSON.stringify(census.suspects.map((s) => [s.kind, s.title, s.location, s.count, s.details]), null, 1);
  const stuck = census.suspects.filter((suspect) => suspect.kind === 'stuck-promise');
  assert.equal(stuck.length, 1, listed);
  const [readiness] = stuck;
  assert.equal(readiness.location?.path, handlers, listed);
  assert.equal(readiness.count, 15, 'the readiness promises');
  assert.match(readiness.title, /^15 promises that can never settle, awaited by onJoin$/);
  assert.ok(readiness.severity !== 'low', `${readiness.score}`);
  assert.equal(readiness.details.find((d) => d.label.startsWith('consequences'))?.value, `15 call(s) of onJoin (handlers.ts:${lineOf(handlers, 'export async function onJoin(')}) suspended; 15 with handler anonymous (server.ts:${lineOf(path.join(ROOM_LIFECYCLE, 'server.ts'), 'onJoin(socket, playerId, roomId, options).catch(')})`);
  assert.match(readiness.holder ?? '', /pendingReady/);
  assert.equal(census.analysis.stuckCount, 45, 'the whole chain: 15 readiness promises, 15 onJoin calls, 15 derived by .catch');
  assert.equal(census.analysis.rootCount, 15);
  assert.deepEqual(census.suspects.filter((s) => s.kind === 'orphaned-promise').map((s) => s.title), [], 'stuck, so never orphaned too');
  t.diagnostic(`stuck: ${readiness.title} — ${readiness.score} ${readiness.severity}, ${readiness.retainedBytes} bytes`);
});

test('room-lifecycle fixture in clean mode, attached after the same drops: nothing of its own code is medium or high', LIMITS, async (t) => {
  const { report, session } = await roomLifecycleAfterDrops(t, 'clean');
  const census = await takePromiseCensus(session);
  assert.equal(census.analysis.stuckCount, 0, JSON.stringify(census.suspects.map((s) => [s.title, s.location, s.count])));
  assert.deepEqual(census.suspects.map((s) => `${s.kind} ${s.title}`), [], 'nothing stuck or orphaned');
  const own = report.sites.filter((site) => site.location?.path.startsWith(ROOM_LIFECYCLE) && site.severity !== 'low');
  assert.deepEqual(own.map(describe), []);
});
