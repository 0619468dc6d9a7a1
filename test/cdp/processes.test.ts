/**
 * Attaching by PID: finding the inspector through /proc, switching it on with SIGUSR1,
 * and the distinct errors when that cannot work.
 */
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import * as os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { attach, listNodeProcesses, type CdpConnection } from '../../src/cdp';
import { DEFAULT_INSPECTOR_PORT, parseInspectorFlags } from '../../src/cdp/inspectorFlags';
import { spawnInspected, spawnNode, spawnProcess, type Cleanup } from '../helpers/inspectedProcess';
import { ensureNode24 } from '../vscode-e2e/install';

const IDLE = 'setInterval(() => {}, 1000); console.log("ready");';
const READY = /ready/;
const linuxOnly = process.platform === 'linux' ? false : 'reads /proc';

async function attachByPid(t: Cleanup, pid: number): Promise<CdpConnection> {
  const connection = await attach(`pid:${pid}`);
  t.after(() => connection.close());
  return connection;
}

async function evaluate(connection: CdpConnection, expression: string): Promise<unknown> {
  const { result } = await connection.send('Runtime.evaluate', { expression, returnByValue: true });
  return result.value;
}

/** A port nothing listens on right now. */
async function freePort(t: Cleanup): Promise<number> {
  const server = await occupy(t, 0);
  const { port } = server?.address() as AddressInfo;
  await new Promise((resolve) => server?.close(resolve));
  return port;
}

/** Listens on 127.0.0.1 (port 0: any), or undefined if the port is taken. */
async function occupy(t: Cleanup, port: number): Promise<Server | undefined> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!listening) return undefined;
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return server;
}

