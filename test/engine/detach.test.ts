/**
 * Detaching gives the target back as it was: every function the agent wrapped is the original
 * again (`===`), the agent and its housekeeping interval are gone, and the server keeps working.
 * Sessions attached at once share one agent, which stays until the last of them detaches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentInjector } from '../../src/engine/agentInjector';
import type { Cleanup } from '../helpers/inspectedProcess';
import { AGENT, evaluate, eventually, inspect, LIMITS, lineOf, rawConnection, siteAt, startScript, writeScript } from './targets';

/**
 * Stashes every function the agent wraps before anyone attaches, and counts the Timeout objects
 * in Node's own timer lists (`internal/timers`, hence --expose-internals): unref'd timers such
 * as the agent's housekeeping interval are not in `process.getActiveResourcesInfo()`.
 */
const TARGET = `
const timers = require('node:timers');
const timersPromises = require('node:timers/promises');
const net = require('node:net');
const dgram = require('node:dgram');
const { timerListMap } = require('internal/timers');
const current = () => ({
  setTimeout, setInterval, setImmediate, clearTimeout, clearInterval, clearImmediate,
  timersSetTimeout: timers.setTimeout, timersSetInterval: timers.setInterval, timersSetImmediate: timers.setImmediate,
  timersClearTimeout: timers.clearTimeout, timersClearInterval: timers.clearInterval, timersClearImmediate: timers.clearImmediate,
  promisesSetTimeout: timersPromises.setTimeout,
  connect: net.Socket.prototype.connect, listen: net.Server.prototype.listen, bind: dgram.Socket.prototype.bind,
});
const originals = current();
globalThis.wrapped = () => Object.keys(originals).filter((key) => current()[key] !== originals[key]);
globalThis.functionNames = () => Object.keys(originals);
globalThis.changedShape = () => Object.keys(originals).filter((key) => current()[key].name !== originals[key].name || current()[key].length !== originals[key].length);
globalThis.timeoutsInLists = () => {
  let count = 0;
  for (const key in timerListMap) for (let t = timerListMap[key]._idleNext; t !== timerListMap[key]; t = t._idleNext) count++;
  return count;
};
globalThis.state = () => ({ wrapped: wrapped(), timeouts: timeoutsInLists(), resources: process.getActiveResourcesInfo().sort(), agent: typeof ${AGENT} });
globalThis.startTicking = () => { globalThis.ticker = setInterval(function tick() {}, 60000); }; // TICK
globalThis.stopTicking = () => clearInterval(globalThis.ticker);
setInterval(function keepAlive() {}, 1000);
console.log('ready');
`;

interface TargetState {
  wrapped: string[];
  timeouts: number;
  resources: string[];
  agent: string;
}

async function startTarget(t: Cleanup) {
  const file = writeScript(t, 'detach-target.js', TARGET);
  const target = await startScript(t, file, { nodeArgs: ['--expose-internals'] });
  // Another client's view of the target, open across our attach and detach.
  const observer = await rawConnection(t, target.webSocketDebuggerUrl);
  const state = async () => (await evaluate(observer, 'state()')) as TargetState;
  const before = await state();
  assert.deepEqual(before.wrapped, []);
  assert.equal(before.agent, 'undefined');
  const functions = ((await evaluate(observer, 'functionNames()')) as string[]).sort();
  return { file, target, observer, state, before, functions };
}

/** What a session attached right now should see in the target. */
async function assertAttached(state: () => Promise<TargetState>, before: TargetState, functions: string[]): Promise<void> {
  const now = await state();
  assert.deepEqual(now.wrapped.sort(), functions, 'every tracked function is wrapped while attached');
  assert.equal(now.agent, 'object');
  assert.equal(now.timeouts, before.timeouts + 1, 'the housekeeping interval');
}

async function assertRestored(observer: Parameters<typeof evaluate>[0], state: () => Promise<TargetState>, before: TargetState): Promise<void> {
  const after = await state();
  assert.deepEqual(after.wrapped, [], 'every wrapped function is the original again');
  assert.equal(after.agent, 'undefined', 'the agent global is gone');
  assert.equal(after.timeouts, before.timeouts, 'no agent timer left in the timer lists');
  assert.deepEqual(after.resources, before.resources);
  // The target still runs timers, promisified ones included.
  assert.equal(await evaluate(observer, "new Promise((resolve) => setTimeout(() => resolve('fired'), 10))"), 'fired');
  assert.equal(await evaluate(observer, "process.getBuiltinModule('node:util').promisify(setTimeout)(10, 'slept')"), 'slept');
}

