/**
 * The CDP session over WebSocket, against real inspected Node processes (and, for
 * hostile input, a real WebSocket server that misbehaves on purpose).
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { attach, AttachError, CdpError } from '../../src/cdp';
import { CdpConnection } from '../../src/cdp/connection';
import { spawnInspected, type Cleanup } from '../helpers/inspectedProcess';

/** An idle Node process whose script runs (the inspector is up before the script starts). */
function spawnIdle(t: Cleanup, nodeArgs?: string[]) {
  return spawnInspected(t, 'setInterval(() => {}, 1000); console.log("ready");', { nodeArgs, ready: /ready/ });
}
const NEVER_SETTLES = { expression: 'new Promise(() => {})', awaitPromise: true };

async function attachTo(t: Cleanup, url: string) {
  const connection = await attach(url);
  t.after(() => connection.close());
  return connection;
}

/** Listens on a loopback port; cleanup drops open connections, which would keep close() waiting. */
async function listen(t: Cleanup, server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('Runtime.evaluate round trip', async (t) => {
  const target = await spawnIdle(t);
  const connection = await attachTo(t, target.webSocketDebuggerUrl);
  const { result } = await connection.send('Runtime.evaluate', { expression: '6 * 7', returnByValue: true });
  assert.equal(result.value, 42);
  assert.equal(connection.label, `127.0.0.1:${target.port}`);
});

test('typed events: on, once and dispose', async (t) => {
  const target = await spawnIdle(t);
  const connection = await attachTo(t, target.webSocketDebuggerUrl);
  await connection.send('Runtime.enable');
  const seen: string[] = [];
  const subscription = connection.on('Runtime.consoleAPICalled', (event) => {
    seen.push(`${event.type}:${event.args[0]?.value}`);
  });
  const hello = connection.once('Runtime.consoleAPICalled', { filter: (event) => event.args[0]?.value === 'hello' });

  await connection.send('Runtime.evaluate', { expression: 'console.warn("first"); console.log("hello", 1)' });
  const event = await hello;
  assert.equal(event.type, 'log');
  assert.equal(event.args[1]?.value, 1);
  assert.deepEqual(seen, ['warning:first', 'log:hello']);

  subscription.dispose();
  const after = connection.once('Runtime.consoleAPICalled');
  await connection.send('Runtime.evaluate', { expression: 'console.log("unheard")' });
  await after;
  assert.deepEqual(seen, ['warning:first', 'log:hello']);

  await assert.rejects(connection.once('Debugger.paused', { timeoutMs: 100 }), {
    code: 'TIMEOUT',
    message: `no Debugger.paused event from 127.0.0.1:${target.port} within 100 ms`,
  });
});

test('a request that gets no answer times out with a clear message; the session stays usable', async (t) => {
  const target = await spawnIdle(t);
  const connection = await attachTo(t, target.webSocketDebuggerUrl);
  const started = Date.now();
  const error = await connection.send('Runtime.evaluate', NEVER_SETTLES, { timeoutMs: 300 }).catch((e: unknown) => e);
  assert.ok(error instanceof CdpError, String(error));
  assert.equal(error.code, 'TIMEOUT');
  assert.equal(error.message, `Runtime.evaluate on 127.0.0.1:${target.port} timed out after 300 ms`);
  assert.ok(Date.now() - started < 2000);
  const { result } = await connection.send('Runtime.evaluate', { expression: '1 + 1', returnByValue: true });
  assert.equal(result.value, 2);
});

test('an error answer becomes a CdpError naming the method, target and CDP code', async (t) => {
  const target = await spawnIdle(t);
  const connection = await attachTo(t, target.webSocketDebuggerUrl);
  const error = await connection.send('Runtime.getProperties', { objectId: 'no-such-object' }).catch((e: unknown) => e);
  assert.ok(error instanceof CdpError, String(error));
  assert.equal(error.code, 'PROTOCOL_ERROR');
  assert.equal(error.method, 'Runtime.getProperties');
  assert.equal(typeof error.protocolCode, 'number');
  const expected = `^Runtime.getProperties failed on 127.0.0.1:${target.port}: .+ \\(CDP error -?\\d+\\)$`;
  assert.match(error.message, new RegExp(expected));
});

test('when the target dies, every pending request rejects at once and disconnect is reported', async (t) => {
  const target = await spawnIdle(t);
  const connection = await attachTo(t, target.webSocketDebuggerUrl);
  const outcomes = [
    connection.send('Runtime.evaluate', NEVER_SETTLES, { timeoutMs: Infinity }),
    connection.send('Runtime.evaluate', NEVER_SETTLES, { timeoutMs: Infinity }),
    connection.once('Runtime.executionContextDestroyed', { timeoutMs: Infinity }),
  ].map((request: Promise<unknown>) => request.then(() => undefined, (e: unknown) => e));
  const disconnected = new Promise<string>((resolve) => connection.onDisconnected(resolve));
  await connection.send('Runtime.evaluate', { expression: '0' }); // both requests are at the target now

  const killed = Date.now();
  await target.kill();
  const errors = await Promise.all(outcomes);
  assert.ok(Date.now() - killed < 1000);
  for (const error of errors) {
    assert.ok(error instanceof CdpError, String(error));
    assert.equal(error.code, 'DISCONNECTED');
    const awaited = '(Runtime.evaluate|Runtime.executionContextDestroyed)';
    const expected = `^connection to 127.0.0.1:${target.port} closed while waiting for ${awaited} \\(socket closed: code \\d+`;
    assert.match(error.message, new RegExp(expected));
  }
  assert.match(await disconnected, /^socket closed: code \d+/);
  assert.equal(connection.isClosed, true);
  await assert.rejects(connection.send('Runtime.evaluate', { expression: '1' }), {
    code: 'DISCONNECTED',
    message: /^cannot send Runtime.evaluate: connection to .+ is closed \(socket closed/,
  });
});

test('close() rejects pending requests, reports the disconnect and can be called twice', async (t) => {
  const target = await spawnIdle(t);
  const connection = await attachTo(t, target.webSocketDebuggerUrl);
  const pending = connection.send('Runtime.evaluate', NEVER_SETTLES).catch((e: unknown) => e);
  const reasons: string[] = [];
  connection.onDisconnected((reason) => reasons.push(reason));
  await connection.close();
  await connection.close();
  const error = await pending;
  assert.ok(error instanceof CdpError, String(error));
  assert.equal(error.code, 'DISCONNECTED');
  assert.equal(error.message, `connection to 127.0.0.1:${target.port} closed while waiting for Runtime.evaluate (closed by client)`);
  assert.deepEqual(reasons, ['closed by client']);
  // A late listener still hears about it.
  assert.equal(await new Promise((resolve) => connection.onDisconnected(resolve)), 'closed by client');
});

test('connection refused and connect timeouts are AttachErrors', async (t) => {
  const port = await freePort();
  await assert.rejects(CdpConnection.connect(`ws://127.0.0.1:${port}/x`), (error) => {
    assert.ok(error instanceof AttachError);
    assert.equal(error.code, 'ECONNREFUSED');
    assert.match(error.message, new RegExp(`^could not connect to ws://127.0.0.1:${port}/x: connection refused`));
    return true;
  });
  await assert.rejects(attach(String(port)), {
    code: 'ECONNREFUSED',
    message: new RegExp(`^nothing is listening on 127.0.0.1:${port}`),
  });

  const silentPort = await listen(t, createServer()); // accepts TCP, never answers
  await assert.rejects(CdpConnection.connect(`ws://127.0.0.1:${silentPort}/x`, { connectTimeoutMs: 200 }), {
    code: 'TIMEOUT',
    message: `connecting to ws://127.0.0.1:${silentPort}/x timed out after 200 ms`,
  });
  await assert.rejects(attach(`127.0.0.1:${silentPort}`, { timeoutMs: 200 }), {
    code: 'TIMEOUT',
    message: `127.0.0.1:${silentPort} did not answer /json/list within 200 ms`,
  });
});

test('a stale inspector URL gets an explanation', async (t) => {
  const target = await spawnIdle(t);
  const stale = `ws://127.0.0.1:${target.port}/00000000-0000-0000-0000-000000000000`;
  await assert.rejects(attach(stale), {
    code: 'CONNECT_FAILED',
    message: /answered HTTP \d+\. The id in an inspector URL changes/,
  });
});

const JUNK = ['not json', '[1,2]', 'null', '{"id":"x"}', '{"method":5}', '{"id":999,"result":{}}'];

test('garbled and hostile messages are reported, never thrown', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => {
    for (const client of server.clients) client.terminate();
    return new Promise((resolve) => server.close(resolve));
  });
  server.on('connection', (socket) => {
    let requests = 0;
    socket.on('message', (data) => {
      const { id } = JSON.parse(data.toString()) as { id: number };
      requests++;
      for (const junk of JUNK) socket.send(junk);
      socket.send(Buffer.from([1, 2, 3]), { binary: true });
      socket.send(JSON.stringify({ method: 'Runtime.consoleAPICalled', params: { type: 'log', args: [] } }));
      if (requests === 1) socket.send(JSON.stringify({ id, error: 'not an object' }));
      else if (requests === 2) socket.send(JSON.stringify({ id }));
      else socket.send(JSON.stringify({ id, result: { result: { type: 'number', value: 7 } } }));
    });
  });
  const warnings: string[] = [];
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const connection = await CdpConnection.connect(url, { onWarning: (message) => warnings.push(message) });
  t.after(() => connection.close());
  let heard = 0;
  connection.on('Runtime.consoleAPICalled', () => {
    throw new Error('listener bug');
  });
  connection.on('Runtime.consoleAPICalled', () => heard++);

  const evaluate = () => connection.send('Runtime.evaluate', { expression: '1' });
  await assert.rejects(evaluate(), { code: 'PROTOCOL_ERROR', message: /malformed error/ });
  await assert.rejects(evaluate(), { code: 'PROTOCOL_ERROR', message: /malformed response/ });
  assert.equal((await evaluate()).result.value, 7);
  assert.equal(heard, 3, 'a throwing listener does not stop the others');
  assert.equal(connection.isClosed, false);
  const kinds = ['not JSON', 'not an object', 'neither id nor method', 'binary frame', 'listener on'];
  for (const kind of kinds) {
    assert.ok(warnings.some((warning) => warning.includes(kind)), `warned about ${kind}: ${warnings.join('\n')}`);
  }
});

test('two sessions attached at once both work (coexistence)', async (t) => {
  const target = await spawnIdle(t);
  const first = await attachTo(t, target.webSocketDebuggerUrl);
  await first.send('Debugger.enable');
  const second = await attachTo(t, String(target.port));
  await second.send('Runtime.enable');
  const [a, b] = await Promise.all([
    first.send('Runtime.evaluate', { expression: 'globalThis.shared = "from first"', returnByValue: true }),
    second.send('Runtime.evaluate', { expression: 'process.pid', returnByValue: true }),
  ]);
  assert.equal(a.result.value, 'from first');
  assert.equal(b.result.value, target.pid);

  await second.close();
  const { result } = await first.send('Runtime.evaluate', { expression: 'globalThis.shared', returnByValue: true });
  assert.equal(result.value, 'from first');
});
