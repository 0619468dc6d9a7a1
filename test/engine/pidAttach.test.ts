/**
 * Attaching by PID to a server started without --inspect: SIGUSR1 switches its inspector on
 * (on Node's default port, 9229), the agent goes in, the snapshot shows what the server runs,
 * and detach takes the agent out again.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { DEFAULT_INSPECTOR_PORT } from '../../src/cdp/inspectorFlags';
import { spawnNode } from '../helpers/inspectedProcess';
import { AGENT, evaluate, inspect, LIMITS, lineOf, rawConnection, siteAt, writeScript } from './targets';

const TARGET = `
setInterval(function heartbeat() {}, 1000); // HEARTBEAT
globalThis.create = () => { globalThis.poll = setInterval(function poll() {}, 60000); }; // POLL
console.log('ready');
`;

/** Whether something accepts or holds 127.0.0.1:`port`, checked by binding it for a moment. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const linuxOnly = process.platform === 'linux' ? false : 'finds the inspector through /proc';

test('attach by pid: SIGUSR1 turns the inspector on, the snapshot shows the interval, detach removes the agent', { ...LIMITS, skip: linuxOnly }, async (t) => {
  if (!(await portIsFree(DEFAULT_INSPECTOR_PORT))) return t.skip(`port ${DEFAULT_INSPECTOR_PORT} is in use on this machine, and SIGUSR1 opens the inspector there`);
  const file = writeScript(t, 'no-inspect.js', TARGET);
  const target = await spawnNode(t, `require(${JSON.stringify(file)});`, { ready: /^ready$/m });
  assert.doesNotMatch(target.output(), /Debugger listening/, 'started without the inspector');

  const session = await inspect(t, `pid:${target.pid}`);
  assert.equal(session.label, `pid ${target.pid} (127.0.0.1:${DEFAULT_INSPECTOR_PORT})`);
  assert.match(target.output(), /Debugger listening on ws:\/\/127\.0\.0\.1:9229\//);
  await evaluate(session.connection, 'create()');
  const [report] = await session.snapshot();
  assert.equal(report.target.pid, target.pid);
  const heartbeat = siteAt(report, 'Interval', file, lineOf(file, '// HEARTBEAT'));
  assert.equal(heartbeat.preexisting, true);
  assert.equal(heartbeat.locationKind, 'callback');
  assert.equal(siteAt(report, 'Interval', file, lineOf(file, '// POLL')).locationKind, 'user-frame');
  assert.deepEqual(report.sites.flatMap((site) => site.stack).filter((frame) => frame.path.includes('leak-inspector-agent')), [], 'no agent frames');

  await session.detach();
  // The inspector stays on (Node cannot switch it off from outside); the agent is gone.
  const observer = await rawConnection(t, `pid:${target.pid}`);
  assert.equal(await evaluate(observer, `typeof ${AGENT}`), 'undefined');
  assert.equal(await evaluate(observer, 'typeof poll'), 'object', 'the server is untouched');
  assert.equal(target.child.exitCode, null);
});
