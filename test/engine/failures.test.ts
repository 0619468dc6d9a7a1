/**
 * When things go wrong: the target dies mid-snapshot, nothing listens, the host is not
 * loopback, a source map is corrupt, or another debugger is attached. Each fails clearly (an
 * error that names the target) or not at all, and nothing hangs or leaks a rejection.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { AttachError, CdpError, type CdpSession } from '../../src/cdp';
import { InspectorSession } from '../../src/engine/inspectorSession';
import type { Cleanup } from '../helpers/inspectedProcess';
import { AGENT, evaluate, inspect, LIMITS, lineOf, rawConnection, siteAt, startScript, writeScript } from './targets';

/** Collects unhandled rejections for the rest of the test. */
function watchUnhandledRejections(t: Cleanup): unknown[] {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  t.after(() => process.off('unhandledRejection', listener));
  return seen;
}

/** Lets pending rejections surface as `unhandledRejection` before checking. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

const MANY_TIMERS = `
globalThis.create = (n) => { for (let i = 0; i < n; i++) setTimeout(function many() {}, 3600000 + (i % 1000)); };
setInterval(function keepAlive() {}, 1000);
console.log('ready');
`;

/**
 * Resolves once `session` has sent a request (with `marker`: one whose expression contains it);
 * its reply may still be pending.
 */
function whenSent(session: CdpSession, marker?: string): Promise<void> {
  return new Promise((resolve) => {
    const send = session.send.bind(session) as (...args: unknown[]) => Promise<unknown>;
    (session as { send: unknown }).send = (...args: unknown[]) => {
      const reply = send(...args);
      if (marker === undefined || String((args[1] as { expression?: string } | undefined)?.expression).includes(marker)) resolve();
      return reply;
    };
  });
}

const posixOnly = process.platform === 'win32' ? 'stops the target with SIGSTOP' : false;

test('the target killed while a snapshot is in flight: a clear rejection naming it, no hang', { ...LIMITS, skip: posixOnly }, async (t) => {
  const unhandled = watchUnhandledRejections(t);
  const target = await startScript(t, writeScript(t, 'many.js', MANY_TIMERS));
  // No listener scan: the agent's own snapshot call must be the request in flight, not the scan before it.
  const session = await inspect(t, target.webSocketDebuggerUrl, { listeners: { scan: 'off' } });
  await evaluate(session.connection, 'create(20000)');
  // Stopped, the target cannot answer: the snapshot request is surely in flight when it dies.
  target.child.kill('SIGSTOP');
  const sent = whenSent(session.connection, '.snapshot(');
  const outcome = session.snapshot().then(
    () => new Error('the snapshot resolved although the target was killed'),
    (reason: unknown) => reason,
  );
  await sent;
  await target.kill();

  const error = await outcome;
  assert.ok(error instanceof CdpError, String(error));
  assert.equal(error.code, 'DISCONNECTED');
  assert.equal(error.target, `127.0.0.1:${target.port}`);
  assert.match(error.message, new RegExp(`^connection to 127\\.0\\.0\\.1:${target.port} closed while waiting for Runtime\\.evaluate`));

  // Later calls fail at once, detach completes.
  await assert.rejects(session.snapshot(), { name: 'CdpError', code: 'DISCONNECTED', message: new RegExp(`127\\.0\\.0\\.1:${target.port} is closed`) });
  await session.detach();
  await settle();
  assert.deepEqual(unhandled, []);
});

test('the target killed while we detach: detach completes, nothing is left to remove', { ...LIMITS, skip: posixOnly }, async (t) => {
  const unhandled = watchUnhandledRejections(t);
  const target = await startScript(t, writeScript(t, 'many.js', MANY_TIMERS));
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await session.snapshot();
  target.child.kill('SIGSTOP');
  // The first request of the detach: removing the agent.
  const sent = whenSent(session.connection);
  const detached = session.detach().then(
    () => 'detached',
    (error: unknown) => error,
  );
  await sent;
  await target.kill();
  assert.equal(await detached, 'detached');
  await settle();
  assert.deepEqual(unhandled, []);
});

for (const noticed of [false, true]) {
  const when = noticed ? 'once our connection has seen it go' : 'before our connection has seen it go';
  test(`the target killed between attach and snapshot, ${when}: a clear rejection naming it, and detach completes`, LIMITS, async (t) => {
    const unhandled = watchUnhandledRejections(t);
    const target = await startScript(t, writeScript(t, 'many.js', MANY_TIMERS));
    const session = await inspect(t, target.webSocketDebuggerUrl);
    const gone = new Promise((resolve) => session.connection.onDisconnected(resolve));
    await target.kill();
    // Not waiting, the socket may still be closing: requests then fail to be sent.
    if (noticed) await gone;
    await assert.rejects(session.snapshot(), (error: unknown) => {
      assert.ok(error instanceof CdpError, String(error));
      assert.equal(error.code, 'DISCONNECTED');
      assert.ok(error.message.includes(`127.0.0.1:${target.port}`), error.message);
      return true;
    });
    // Nothing left to remove in a process that is gone: not an error.
    await session.detach();
    await settle();
    assert.deepEqual(unhandled, []);
  });
}

test('nothing listening: a clear ECONNREFUSED naming the address', LIMITS, async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));

  for (const target of [`127.0.0.1:${port}`, `ws://127.0.0.1:${port}/0f2c936f-b1cd-4ac9-aab3-f63b0f33d55b`]) {
    await assert.rejects(InspectorSession.attach(target), (error: unknown) => {
      assert.ok(error instanceof AttachError, String(error));
      assert.equal(error.code, 'ECONNREFUSED');
      assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
      assert.match(error.message, /connection refused/);
      return true;
    });
  }
});

