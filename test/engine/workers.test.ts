/**
 * Worker threads get an agent of their own: `snapshot()` returns one report per thread, the
 * main thread first, and detach removes the agent from every worker too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeWorkers } from '../../src/cdp';
import { AGENT, describeSites, evaluate, inspect, LIMITS, lineOf, rawConnection, siteAt, startScript, writeScript } from './targets';

const TARGET = `
const { Worker, isMainThread, parentPort, threadId } = require('node:worker_threads');
if (isMainThread) {
  const workers = [];
  globalThis.startWorker = (name) => {
    const worker = new Worker(__filename, { name });
    worker.on('message', (message) => console.log(message));
    workers.push(worker);
  };
  globalThis.tellWorkers = (message) => { for (const worker of workers) worker.postMessage(message); };
  startWorker('physics');
  setInterval(function mainTick() {}, 1000);
} else {
  const original = setInterval;
  globalThis.wrapped = () => setInterval !== original;
  parentPort.on('message', (message) => {
    if (message !== 'create') return;
    for (let i = 0; i < 3; i++) setInterval(function simulate() {}, 60000); // WORKER INTERVAL
    parentPort.postMessage('created in ' + threadId);
  });
  parentPort.postMessage('ready');
}
`;

test('a worker thread has its own report with its own sites; detach removes its agent too', LIMITS, async (t) => {
  const file = writeScript(t, 'workers.js', TARGET);
  const target = await startScript(t, file);
  const session = await inspect(t, target.webSocketDebuggerUrl);

  await evaluate(session.connection, "tellWorkers('create')");
  await target.waitForOutput(/created in 1/);
  const reports = await session.snapshot();
  assert.deepEqual(
    reports.map((report) => report.target.threadId),
    [0, 1],
  );
  const [main, worker] = reports;
  assert.equal(main.target.pid, target.pid);
  assert.equal(worker.target.pid, target.pid);
  assert.match(worker.target.label, /physics|worker 1/);
  const simulate = siteAt(worker, 'Interval', file, lineOf(file, '// WORKER INTERVAL'));
  assert.equal(simulate.count, 3);
  assert.equal(simulate.locationKind, 'user-frame');
  assert.equal(simulate.preexisting, false);
  assert.ok(!main.sites.some((site) => site.location?.line === simulate.location?.line), `the worker's intervals are not in the main report:\n${describeSites(main)}`);
  siteAt(main, 'Interval', file, lineOf(file, 'function mainTick'));

  await session.detach();
  // Looked at through a connection of our own.
  const observer = await rawConnection(t, target.webSocketDebuggerUrl);
  const workers = await NodeWorkers.enable(observer);
  t.after(() => workers.dispose());
  const [thread] = workers.list();
  assert.ok(thread, 'the worker is still running');
  assert.equal(await evaluate(thread, `typeof ${AGENT}`), 'undefined');
  assert.equal(await evaluate(thread, 'wrapped()'), false);
  assert.equal(await evaluate(observer, `typeof ${AGENT}`), 'undefined');
});

test('a worker started after the attach is inspected from the next snapshot on', LIMITS, async (t) => {
  const file = writeScript(t, 'workers.js', TARGET);
  const target = await startScript(t, file);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  assert.equal((await session.snapshot()).length, 2);

  await evaluate(session.connection, "startWorker('late')");
  await target.waitForOutput(/ready[\s\S]*ready/);
  await evaluate(session.connection, "tellWorkers('create')");
  await target.waitForOutput(/created in 2/);
  const reports = await session.snapshot();
  assert.deepEqual(
    reports.map((report) => report.target.threadId),
    [0, 1, 2],
  );
  // The late worker's agent came in after its intervals: located at their callback.
  const late = siteAt(reports[2], 'Interval', file, lineOf(file, '// WORKER INTERVAL'));
  assert.equal(late.count, 3);
  assert.equal(late.preexisting, true);
  assert.equal(late.locationKind, 'callback');
});
