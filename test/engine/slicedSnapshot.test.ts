/**
 * The agent's snapshot runs in slices with the event loop given back in between, so the program
 * changes its timers while the agent is walking them. A real target with 60,000 intervals in one
 * timer list clears every other one right after the snapshot's first slice (it watches the
 * agent's snapshot counter from a setImmediate loop): the walk must go on past the timers
 * unlinked under it, count every interval that stayed, and not count those cleared before it
 * reached them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, inspect, LIMITS, startScript, writeScript } from './targets';

const COUNT = 60_000;

const SCRIPT = `'use strict';
const timers = [];
for (let i = 0; i < ${COUNT}; i++) timers.push(setInterval(() => {}, 600_000));
// Armed after the attach: once the agent's snapshot has begun, clear the even-numbered intervals (the
// walk pauses after an odd one: the timer after it goes).
globalThis.clearEvensMidSnapshot = () => {
  const handle = globalThis[Symbol.for('leak-inspector.agent')];
  const poll = () => {
    if (!(handle.agent && handle.agent.snapshots > 0)) return setImmediate(poll);
    for (let i = 0; i < timers.length; i += 2) clearInterval(timers[i]);
    globalThis.clearedMidSnapshot = true;
  };
  setImmediate(poll);
};
console.log('ready');
`;

test('a snapshot walking timers in slices counts those left after the program cleared others under it', LIMITS, async (t) => {
  const target = await startScript(t, writeScript(t, 'many-intervals.js', SCRIPT));
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await evaluate(session.connection, 'clearEvensMidSnapshot()');
  const [report] = await session.snapshot();
  assert.equal(await evaluate(session.connection, 'globalThis.clearedMidSnapshot === true'), true, 'the target cleared its timers during the snapshot');
  assert.ok((report.slices ?? 0) > 1, `the snapshot ran in ${report.slices} slice(s)`);
  const intervals = report.totalsByType.Interval ?? 0;
  // Every odd-numbered interval stayed live throughout; the even ones count only if the walk passed them before they went.
  assert.ok(intervals >= COUNT / 2, `${intervals} intervals counted, ${COUNT / 2} stayed live throughout`);
  assert.ok(intervals < COUNT * 0.75, `${intervals} intervals counted: most of the ${COUNT / 2} cleared ones were counted anyway`);
});
