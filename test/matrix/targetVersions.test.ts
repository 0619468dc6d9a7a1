/**
 * Every target-facing feature on every Node line a game server may run: 20, 22, 24 and 26
 * (official builds from the npm registry, see `test/helpers/nodeVersions.ts`), each with
 * AsyncLocalStorage kept in AsyncContextFrames and on async resources where the line has a flag
 * for both. Per line: the sample game server under bots (attached by host:port, context tags and
 * owner-gone counts), and a compact target per setting (attached by PID through SIGUSR1, or by
 * URL) with timers and sockets from before the attach, stores created before and after it,
 * owner gone, a pending promise, the listener census (listeners added before the attach too), the
 * exact promise census (a promise that can never settle), a worker, an ES module, heap snapshot and sampling, and a detach
 * that restores everything. A Node where context comes back empty fails here.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { TRACK_ALL_PROMISES } from '../../src/engine/agentInjector';
import type { InspectorSession } from '../../src/engine/inspectorSession';
import { takePromiseCensus } from '../../src/engine/promiseCensus';
import { summarizeHeapSnapshot, takeHeapSnapshot } from '../../src/heap';
import { sampleAllocations, topAllocationSites } from '../../src/heap/sampling';
import type { AsyncSnapshotReport } from '../../src/protocol/asyncSnapshot';
import { runBots, startSampleServer } from '../../src/sample/sampleServer';
import { spawnNode, type Cleanup } from '../helpers/inspectedProcess';
import { targetNode, type ContextSetting, type TargetNode } from '../helpers/nodeVersions';
import { AGENT, describeSites, evaluate, inspect, lineOf, rawConnection, READY, siteAt, startScript, writeScript } from '../engine/targets';

const LINES = [20, 22, 24, 26];
const LIMITS = { timeout: 60_000 };
const SAMPLE_SOURCES = path.resolve(__dirname, '../../samples/game-server/src');

/**
 * A small game server: players connect over TCP and send `playerId roomId`; the handler runs in
 * an AsyncLocalStorage created at start-up (`early`: player, protocol) and, once the test made
 * it, in one created after the attach (`late`: room), and starts a heartbeat that is never
 * cleared (the leak). Before the attach it already runs a room ticker, a server, two players
 * and a worker.
 */
const TARGET = `
const { AsyncLocalStorage } = require('node:async_hooks');
const net = require('node:net');
const timers = require('node:timers');
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
if (!isMainThread) {
  parentPort.on('message', () => {
    setInterval(function simulate() {}, 60000); // WORKER INTERVAL
    parentPort.postMessage('created');
  });
  parentPort.postMessage('up');
} else {
  const early = new AsyncLocalStorage();
  // A per-player listener on a long-lived bus, never removed: the listener census's subject.
  const bus = new (require('node:events'))();
  bus.setMaxListeners(0);
  // Event-driven waits: a polling loop would spend the agent's sampling budget on its own timers.
  let onLogin = () => {};
  let onClose = () => {};
  const serverSockets = new Set();
  const server = net.createServer(function onConnection(socket) { // ON CONNECTION
    serverSockets.add(socket);
    socket.on('close', () => { serverSockets.delete(socket); onClose(); });
    socket.once('data', (data) => {
      // Anything else is not a player (attaching by PID probes the process's ports for the inspector).
      const words = String(data).split(' ');
      if (words.length !== 2) return socket.destroy();
      const [playerId, roomId] = words;
      const login = () => {
        setInterval(function heartbeat() {}, 60000); // HEARTBEAT
        bus.on('announce', function onAnnounce() { socket.write('!'); }); // BUS LISTENER
        onLogin();
      };
      early.run({ playerId, protocol: 'tcp' }, () => (globalThis.late ? globalThis.late.run({ roomId }, login) : login()));
    });
  });
  const clients = [];
  globalThis.join = (names) => new Promise((resolve) => {
    let left = names.length;
    onLogin = () => { if (--left === 0) resolve(); };
    for (const name of names) {
      const client = net.connect(server.address().port, '127.0.0.1');
      client.write(name);
      clients.push(client);
    }
  });
  globalThis.leave = (count) => new Promise((resolve) => {
    const remaining = serverSockets.size - count;
    onClose = () => { if (serverSockets.size === remaining) resolve(); };
    for (const client of clients.splice(0, count)) client.destroy();
  });
  globalThis.wait = () => early.run({ playerId: 'waiter', protocol: 'tcp' }, () => { globalThis.waiting = new Promise(() => {}); }); // PENDING
  const originals = () => ({ setTimeout, setInterval, setImmediate, timersSetTimeout: timers.setTimeout, connect: net.Socket.prototype.connect, listen: net.Server.prototype.listen });
  const before = originals();
  globalThis.wrapped = () => Object.entries(originals()).filter(([key, fn]) => before[key] !== fn).map(([key]) => key);
  const worker = new Worker(__filename);
  const workerUp = new Promise((resolve) => worker.once('message', resolve));
  globalThis.workerCreate = () => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage('create'); });
  setInterval(function roomTick() {}, 50); // ROOM TICK
  server.listen(0, '127.0.0.1', async () => {
    await join(['early-1 lobby', 'early-2 lobby']);
    globalThis.esm = await import(process.env.ESM_MODULE);
    // Running before the attach, so the worker gets its agent then.
    await workerUp;
    console.log('ready');
  });
}
`;

