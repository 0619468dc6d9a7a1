/**
 * ES modules and CommonJS servers alike. An ESM `import { setTimeout } from 'node:timers'` is a
 * live binding the agent reaches through `syncBuiltinESMExports` (on attach and again on
 * detach); CommonJS code that reads `timers.setTimeout` at call time gets the wrapper too.
 * Timers created after the attach are located at the line that created them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AsyncSnapshotReport } from '../../src/protocol/asyncSnapshot';
import { describeSites, evaluate, inspect, LIMITS, lineOf, rawConnection, siteAt, startScript, writeScript } from './targets';

const ESM = `
import { setTimeout, setInterval, setImmediate } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import * as timers from 'node:timers';

const originals = { setTimeout, setInterval, setImmediate, sleep };
globalThis.bindings = () => {
  const now = { setTimeout, setInterval, setImmediate, sleep };
  return Object.keys(now).filter((key) => now[key] !== originals[key]);
};
globalThis.create = () => {
  setTimeout(() => {}, 3600000); // ESM TIMEOUT
  setInterval(function poll() {}, 3600000); // ESM INTERVAL
  sleep(3600000); // ESM SLEEP
  timers.setTimeout(() => {}, 3600000); // ESM NAMESPACE
};
setInterval(() => {}, 1000);
console.log('ready');
`;

const CJS = `
const timers = require('node:timers');
const timersPromises = require('node:timers/promises');
// Destructured before the attach: these bindings keep the original functions.
const { setTimeout: earlySetTimeout } = require('node:timers');

globalThis.create = () => {
  timers.setTimeout(() => {}, 3600000); // CJS TIMEOUT
  timers.setInterval(function poll() {}, 3600000); // CJS INTERVAL
  timersPromises.setTimeout(3600000); // CJS SLEEP
  setTimeout(() => {}, 3600000, 'global'); // CJS GLOBAL
  earlySetTimeout(function early() {}, 3600000); // CJS EARLY
  // Creates no timer: the one just above must not be taken for its.
  timersPromises.setTimeout(3600000, null, { signal: AbortSignal.abort() }).catch(() => {}); // CJS ABORTED
  timersPromises.setTimeout(7200000.5); // CJS FRACTIONAL
};
setInterval(() => {}, 1000);
console.log('ready');
`;

function assertCreatedAt(report: AsyncSnapshotReport, file: string, type: 'Timeout' | 'Interval', marker: string): void {
  const site = siteAt(report, type, file, lineOf(file, marker));
  assert.equal(site.locationKind, 'user-frame', `${marker}: located by its creation stack`);
  assert.equal(site.preexisting, false);
  assert.equal(site.stack[0]?.path, file, `${marker}: the innermost frame is the creating line, not the agent or Node`);
}

test('an ES module: imported timers are tracked at their lines; the bindings are the originals again after detach', LIMITS, async (t) => {
  const file = writeScript(t, 'server.mjs', ESM);
  const target = await startScript(t, file);
  const observer = await rawConnection(t, target.webSocketDebuggerUrl);
  assert.deepEqual(await evaluate(observer, 'bindings()'), []);

  const session = await inspect(t, target.webSocketDebuggerUrl);
  assert.deepEqual(await evaluate(observer, 'bindings()'), ['setTimeout', 'setInterval', 'setImmediate', 'sleep'], 'the imports now see the wrappers');
  await evaluate(observer, 'create()');
  const [report] = await session.snapshot();
  assertCreatedAt(report, file, 'Timeout', '// ESM TIMEOUT');
  assertCreatedAt(report, file, 'Interval', '// ESM INTERVAL');
  assertCreatedAt(report, file, 'Timeout', '// ESM SLEEP');
  assertCreatedAt(report, file, 'Timeout', '// ESM NAMESPACE');
  const sleeping = siteAt(report, 'Promise', file, lineOf(file, '// ESM SLEEP'));
  assert.equal(sleeping.locationKind, 'user-frame');

  await session.detach();
  assert.deepEqual(await evaluate(observer, 'bindings()'), [], 'syncBuiltinESMExports put the originals back in the imports');
});

test('a CommonJS module: timers through require are tracked at their lines; early destructured ones by callback', LIMITS, async (t) => {
  const file = writeScript(t, 'server.cjs', CJS);
  const target = await startScript(t, file);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await evaluate(session.connection, 'create()');
  const [report] = await session.snapshot();
  assertCreatedAt(report, file, 'Timeout', '// CJS TIMEOUT');
  assertCreatedAt(report, file, 'Interval', '// CJS INTERVAL');
  assertCreatedAt(report, file, 'Timeout', '// CJS SLEEP');
  assertCreatedAt(report, file, 'Timeout', '// CJS GLOBAL');
  // A binding taken before the attach is the original: no stack, but the timer is still found
  // in Node's lists and located at its callback (on the same line here).
  const early = siteAt(report, 'Timeout', file, lineOf(file, '// CJS EARLY'));
  assert.equal(early.locationKind, 'callback');
  assert.equal(early.preexisting, false, 'created after the attach, by its _idleStart');
  assert.equal(early.callbackHint, 'early');
  const aborted = lineOf(file, '// CJS ABORTED');
  assert.ok(!report.sites.some((site) => site.type === 'Timeout' && site.location?.line === aborted), `no timer at the aborted sleep:\n${describeSites(report)}`);
  // Node files a 7200000.5 ms timer under 7200000.
  assertCreatedAt(report, file, 'Timeout', '// CJS FRACTIONAL');
});
