/**
 * A socket opened while serving a player outlives that player in two ways: a pool or shared
 * client keeps using it for everybody (by design), or nobody uses it again (the player's leak).
 * Owner-gone must tell them apart, on a real process with real sockets: the shared one, once
 * written to after its player left, no longer counts as gone; the forgotten one does.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';
import type { AsyncSnapshotReport, SiteReport } from '../../src/protocol/asyncSnapshot';
import { describeSites, evaluate, inspect, LIMITS, lineOf, startScript, writeScript } from './targets';

const SERVER = `
const net = require('node:net');
// The backend (a store): accepts and discards.
const backend = net.createServer((socket) => socket.resume()).listen(0, '127.0.0.1');
const pool = [];
const forgotten = [];
// Players: each one's first message opens two backend connections from its own 'data' handler.
const players = net.createServer((player) => {
  player.once('data', () => {
    const port = backend.address().port;
    pool.push(net.connect(port, '127.0.0.1')); // SHARED
    forgotten.push(net.connect(port, '127.0.0.1')); // FORGOTTEN
    player.write('ok');
  });
}).listen(0, '127.0.0.1');
globalThis.playersPort = () => players.address().port;
globalThis.connected = () => pool.concat(forgotten).every((socket) => !socket.connecting);
// Another player's query goes through the pool.
globalThis.usePool = () => { for (const socket of pool) socket.write('query\\n'); return pool.length; };
backend.on('listening', () => players.on('listening', () => console.log('ready')));
`;

/**
 * The TCPSocket sites created at `marker`'s line: one line can be several sites when the
 * sockets were opened through different internal call paths (a player's first 'data' event).
 */
function socketsAt(report: AsyncSnapshotReport, file: string, marker: string): { sites: SiteReport[]; count: number; gone: number; known: number } {
  const line = lineOf(file, marker);
  const sites = report.sites.filter((site) => site.type === 'TCPSocket' && site.location?.path === file && site.location.line === line);
  assert.ok(sites.length > 0, `no TCPSocket site at ${marker}:\n${describeSites(report)}`);
  const sum = (pick: (site: SiteReport) => number) => sites.reduce((total, site) => total + pick(site), 0);
  return { sites, count: sum((site) => site.count), gone: sum((site) => site.ownerGoneCount), known: sum((site) => site.ownerKnownCount) };
}

async function playOnce(port: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('data', () => resolve());
    socket.once('connect', () => socket.write('hello'));
  });
  socket.destroy();
  await new Promise((resolve) => socket.once('close', resolve));
}

test('a socket its player left behind: owner gone while unused, shared once others write to it', LIMITS, async (t) => {
  const file = writeScript(t, 'players.cjs', SERVER);
  const target = await startScript(t, file);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  const port = (await evaluate(session.connection, 'playersPort()')) as number;
  for (let i = 0; i < 3; i++) await playOnce(port);
  for (let i = 0; i < 50 && !(await evaluate(session.connection, 'connected()')); i++) await new Promise((resolve) => setTimeout(resolve, 20));

  // First sighting of the gone owners: nothing tells the two apart yet.
  const [first] = await session.snapshot();
  for (const marker of ['// SHARED', '// FORGOTTEN']) {
    const sockets = socketsAt(first, file, marker);
    assert.equal(sockets.count, 3, `${marker}:\n${describeSites(first)}`);
    assert.equal(sockets.gone, 3, `${marker}: every player left`);
  }

  assert.equal(await evaluate(session.connection, 'usePool()'), 3);
  const [second] = await session.snapshot();
  const shared = socketsAt(second, file, '// SHARED');
  assert.equal(shared.known, 3);
  assert.equal(shared.gone, 0, 'written to after the players left: shared, not theirs');
  for (const site of shared.sites) {
    assert.match(site.factors.find((factor) => factor.name === 'owner-gone')!.explanation, /\d outlived their owner but were written to since/);
  }
  const forgotten = socketsAt(second, file, '// FORGOTTEN');
  assert.equal(forgotten.gone, 3, 'never used again: still the gone players’');
  const best = (sites: SiteReport[]) => Math.max(...sites.map((site) => site.score));
  assert.ok(best(forgotten.sites) > best(shared.sites), `forgotten ${best(forgotten.sites)} > shared ${best(shared.sites)}`);
});
