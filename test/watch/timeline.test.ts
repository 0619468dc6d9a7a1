/**
 * The agent's timeline in a real target with a worker thread: per-second samples (event-loop
 * delay, creations, heap), GC pauses, a long stall and our snapshot pause, per thread; and it
 * is switched off with the last session that reads it, GC observer included, even while
 * another session keeps the agent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimelineEntry } from '../../src/protocol/agentSnapshot';
import { AGENT, evaluate, eventually, inspect, rawConnection, startScript, writeScript } from '../engine/targets';

const TARGET = `
const { Worker } = require('node:worker_threads');
const { hasObserver } = require('internal/perf/observe');
globalThis.gcObserved = () => hasObserver('gc');
new Worker('setInterval(() => {}, 1000)', { eval: true });
// Churn: 100 timers every 100 ms (about 1000 a second), and garbage.
setInterval(() => {
  for (let i = 0; i < 100; i++) clearTimeout(setTimeout(() => {}, 1000));
  Array.from({ length: 20000 }, (_, i) => ({ i }));
}, 100);
setTimeout(() => console.log('ready'), 200);
`;

test('timeline: samples, GC pauses, stalls and snapshot pauses per thread; off with its last reader', { timeout: 60_000 }, async (t) => {
  const file = writeScript(t, 'timeline-target.js', TARGET);
  const target = await startScript(t, file, { nodeArgs: ['--expose-internals'] });
  const observer = await rawConnection(t, target.webSocketDebuggerUrl);
  const reader = await inspect(t, target.webSocketDebuggerUrl);
  const other = await inspect(t, target.webSocketDebuggerUrl);
  await eventually('the worker adopted', async () => {
    await reader.snapshot();
    return reader.threadSessions.length === 2;
  }, 10_000);

  const first = await Promise.all(reader.threadSessions.map((thread) => thread.agent.timeline()));
  assert.deepEqual(first.map((read) => read.entries), [[], []], 'the first read starts the timeline');
  assert.equal(first[0].threadId, 0);
  assert.ok(first[1].threadId > 0, 'the worker reports its own thread id');
  assert.equal(await evaluate(observer, 'gcObserved()'), true);

  // A 300 ms stall in the main thread, then a snapshot.
  await evaluate(observer, 'for (const end = Date.now() + 300; Date.now() < end;);');
  await new Promise((resolve) => setTimeout(resolve, 2200));
  await reader.snapshot();
  const [main, worker] = await Promise.all(reader.threadSessions.map((thread) => thread.agent.timeline()));
  const kinds = (entries: TimelineEntry[]) => new Set(entries.map((entry) => entry.kind));
  assert.deepEqual([...kinds(main.entries)].sort(), ['gc', 'sample', 'snapshot', 'stall']);
  assert.ok(kinds(worker.entries).has('sample'), 'the worker samples its own loop');
  const samples = main.entries.filter((entry) => entry.kind === 'sample');
  assert.ok(samples.length >= 2, `one sample a second: ${samples.length}`);
  for (const sample of samples) {
    assert.ok(sample.durationMs >= 900 && sample.durationMs <= 2500, `window ${sample.durationMs}`);
    // Fewer on a loaded machine, where the 100 ms interval fires late.
    const perSecond = (sample.created * 1000) / sample.durationMs;
    assert.ok(perSecond >= 300 && perSecond <= 2000, `about 1000 timers a second: ${perSecond}`);
    assert.ok(sample.heapUsed > 0 && sample.heapTotal >= sample.heapUsed);
  }
  const stall = main.entries.find((entry) => entry.kind === 'stall');
  assert.ok(stall && stall.durationMs >= 150 && stall.durationMs <= 1000, `the 300 ms stall: ${JSON.stringify(stall)}`);
  assert.ok(samples.some((sample) => sample.delayMs && sample.delayMs.max >= 250), 'the stall shows in the delay percentiles');
  assert.equal(main.dropped, 0);
  const again = await reader.threadSessions[0].agent.timeline();
  assert.ok(again.entries.length <= 2, 'each read returns only what is new');

  // The other session still holds the agent; the timeline stops with its reader.
  await reader.detach();
  assert.equal(await evaluate(observer, `typeof ${AGENT}`), 'object');
  assert.equal(await evaluate(observer, `${AGENT}.agent.timeline.running`), false);
  assert.equal(await evaluate(observer, 'gcObserved()'), false, 'the GC observer is disconnected');
  await other.detach();
  assert.equal(await evaluate(observer, `typeof ${AGENT}`), 'undefined');
});