test('parseInspectorFlags reads node options, not script arguments', () => {
  const node = '/usr/bin/node';
  const off = { active: false, sigusr1Disabled: false };
  const on = { active: true, sigusr1Disabled: false };
  assert.deepEqual(parseInspectorFlags([node, 'app.js']), off);
  assert.deepEqual(parseInspectorFlags([node, '--inspect', 'app.js']), on);
  assert.deepEqual(parseInspectorFlags([node, '--inspect=127.0.0.1:0', '-e', 'x']), { ...on, host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseInspectorFlags([node, '--inspect-brk=9333', 'app.js']), { ...on, port: 9333 });
  assert.deepEqual(parseInspectorFlags([node, '--inspect-wait=0.0.0.0', 'app.js']), { ...on, host: '0.0.0.0' });
  assert.deepEqual(parseInspectorFlags([node, '--inspect=[::1]:9230']), { ...on, host: '::1', port: 9230 });
  assert.deepEqual(parseInspectorFlags([node, '--inspect-port', '9444', 'app.js']), { ...off, port: 9444 });
  assert.equal(parseInspectorFlags([node, '--disable-sigusr1', 'app.js']).sigusr1Disabled, true);
  // Values of -e/-r are skipped; options after the script or `--` belong to the script.
  assert.deepEqual(parseInspectorFlags([node, '-e', '--inspect', '-r', 'x', '--inspect-port=1']).port, 1);
  assert.equal(parseInspectorFlags([node, '-e', 'code', '--inspect']).active, true);
  assert.equal(parseInspectorFlags([node, 'app.js', '--inspect', '--disable-sigusr1']).active, false);
  assert.equal(parseInspectorFlags([node, '--', '--inspect']).active, false);
  // NODE_OPTIONS applies first; the command line wins.
  assert.deepEqual(parseInspectorFlags([node, 'app.js'], '--require "./a b.js" --inspect-port=9500 --disable-sigusr1'), {
    active: false,
    sigusr1Disabled: true,
    port: 9500,
  });
  assert.equal(parseInspectorFlags([node, '--inspect-port=9600', 'app.js'], '--inspect-port=9500').port, 9600);
});

test('attach by PID to a process started with --inspect=127.0.0.1:0 (port via /proc)', { skip: linuxOnly }, async (t) => {
  const target = await spawnInspected(t, IDLE, { ready: READY });
  const connection = await attachByPid(t, target.pid);
  assert.equal(await evaluate(connection, 'process.pid'), target.pid);
  assert.equal(connection.label, `pid ${target.pid} (127.0.0.1:${target.port})`);
});

test('attach by PID also takes { pid } and finds an inspector set through NODE_OPTIONS', { skip: linuxOnly }, async (t) => {
  const env = { ...process.env, NODE_OPTIONS: '--inspect=127.0.0.1:0' };
  const target = await spawnInspected(t, IDLE, { nodeArgs: [], env, ready: READY });
  const connection = await attach({ pid: target.pid });
  t.after(() => connection.close());
  assert.equal(await evaluate(connection, 'process.pid'), target.pid);
});

test('attach by PID without --inspect switches the inspector on with SIGUSR1 (port 9229)', { skip: linuxOnly }, async (t) => {
  // Checked right before use: the test needs Node's default port free.
  const probe = await occupy(t, DEFAULT_INSPECTOR_PORT);
  if (!probe) return t.skip(`port ${DEFAULT_INSPECTOR_PORT} is in use on this machine`);
  await new Promise((resolve) => probe.close(resolve));
  const target = await spawnNode(t, IDLE, { ready: READY });
  const connection = await attachByPid(t, target.pid);
  assert.equal(await evaluate(connection, 'process.pid'), target.pid);
  assert.equal(connection.label, `pid ${target.pid} (127.0.0.1:${DEFAULT_INSPECTOR_PORT})`);
  assert.match(target.output(), /Debugger listening on ws:\/\/127\.0\.0\.1:9229\//);
});

test('SIGUSR1 with --inspect-port=0: the random port is found via /proc', { skip: linuxOnly }, async (t) => {
  const target = await spawnNode(t, IDLE, { nodeArgs: ['--inspect-port=0'], ready: READY });
  const connection = await attachByPid(t, target.pid);
  assert.equal(await evaluate(connection, 'process.pid'), target.pid);
  const [, port] = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(target.output()) ?? [];
  assert.equal(connection.label, `pid ${target.pid} (127.0.0.1:${port})`);
});

test('a busy inspector port gives PORT_BUSY, and the process survives', async (t) => {
  const server = await occupy(t, 0);
  const { port } = server?.address() as AddressInfo;
  const target = await spawnNode(t, IDLE, { nodeArgs: [`--inspect-port=${port}`], ready: READY });
  await assert.rejects(attach(`pid:${target.pid}`), {
    name: 'AttachError',
    code: 'PORT_BUSY',
    message: new RegExp(`^port 127.0.0.1:${port} is already in use by another process, so PID ${target.pid} cannot open`),
  });
  assert.equal(target.child.exitCode, null);
});

test('--disable-sigusr1 gives INSPECTOR_DISABLED', { skip: linuxOnly, timeout: 120_000 }, async (t) => {
  // The flag came in Node 22.14: on an older Node the target runs on Node 24 from the npm
  // registry (the one the VS Code tests run code-server with).
  const node = process.allowedNodeEnvironmentFlags.has('--disable-sigusr1')
    ? process.execPath
    : await ensureNode24(path.resolve(__dirname, '../../.vscode-test'), (line) => t.diagnostic(line));
  const target = await spawnNode(t, IDLE, { node, nodeArgs: ['--disable-sigusr1'], ready: READY });
  await assert.rejects(attach(`pid:${target.pid}`), { code: 'INSPECTOR_DISABLED', message: /--disable-sigusr1/ });
  assert.equal(target.child.exitCode, null);
});

test('no such process gives ESRCH', async (t) => {
  const gone = await spawnNode(t, 'process.exit(0)');
  await new Promise((resolve) => gone.child.once('exit', resolve));
  await assert.rejects(attach(`pid:${gone.pid}`), { code: 'ESRCH', message: `no process with PID ${gone.pid}` });
});

test('a non-Node process gives NOT_NODE and is not signalled', async (t) => {
  const sleeper = spawnProcess(t, 'sleep', ['30']);
  await assert.rejects(attach(`pid:${sleeper.pid}`), {
    code: 'NOT_NODE',
    message: new RegExp(`^PID ${sleeper.pid} \\(sleep\\) is not a Node.js process`),
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(sleeper.child.signalCode, null, 'SIGUSR1 would have killed sleep');
});

test("another user's process: EPERM to switch it on, but its running inspector is found", { skip: linuxOnly }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to run the attach as another user');
  const port = await freePort(t);
  const inspected = await spawnInspected(t, IDLE, { nodeArgs: [`--inspect=127.0.0.1:${port}`], ready: READY });
  const plain = await spawnNode(t, IDLE, { ready: READY });
  // `nobody` may not be able to read this checkout (e.g. a clone in a 0700 temp dir), so it
  // runs a bundle of the CDP module from a world-readable temp dir.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-nobody-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  const cdp = path.join(dir, 'cdp.js');
  await esbuild.build({ entryPoints: [path.resolve(__dirname, '../../src/cdp/index.ts')], bundle: true, platform: 'node', outfile: cdp, logLevel: 'silent' });
  // As `nobody`, /proc/<pid>/fd of our children is unreadable and signals are refused.
  const attachAsNobody = async (pid: number) => {
    const script = `require(${JSON.stringify(cdp)}).attach('pid:${pid}')
      .then((c) => c.send('Runtime.evaluate', { expression: 'process.pid', returnByValue: true }))
      .then((r) => console.log('pid', r.result.value), (e) => console.log(e.code))`;
    const attacher = spawnProcess(t, process.execPath, ['-e', script], { uid: 65534, gid: 65534, cwd: '/' });
    const [, outcome] = await attacher.waitForOutput(/^(pid \d+|[A-Z_]+)$/m, 10_000);
    return outcome;
  };
  assert.equal(await attachAsNobody(plain.pid), 'EPERM');
  assert.equal(await attachAsNobody(inspected.pid), `pid ${inspected.pid}`);
});

test('listNodeProcesses shows Node processes with their inspector, not others', { skip: linuxOnly }, async (t) => {
  const inspected = await spawnInspected(t, IDLE, { ready: READY });
  const plain = await spawnNode(t, IDLE, { ready: READY });
  const sleeper = spawnProcess(t, 'sleep', ['30']);
  const processes = await listNodeProcesses();
  const byPid = new Map(processes.map((entry) => [entry.pid, entry]));

  const withInspector = byPid.get(inspected.pid);
  assert.ok(withInspector, 'inspected child listed');
  assert.equal(withInspector.inspectorPort, inspected.port);
  assert.equal(withInspector.webSocketDebuggerUrl, inspected.webSocketDebuggerUrl);
  assert.match(withInspector.commandLine, /--inspect=127\.0\.0\.1:0 -e /);

  const without = byPid.get(plain.pid);
  assert.ok(without, 'plain child listed');
  assert.equal(without.inspectorPort, undefined);
  assert.equal(byPid.has(sleeper.pid), false);
  assert.equal(byPid.has(process.pid), false);
});
