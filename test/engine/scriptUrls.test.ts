/**
 * Callback locations name only a script id; its URL comes from switching the Debugger domain on
 * for a moment (`scriptParsed` for every script, a cost on the target's main thread that grows
 * with the number of scripts). A function from eval'd code has no URL: it must not make every
 * later snapshot switch the Debugger on again. The target's timers are armed before the attach,
 * so their sites are located through their callbacks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect, LIMITS, startScript, writeScript } from './targets';

const SCRIPT = `'use strict';
const fromEval = eval('(function evaluatedTick() {})');
const timers = [];
for (let i = 0; i < 20; i++) timers.push(setInterval(fromEval, 600_000));
for (let i = 0; i < 20; i++) timers.push(setInterval(function fileTick() {}, 600_000));
console.log('ready');
`;

test("a callback from eval'd code does not switch the Debugger on at every snapshot", LIMITS, async (t) => {
  const target = await startScript(t, writeScript(t, 'eval-callbacks.js', SCRIPT));
  const session = await inspect(t, target.webSocketDebuggerUrl);
  const connection = session.connection;
  const send = connection.send.bind(connection);
  let enables = 0;
  connection.send = ((method: string, ...rest: unknown[]) => {
    if (method === 'Debugger.enable') enables++;
    return (send as (method: string, ...rest: unknown[]) => unknown)(method, ...rest);
  }) as typeof connection.send;
  const [first] = await session.snapshot();
  const intervals = first.sites.filter((site) => site.type === 'Interval');
  assert.ok(intervals.some((site) => site.location?.path.endsWith('eval-callbacks.js')), `the file's interval is located: ${JSON.stringify(intervals.map((site) => site.location))}`);
  const afterFirst = enables;
  assert.ok(afterFirst >= 1, 'the first snapshot learned the script URLs');
  for (let i = 0; i < 3; i++) await session.snapshot();
  assert.equal(enables, afterFirst, `three more snapshots switched the Debugger on ${enables - afterFirst} more time(s)`);
});