/** An ES module: its `import { setTimeout }` is a live binding the agent must reach. */
const ESM = `
import { setTimeout } from 'node:timers';
const original = setTimeout;
export const later = () => void setTimeout(() => {}, 3600000); // ESM TIMEOUT
export const bindingRestored = () => setTimeout === original;
`;

interface CompactTarget {
  file: string;
  esmFile: string;
  session: InspectorSession;
  observer: Awaited<ReturnType<typeof rawConnection>>;
}

/** Starts the compact target on `node` with `setting`, attached by PID (SIGUSR1) or by its URL. */
async function startCompact(t: Cleanup, node: TargetNode, setting: ContextSetting, by: 'pid' | 'url'): Promise<CompactTarget> {
  const file = writeScript(t, 'game.js', TARGET);
  const esmFile = path.join(path.dirname(file), 'esm.mjs');
  fs.writeFileSync(esmFile, ESM);
  const env = { ...process.env, ESM_MODULE: pathToFileURL(esmFile).href };
  const agent = TRACK_ALL_PROMISES;
  let address: string;
  if (by === 'pid') {
    // Off until SIGUSR1; `--inspect-port=0` opens it on a free port, not on 9229 that other runs may hold.
    const target = await spawnNode(t, `require(${JSON.stringify(file)});`, { node: node.node, nodeArgs: ['--inspect-port=0', ...setting.flags], env, ready: READY });
    assert.doesNotMatch(target.output(), /Debugger listening/);
    address = `pid:${target.pid}`;
  } else {
    address = (await startScript(t, file, { node: node.node, nodeArgs: setting.flags, env })).webSocketDebuggerUrl;
  }
  const session = await inspect(t, address, { agent });
  const observer = await rawConnection(t, address);
  return { file, esmFile, session, observer };
}

/** The checks every line and setting must pass on the compact target; returns the main report. */
async function checkCompact(target: CompactTarget, node: TargetNode, setting: ContextSetting): Promise<AsyncSnapshotReport> {
  const { file, esmFile, session } = target;
  assert.equal(await evaluate(session.connection, 'process.version'), `v${node.version}`, 'the target runs the Node under test');
  // A store created after the attach, then four players, two of whom leave.
  await evaluate(session.connection, "globalThis.late = new (require('node:async_hooks').AsyncLocalStorage)(); undefined");
  await evaluate(session.connection, "join(['p1 room-a', 'p2 room-a', 'p3 room-b', 'p4 room-b'])");
  await evaluate(session.connection, 'leave(4)'); // the two early players and p1, p2
  // Stacks are sampled at a rate re-estimated every 100 ms window from the last one's creations:
  // after the burst of promises above, let two quiet windows pass so the lone promise below is sampled.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await evaluate(session.connection, 'wait(); esm.later(); workerCreate()');
  const reports = await session.snapshot();
  const [main, worker] = reports;
  const what = `Node ${node.version} ${setting.asyncContextFrame ? 'AsyncContextFrame' : 'async_hooks stores'}`;

  // Timers and sockets from before the attach, found and located at their callbacks.
  const ticker = siteAt(main, 'Interval', file, lineOf(file, '// ROOM TICK'));
  assert.equal(ticker.preexisting, true);
  assert.equal(ticker.locationKind, 'callback');
  const server = siteAt(main, 'TCPServer', file, lineOf(file, '// ON CONNECTION'));
  assert.equal(server.preexisting, true);
  assert.ok((main.totalsByType.TCPSocket ?? 0) >= 4, `the two remaining players' sockets, both ends: ${JSON.stringify(main.totalsByType)}`);

  // Context from both stores, on every resource created while handling a player.
  const heartbeat = siteAt(main, 'Interval', file, lineOf(file, '// HEARTBEAT'));
  assert.equal(heartbeat.count, 6, `two from before the attach, four after:\n${describeSites(main)}`);
  const keys = heartbeat.context.keys;
  assert.deepEqual(keys.playerId?.top.map((entry) => entry.value).sort(), ['p1', 'p2', 'p3', 'p4'], `${what}: playerId tags ${JSON.stringify(keys)}`);
  assert.deepEqual(keys.roomId?.top.map((entry) => entry.value).sort(), ['room-a', 'room-b'], `${what}: roomId from the store created after the attach`);
  assert.deepEqual(keys.protocol?.top, [{ value: 'tcp', count: 4 }], `${what}: protocol`);
  assert.equal(keys.playerId.gone, 2, `${what}: p1 and p2 left`);
  assert.equal(heartbeat.ownerGoneCount, 2);
  assert.equal(heartbeat.ownerKnownCount, 4, 'the four created after the attach');

  const pending = siteAt(main, 'Promise', file, lineOf(file, '// PENDING'));
  assert.equal(pending.context.keys.playerId?.top[0]?.value, 'waiter', `${what}: a promise's context`);
  const esm = siteAt(main, 'Timeout', esmFile, lineOf(esmFile, '// ESM TIMEOUT'));
  assert.equal(esm.locationKind, 'user-frame', `the ES module binding was wrapped ${JSON.stringify(main.stackSampling)}`);
  assert.equal(worker?.target.threadId, 1, `a report for the worker:\n${reports.map((report) => report.target.label).join('\n')}`);
  assert.equal(siteAt(worker, 'Interval', file, lineOf(file, '// WORKER INTERVAL')).locationKind, 'user-frame');
  assert.deepEqual(main.warnings ?? [], [], `${what}: nothing the agent could not do`);

  // The listener census: the bus listeners of all six players, the two from before the attach too.
  const listenerLine = lineOf(file, '// BUS LISTENER');
  const listeners = (main.listenerSuspects ?? []).filter((suspect) => suspect.location?.path === file && suspect.location.line === listenerLine);
  assert.equal(listeners.reduce((sum, suspect) => sum + suspect.count, 0), 6, `${what}: listeners ${JSON.stringify((main.listenerSuspects ?? []).map((s) => [s.title, s.location, s.count]))}`);

  // The exact promise census: \`waiting\` can never settle (its resolvers were dropped).
  const census = await takePromiseCensus(session);
  const stuck = census.suspects.filter((suspect) => suspect.kind === 'stuck-promise');
  assert.equal(census.analysis.rootCount ?? census.analysis.stuckCount, 1, `${what}: ${JSON.stringify(stuck.map((s) => [s.title, s.holder, s.count]))}`);
  assert.match(stuck[0].holder ?? '', /waiting/, `${what}: held by globalThis.waiting`);
  return main;
}

