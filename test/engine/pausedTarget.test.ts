/**
 * A debugger beside us (js-debug, DevTools) may pause the target at a breakpoint. The agent's
 * snapshot runs between event-loop turns, so it waits for the resume and then answers; one that
 * times out while the target stays paused says why instead of a bare CDP timeout. The pause
 * comes from a second, raw CDP session, as a debugger's would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect, LIMITS, rawConnection, startScript, writeScript } from './targets';

const SCRIPT = `'use strict';
const timers = [];
setInterval(() => timers.push(setTimeout(() => {}, 600_000)), 5);
console.log('ready');
`;

test('a snapshot asked for while another debugger holds the target paused answers after the resume', LIMITS, async (t) => {
  const target = await startScript(t, writeScript(t, 'paused.js', SCRIPT));
  const session = await inspect(t, target.webSocketDebuggerUrl);
  const debuggerClient = await rawConnection(t, target.webSocketDebuggerUrl);
  await debuggerClient.send('Debugger.enable');
  const paused = debuggerClient.once('Debugger.paused');
  await debuggerClient.send('Debugger.pause');
  await paused;
  let answered = false;
  const during = session.snapshot().then((reports) => ((answered = true), reports));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(answered, false, 'the snapshot answered while the target was paused');
  await debuggerClient.send('Debugger.resume');
  const [report] = await during;
  assert.ok((report.totalsByType.Timeout ?? 0) > 10, `the timers created before the pause are counted: ${JSON.stringify(report.totalsByType)}`);
});

test('a snapshot that times out while the target stays paused says the event loop did not turn', LIMITS, async (t) => {
  const target = await startScript(t, writeScript(t, 'paused.js', SCRIPT));
  const session = await inspect(t, target.webSocketDebuggerUrl, { requestTimeoutMs: 1500 });
  await session.snapshot();
  const debuggerClient = await rawConnection(t, target.webSocketDebuggerUrl);
  await debuggerClient.send('Debugger.enable');
  const paused = debuggerClient.once('Debugger.paused');
  await debuggerClient.send('Debugger.pause');
  await paused;
  await assert.rejects(session.snapshot(), /timed out after 1500 ms: .*paused at a breakpoint/);
  await debuggerClient.send('Debugger.resume');
  // And the session is still usable once the target runs again.
  const [report] = await session.snapshot();
  assert.ok((report.totalsByType.Timeout ?? 0) > 0);
});