test('detach restores every wrapped function, removes the agent and its interval; the target keeps working', LIMITS, async (t) => {
  const { file, target, observer, state, before, functions } = await startTarget(t);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await assertAttached(state, before, functions);

  await evaluate(observer, 'startTicking()');
  const [report] = await session.snapshot();
  siteAt(report, 'Interval', file, lineOf(file, '// TICK'));
  await evaluate(observer, 'stopTicking()');

  await session.detach();
  await assertRestored(observer, state, before);
  await session.detach(); // twice is fine
  await assert.rejects(session.snapshot(), /already detached/);
});

test('while attached the wrappers pass for the originals: aliases, names, lengths, util.promisify', LIMITS, async (t) => {
  const { target, observer, state, before, functions } = await startTarget(t);
  await inspect(t, target.webSocketDebuggerUrl);
  await assertAttached(state, before, functions);
  assert.deepEqual(await evaluate(observer, 'changedShape()'), []);
  const looks = await evaluate(
    observer,
    `(() => {
      const timers = process.getBuiltinModule('timers');
      const { promisify } = process.getBuiltinModule('util');
      return {
        aliases: [setTimeout === timers.setTimeout, setImmediate === timers.setImmediate, clearInterval === timers.clearInterval],
        promisified: [promisify(setTimeout) === timers.promises.setTimeout, promisify(setImmediate) === timers.promises.setImmediate],
      };
    })()`,
  );
  assert.deepEqual(looks, { aliases: [true, true, true], promisified: [true, true] });
  assert.equal(await evaluate(observer, "process.getBuiltinModule('util').promisify(setTimeout)(5, 'slept')"), 'slept');
});

test('two sessions share one agent: it stays until the last of them detaches', LIMITS, async (t) => {
  const { file, target, observer, state, before, functions } = await startTarget(t);
  const url = target.webSocketDebuggerUrl;
  const first = await inspect(t, url);
  const installedAt = await evaluate(observer, `${AGENT}.agent.installedAt`);
  const second = await inspect(t, url);
  assert.equal(await evaluate(observer, `${AGENT}.agent.installedAt`), installedAt, 'the second attach reuses the agent');
  assert.equal(await evaluate(observer, `${AGENT}.leases`), 2);
  await assertAttached(state, before, functions);

  await evaluate(observer, 'startTicking()');
  const tick = lineOf(file, '// TICK');
  const keepAlive = lineOf(file, 'function keepAlive');
  // Concurrent snapshots: each session reads the callbacks of its own snapshot.
  const [[a], [b]] = await Promise.all([first.snapshot(), second.snapshot()]);
  for (const report of [a, b]) {
    siteAt(report, 'Interval', file, tick);
    assert.equal(siteAt(report, 'Interval', file, keepAlive).locationKind, 'callback');
  }

  await first.detach();
  await evaluate(observer, 'stopTicking()');
  await assertAttached(state, before, functions);
  assert.equal(await evaluate(observer, `${AGENT}.leases`), 1);
  // The second session is unaffected: it still snapshots and still gets creation stacks.
  await evaluate(observer, 'startTicking()');
  const [later] = await second.snapshot();
  const ticking = siteAt(later, 'Interval', file, tick);
  assert.equal(ticking.locationKind, 'user-frame');
  assert.equal(ticking.count, 1);
  await evaluate(observer, 'stopTicking()');

  await second.detach();
  await assertRestored(observer, state, before);
});

test('a second install in the same target reports reused, with a lease of its own', LIMITS, async (t) => {
  const { target, observer, state, before } = await startTarget(t);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  const injector = new AgentInjector(await rawConnection(t, target.webSocketDebuggerUrl));
  const reply = await injector.install();
  assert.equal(reply.reused, true);
  assert.equal(reply.leases, 2);
  assert.equal(reply.timerListsFound, true);
  assert.equal(await injector.uninstall(), false, 'the other session still holds the agent');
  assert.equal((await state()).agent, 'object');
  await session.detach();
  await assertRestored(observer, state, before);
});

test('a session that ends without detaching does not pin the agent: it goes once its lease is collected', LIMITS, async (t) => {
  const { target, observer, state, before } = await startTarget(t);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  assert.equal((await state()).agent, 'object');
  // As if the CLI were killed: the connection drops, nobody calls detach.
  await session.connection.close();
  await eventually('the agent removed itself after its only lease was collected', async () => {
    await observer.send('HeapProfiler.collectGarbage');
    return (await state()).agent === 'undefined';
  });
  await assertRestored(observer, state, before);
});