/** Detach gives everything back: the originals (ESM bindings too), no agent in any thread. */
async function checkDetach(target: CompactTarget): Promise<void> {
  const { session, observer } = target;
  assert.ok(((await evaluate(observer, 'wrapped()')) as string[]).length >= 5, 'wrapped while attached');
  assert.equal(await evaluate(observer, 'esm.bindingRestored()'), false);
  await session.detach();
  assert.deepEqual(await evaluate(observer, 'wrapped()'), []);
  assert.equal(await evaluate(observer, 'esm.bindingRestored()'), true);
  assert.equal(await evaluate(observer, `typeof ${AGENT}`), 'undefined');
  assert.equal(await evaluate(observer, "new Promise((resolve) => setTimeout(() => resolve('fired'), 5))"), 'fired', 'the target still runs');
}

/** A heap snapshot (written and read back) and allocation sampling of the target. */
async function checkHeap(t: Cleanup, session: InspectorSession): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-matrix-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const snapshot = await takeHeapSnapshot(session.connection, path.join(dir, 'target.heapsnapshot'));
  const summary = summarizeHeapSnapshot(snapshot.file);
  assert.ok(summary.constructors.some((entry) => entry.name === 'Server' && entry.count >= 1), 'the net.Server is in the snapshot');
  const sampling = sampleAllocations(session.connection, 500, { samplingInterval: 1024 });
  await new Promise((resolve) => setTimeout(resolve, 150)); // sampling has started
  await evaluate(session.connection, "globalThis.kept = Array.from({ length: 3000 }, (_, i) => ({ i, name: 'player-' + i }))");
  const sites = topAllocationSites(await sampling);
  assert.ok(sites.length > 0 && sites.some((site) => site.bytes > 0), 'live allocations were sampled');
}

