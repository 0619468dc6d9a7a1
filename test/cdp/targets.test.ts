/**
 * Target specs, the loopback-only host policy, and discovery over /json/list.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { attach, AttachError, parseTargetSpec, resolveTarget } from '../../src/cdp';
import { isLoopbackHost } from '../../src/cdp/hostPolicy';
import { spawnInspected, type Cleanup } from '../helpers/inspectedProcess';

/** An idle Node process whose script runs (the inspector is up before the script starts). */
function spawnIdle(t: Cleanup, nodeArgs?: string[]) {
  return spawnInspected(t, 'setInterval(() => {}, 1000); console.log("ready");', { nodeArgs, ready: /ready/ });
}

async function pid(connection: Awaited<ReturnType<typeof attach>>): Promise<unknown> {
  const { result } = await connection.send('Runtime.evaluate', { expression: 'process.pid', returnByValue: true });
  return result.value;
}

/** An HTTP server on loopback answering every request with `body`. */
async function fakeEndpoint(t: Cleanup, status: number, body: unknown): Promise<number> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

test('parseTargetSpec: ports, hosts, IPv6, ws URLs and PIDs', () => {
  assert.deepEqual(parseTargetSpec('9229'), { host: '127.0.0.1', port: 9229 });
  assert.deepEqual(parseTargetSpec(' localhost:9230 '), { host: 'localhost', port: 9230 });
  assert.deepEqual(parseTargetSpec('10.1.2.3:9229'), { host: '10.1.2.3', port: 9229 });
  assert.deepEqual(parseTargetSpec('[::1]:9229'), { host: '::1', port: 9229 });
  assert.deepEqual(parseTargetSpec('ws://127.0.0.1:9229/abc'), { wsUrl: 'ws://127.0.0.1:9229/abc' });
  assert.deepEqual(parseTargetSpec('pid:1234'), { pid: 1234 });
  assert.deepEqual(parseTargetSpec('PID:77'), { pid: 77 });
  const invalid = (error: unknown) => error instanceof AttachError && error.code === 'INVALID_TARGET';
  for (const bad of ['', 'abc', '0', '65536', 'host:', ':9229', '::1:9229', 'http://127.0.0.1:9229', 'wss://x:1/']) {
    assert.throws(() => parseTargetSpec(bad), invalid, bad);
  }
  for (const bad of ['pid:', 'pid:0', 'pid:-3']) assert.throws(() => parseTargetSpec(bad), invalid, bad);
});

test('isLoopbackHost: 127.0.0.0/8, ::1 and localhost only', () => {
  const loopback = ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'localhost.'];
  for (const host of loopback) assert.equal(isLoopbackHost(host), true, host);
  const remote = ['10.0.0.1', '0.0.0.0', '::', '128.0.0.1', '127.0.0.1.example.com', 'localhost.example.com', '::ffff:10.0.0.1', 'example.com'];
  for (const host of remote) assert.equal(isLoopbackHost(host), false, host);
});

test('a non-loopback host is refused before any connection attempt, and tried once allow-listed', async () => {
  const started = Date.now();
  for (const target of ['10.0.0.1:9229', 'ws://10.0.0.1:9229/abc', 'example.com:9229']) {
    await assert.rejects(attach(target), (error) => {
      assert.ok(error instanceof AttachError);
      assert.equal(error.code, 'REMOTE_HOST_REFUSED');
      assert.match(error.message, /remote code execution/);
      assert.match(error.message, /--allow-remote (10\.0\.0\.1|example\.com)/);
      return true;
    });
  }
  assert.ok(Date.now() - started < 100, 'refused without touching the network');

  // Allowed: the attempt is made (and fails, as there is no network here).
  const error = await attach('10.0.0.1:9229', { allowRemoteHosts: ['10.0.0.1'], timeoutMs: 300 }).catch((e: unknown) => e);
  assert.ok(error instanceof AttachError);
  assert.notEqual(error.code, 'REMOTE_HOST_REFUSED');
});

test('an allow-listed non-loopback address reaches a real inspector', async (t) => {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;
  if (!address) return t.skip('this machine has no non-loopback IPv4 address');
  const target = await spawnIdle(t, ['--inspect=0.0.0.0:0']);
  const spec = `${address}:${target.port}`;
  await assert.rejects(attach(spec), { code: 'REMOTE_HOST_REFUSED' });
  const connection = await attach(spec, { allowRemoteHosts: [address] });
  t.after(() => connection.close());
  assert.equal(await pid(connection), target.pid);
});

test('a /json/list that points to a remote host is refused', async (t) => {
  const port = await fakeEndpoint(t, 200, [{ type: 'node', webSocketDebuggerUrl: 'ws://10.0.0.1:9229/evil' }]);
  await assert.rejects(attach(String(port)), {
    code: 'REMOTE_HOST_REFUSED',
    message: new RegExp(`^Refusing to connect to the inspector at 127.0.0.1:${port}, which points to 10.0.0.1`),
  });
  const allowed = await resolveTarget(String(port), { allowRemoteHosts: ['10.0.0.1'] });
  assert.equal(allowed.webSocketDebuggerUrl, 'ws://10.0.0.1:9229/evil');
});

test('endpoints that are not Node inspectors are named as such', async (t) => {
  const notFound = await fakeEndpoint(t, 404, 'nope');
  await assert.rejects(attach(String(notFound)), { code: 'NOT_INSPECTOR', message: /answered \/json\/list with HTTP 404/ });
  const browser = await fakeEndpoint(t, 200, [{ type: 'page', webSocketDebuggerUrl: 'ws://127.0.0.1:1/page' }]);
  await assert.rejects(attach(String(browser)), {
    code: 'NOT_INSPECTOR',
    message: /lists no Node.js target .*target types: page/,
  });
  const garbage = await fakeEndpoint(t, 200, { hello: 'world' });
  await assert.rejects(attach(String(garbage)), { code: 'NOT_INSPECTOR' });
});

test('host:port discovery via /json/list: port, 127.0.0.1:port, localhost:port', async (t) => {
  const target = await spawnIdle(t);
  for (const spec of [String(target.port), `127.0.0.1:${target.port}`, `localhost:${target.port}`]) {
    const resolved = await resolveTarget(spec);
    assert.equal(new URL(resolved.webSocketDebuggerUrl).pathname, new URL(target.webSocketDebuggerUrl).pathname, spec);
    const connection = await attach(spec);
    assert.equal(await pid(connection), target.pid, spec);
    await connection.close();
  }
});

test('IPv6 loopback discovery: [::1]:port', async (t) => {
  const target = await spawnIdle(t, ['--inspect=[::1]:0']);
  const connection = await attach(`[::1]:${target.port}`);
  t.after(() => connection.close());
  assert.equal(connection.label, `[::1]:${target.port}`);
  assert.equal(await pid(connection), target.pid);
});
