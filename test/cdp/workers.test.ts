/**
 * Worker threads through the NodeWorker domain: listed, inspected with the same session
 * interface as the main thread, and gone when they exit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attach, CdpError, NodeWorkers, type CdpSession } from '../../src/cdp';
import { spawnInspected, type Cleanup } from '../helpers/inspectedProcess';

const WITH_WORKER = `
  const { Worker } = require('node:worker_threads');
  globalThis.worker = new Worker('globalThis.answer = 42; setInterval(() => {}, 1000);', { eval: true, name: 'physics' });
  worker.on('online', () => console.log('worker online'));
  setInterval(() => {}, 1000);
`;

const NEVER_SETTLES = { expression: 'new Promise(() => {})', awaitPromise: true };

async function attachWithWorkers(t: Cleanup, script: string, ready?: RegExp) {
  const target = await spawnInspected(t, script, { ready });
  const connection = await attach(target.webSocketDebuggerUrl);
  t.after(() => connection.close());
  const workers = await NodeWorkers.enable(connection);
  return { target, connection, workers };
}

async function evaluate(session: CdpSession, expression: string): Promise<unknown> {
  const { result, exceptionDetails } = await session.send('Runtime.evaluate', { expression, returnByValue: true });
  if (exceptionDetails) throw new Error(`${expression} threw: ${exceptionDetails.exception?.description}`);
  return result.value;
}

test('a running worker is listed and evaluated in through its own session', async (t) => {
  const { connection, workers } = await attachWithWorkers(t, WITH_WORKER, /worker online/);
  const listed = workers.list();
  assert.equal(listed.length, 1);
  const [worker] = listed;
  assert.match(worker.title, /physics/);
  assert.equal(worker.id, '1');
  assert.equal(typeof worker.url, 'string');
  assert.match(worker.label, /physics.* in 127\.0\.0\.1:\d+$/);

  assert.equal(await evaluate(worker, 'globalThis.answer'), 42);
  assert.equal(await evaluate(worker, 'require("node:worker_threads").isMainThread'), false);
  assert.equal(await evaluate(connection, 'typeof globalThis.answer'), 'undefined');

  await worker.send('Runtime.enable');
  const logged = worker.once('Runtime.consoleAPICalled');
  await worker.send('Runtime.evaluate', { expression: 'console.log("from the worker")' });
  assert.equal((await logged).args[0]?.value, 'from the worker');
});

test('non-ASCII text reaches a worker intact', async (t) => {
  const { workers } = await attachWithWorkers(t, WITH_WORKER, /worker online/);
  const [worker] = workers.list();
  // Node's relay to workers garbles non-ASCII unless the session escapes it.
  assert.equal(await evaluate(worker, "'héllo → 世界 ✓'"), 'héllo → 世界 ✓');
});

test('a worker started later appears; when it exits its session ends and pending requests reject', async (t) => {
  const script = `
    const { Worker } = require('node:worker_threads');
    globalThis.startWorker = () => { globalThis.worker = new Worker('setInterval(() => {}, 1000)', { eval: true }); };
    setInterval(() => {}, 1000);
    console.log('ready');
  `;
  const { connection, workers } = await attachWithWorkers(t, script, /ready/);
  assert.deepEqual(workers.list(), []);

  const attached = connection.once('NodeWorker.attachedToWorker');
  await evaluate(connection, 'startWorker()');
  await attached;
  const [worker] = workers.list();
  assert.ok(worker);
  assert.equal(await evaluate(worker, '1 + 1'), 2);

  const pending = worker.send('Runtime.evaluate', NEVER_SETTLES).catch((e: unknown) => e);
  const ended = new Promise<string>((resolve) => worker.onDisconnected(resolve));
  await evaluate(connection, 'worker.terminate(); 0');
  assert.equal(await ended, 'the worker exited or was detached');
  // Node answers "Execution was terminated" unless the detach overtakes it.
  const error = await pending;
  assert.ok(error instanceof CdpError, String(error));
  assert.ok(error.message.includes(worker.label), error.message);
  assert.deepEqual(workers.list(), []);
  assert.equal(await evaluate(connection, '"main still fine"'), 'main still fine');
});

test('closing a worker session or disposing the tracker leaves the main session working', async (t) => {
  const { connection, workers } = await attachWithWorkers(t, WITH_WORKER, /worker online/);
  const [worker] = workers.list();
  const pending = worker.send('Runtime.evaluate', NEVER_SETTLES).catch((e: unknown) => e);
  await worker.close();
  assert.equal(worker.isClosed, true);
  assert.match(String(await pending), /closed while waiting for Runtime.evaluate \(closed by client\)/);
  await assert.rejects(evaluate(worker, '1'), { code: 'DISCONNECTED', message: /cannot send Runtime.evaluate/ });

  await workers.dispose();
  assert.deepEqual(workers.list(), []);
  assert.equal(await evaluate(connection, 'worker.threadId'), 1);
});

test('worker sessions end with the main session', async (t) => {
  const { target, workers } = await attachWithWorkers(t, WITH_WORKER, /worker online/);
  const [worker] = workers.list();
  const ended = new Promise<string>((resolve) => worker.onDisconnected(resolve));
  await target.kill();
  assert.match(await ended, /^main thread session ended: socket closed/);
});