/** The sample game server under bots, attached by host:port after a first round: every tag is there. */
async function checkSampleServer(t: Cleanup, node: TargetNode): Promise<void> {
  const server = await startSampleServer({ leaks: 'heartbeat,timer', node: node.node, nodeArgs: ['--inspect=127.0.0.1:0'], serverArgs: ['--pool-size', '4', '--ready-timeout-ms', '1000'] });
  t.after(() => server.stop(1000));
  await runBots({ url: server.wsUrl, players: 4, durationS: 0.5, dropRate: 0.5, paceMs: 20, seed: 1 });
  const session = await inspect(t, `127.0.0.1:${new URL(server.inspectorUrl!).port}`);
  await runBots({ url: server.wsUrl, players: 8, durationS: 1, dropRate: 0.5, paceMs: 20, seed: 2 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const [report] = await session.snapshot();
  const own = report.sites.filter((site) => site.location?.path.startsWith(SAMPLE_SOURCES));
  const listing = describeSites({ ...report, sites: own });
  const heartbeat = own.find((site) => site.type === 'Interval' && site.location?.path.endsWith('player-session.ts'));
  assert.ok(heartbeat, `the heartbeat site on Node ${node.version}:\n${listing}`);
  const players = heartbeat.context.keys.playerId;
  assert.ok(players && players.distinct >= 5, `Node ${node.version}: heartbeats tagged with players, got ${JSON.stringify(heartbeat.context.keys)}`);
  assert.ok((players.gone ?? 0) >= 5 && heartbeat.ownerGoneCount >= 5, `owners gone: ${JSON.stringify(players)} ${heartbeat.ownerGoneCount}`);
  for (const key of ['playerId', 'roomId', 'protocol']) {
    assert.ok(own.some((site) => (site.context.keys[key]?.distinct ?? 0) > 0), `Node ${node.version}: no site tagged with ${key}:\n${listing}`);
  }
  assert.deepEqual(report.warnings ?? [], []);
}

for (const major of LINES) {
  describe(`target on Node ${major}`, { concurrency: false }, () => {
    let node: TargetNode;
    before(async () => {
      node = await targetNode(major, (line) => console.log(line));
    }, { timeout: 10 * 60_000 });

    test('the sample server under bots: context tags and owner gone (attached by host:port)', LIMITS, async (t) => {
      await checkSampleServer(t, node);
    });

    test('default setting, attached by PID: before/after-attach resources and stores, owner gone, promise, worker, ESM, heap, detach', LIMITS, async (t) => {
      const [setting] = node.settings;
      const target = await startCompact(t, node, setting, 'pid');
      await checkCompact(target, node, setting);
      await checkHeap(t, target.session);
      await checkDetach(target);
    });

    if (major >= 22) {
      test('AsyncContextFrame switched the other way by flag, attached by URL: the same context and detach', LIMITS, async (t) => {
        const setting = node.settings[1];
        const target = await startCompact(t, node, setting, 'url');
        await checkCompact(target, node, setting);
        await checkDetach(target);
      });
    }
  });
}

/**
 * No silent degradation: a target where the internals the agent relies on cannot be found (here
 * another tool replaced `AsyncResource` and wrapped `timers.setTimeout`, as an internal that
 * moved would look) gets warnings in its report instead of empty context and missing timers.
 */
describe('what cannot work is reported', { concurrency: false }, () => {
  test('Node 24: context-unavailable and timer-lists-missing when the internals are not where they were', LIMITS, async (t) => {
    const node = await targetNode(24, (line) => console.log(line));
    const file = writeScript(
      t,
      'degraded.js',
      `
const asyncHooks = require('node:async_hooks');
const timers = require('node:timers');
const storage = new asyncHooks.AsyncLocalStorage();
asyncHooks.AsyncResource = class AsyncResource {};
const original = timers.setTimeout;
timers.setTimeout = function setTimeout(...args) { return original.apply(this, args); };
globalThis.create = () => storage.run({ playerId: 'p1' }, () => void setInterval(() => {}, 60000)); // CREATE
setInterval(() => {}, 1000);
console.log('ready');
`,
    );
    const target = await startScript(t, file, { node: node.node });
    const session = await inspect(t, target.webSocketDebuggerUrl);
    await evaluate(session.connection, 'create()');
    const [report] = await session.snapshot();
    assert.deepEqual((report.warnings ?? []).map((warning) => warning.code).sort(), ['context-unavailable', 'timer-lists-missing']);
    assert.deepEqual(siteAt(report, 'Interval', file, lineOf(file, '// CREATE')).context.keys, {}, 'and the context is indeed empty');
  });

  test('stores without the configured keys: context-keys-not-found names the fields they have', LIMITS, async (t) => {
    const file = writeScript(
      t,
      'other-keys.js',
      `
const storage = new (require('node:async_hooks').AsyncLocalStorage)();
globalThis.create = () => storage.run({ userId: 'u1', tenant: 't1' }, () => void setInterval(() => {}, 60000));
setInterval(() => {}, 1000);
console.log('ready');
`,
    );
    const target = await startScript(t, file);
    const session = await inspect(t, target.webSocketDebuggerUrl);
    await evaluate(session.connection, 'create()');
    const [report] = await session.snapshot();
    const warning = report.warnings?.find((candidate) => candidate.code === 'context-keys-not-found');
    assert.ok(warning, `warnings: ${JSON.stringify(report.warnings)}`);
    assert.match(warning.message, /userId, tenant/);
    assert.equal(report.warnings?.length, 1, 'the timer lists were found');
  });
});