test('a non-loopback host is refused before any connection is tried', LIMITS, async () => {
  for (const target of ['10.1.2.3:9229', 'ws://10.1.2.3:9229/0f2c936f-b1cd-4ac9-aab3-f63b0f33d55b']) {
    const started = performance.now();
    // A connection attempt to this unroutable address would take the whole connect timeout.
    await assert.rejects(InspectorSession.attach(target, { timeoutMs: 3000 }), (error: unknown) => {
      assert.ok(error instanceof AttachError, String(error));
      assert.equal(error.code, 'REMOTE_HOST_REFUSED');
      assert.match(error.message, /^Refusing to connect to 10\.1\.2\.3/);
      assert.match(error.message, /--allow-remote 10\.1\.2\.3/);
      return true;
    });
    assert.ok(performance.now() - started < 500, `refused after ${Math.round(performance.now() - started)} ms`);
  }
});

test('a corrupt source map: the snapshot succeeds and the frame stays unmapped, with the reason', LIMITS, async (t) => {
  const file = writeScript(
    t,
    'app.js',
    `globalThis.create = () => { globalThis.loop = setInterval(function loop() {}, 60000); }; // CREATE
setInterval(function keepAlive() {}, 1000);
console.log('ready');
//# sourceMappingURL=app.js.map
`,
  );
  // Truncated JSON, as a build interrupted mid-write leaves it.
  const map = path.join(path.dirname(file), 'app.js.map');
  fs.writeFileSync(map, '{"version":3,"sources":["app.ts"],"names":[],"mappings":"AAAA,SAAS');
  const target = await startScript(t, file);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await evaluate(session.connection, 'create()');
  const [report] = await session.snapshot();

  const created = siteAt(report, 'Interval', file, lineOf(file, '// CREATE'));
  const [frame] = created.stack;
  assert.equal(frame.path, file);
  assert.equal(frame.mapped, false);
  assert.ok(frame.reason?.startsWith(`source map ${map} is not valid JSON`), frame.reason);
  // The pre-existing interval of the same script is still located, at its callback.
  assert.equal(siteAt(report, 'Interval', file, lineOf(file, 'function keepAlive')).locationKind, 'callback');
});

test('another debugger attached: our attach, snapshot and detach leave its session working', LIMITS, async (t) => {
  const file = writeScript(
    t,
    'debugged.js',
    `globalThis.handle = function handle() {
  return 'handled'; // BREAKPOINT
};
globalThis.fail = () => { try { throw new Error('caught'); } catch { return 'recovered'; } };
globalThis.create = () => { globalThis.loop = setInterval(function loop() {}, 60000); }; // CREATE
setInterval(function keepAlive() {}, 1000); // KEEPALIVE
console.log('ready');
`,
  );
  const target = await startScript(t, file);
  const url = target.webSocketDebuggerUrl;

  // The user's debugger: Debugger on, a breakpoint, pause on every exception, caught ones too.
  const debuggerSession = await rawConnection(t, url);
  const parsed = new Map<string, string>();
  const pauses: Array<{ reason: string; hitBreakpoints: string[]; where: string }> = [];
  debuggerSession.on('Debugger.scriptParsed', ({ scriptId, url: scriptUrl }) => parsed.set(scriptId, scriptUrl));
  debuggerSession.on('Debugger.paused', ({ reason, hitBreakpoints, callFrames }) => {
    const [top] = callFrames;
    pauses.push({ reason, hitBreakpoints: hitBreakpoints ?? [], where: `${parsed.get(top.location.scriptId)}:${top.location.lineNumber + 1}` });
    void debuggerSession.send('Debugger.resume').catch(() => undefined);
  });
  await debuggerSession.send('Debugger.enable', {});
  await debuggerSession.send('Debugger.setPauseOnExceptions', { state: 'all' });
  const breakpointLine = lineOf(file, '// BREAKPOINT');
  const { breakpointId, locations } = await debuggerSession.send('Debugger.setBreakpointByUrl', { url: `file://${file}`, lineNumber: breakpointLine - 1 });
  assert.equal(locations.length, 1);

  const session = await inspect(t, url);
  await evaluate(session.connection, 'create()');
  const [report] = await session.snapshot();
  siteAt(report, 'Interval', file, lineOf(file, '// CREATE'));
  // A callback-located site: the snapshot went through the Debugger.enable/disable of our own session.
  assert.equal(siteAt(report, 'Interval', file, lineOf(file, '// KEEPALIVE')).locationKind, 'callback');
  await session.detach();
  assert.deepEqual(pauses, [], 'our agent never paused the target');
  assert.equal(await evaluate(debuggerSession, `typeof ${AGENT}`), 'undefined');

  // The other session's Debugger is still on: new scripts, its breakpoint, pause on exceptions.
  await evaluate(debuggerSession, '1 + 1\n//# sourceURL=after-detach.js');
  assert.ok([...parsed.values()].includes('after-detach.js'), 'scriptParsed still arrives');
  assert.equal(await evaluate(debuggerSession, 'handle()'), 'handled');
  assert.equal(await evaluate(debuggerSession, 'fail()'), 'recovered');
  assert.deepEqual(pauses, [
    { reason: 'other', hitBreakpoints: [breakpointId], where: `file://${file}:${breakpointLine}` },
    { reason: 'exception', hitBreakpoints: [], where: `file://${file}:${lineOf(file, "throw new Error('caught')")}` },
  ]);
});
