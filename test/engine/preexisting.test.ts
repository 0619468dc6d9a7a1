/**
 * Resources created before the attach have no creation stack, but they are found (Node's timer
 * lists, the active handles) and located where their callback is defined: `[[FunctionLocation]]`
 * read over CDP, a real file and line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, inspect, LIMITS, lineOf, siteAt, startScript, writeScript } from './targets';

const TARGET = `
const net = require('node:net');
const rooms = [];
for (let i = 0; i < 3; i++) {
  rooms.push(setInterval(function roomTick() { // ROOM TICK
  }, 50));
}
setTimeout(() => { // LATE TIMEOUT
  console.log('never');
}, 3600000);
const server = net.createServer(function onConnection(socket) { // ON CONNECTION
  socket.end();
});
server.listen(0, '127.0.0.1', () => console.log('ready'));
globalThis.later = () => void setTimeout(function afterAttach() {}, 3600000); // AFTER ATTACH
class Lobby {
  sweep() { // SWEEP
  }
}
const lobby = new Lobby();
setInterval(lobby.sweep.bind(lobby), 1000);
`;

test('timers and a server created before the attach are found and located at their callbacks', LIMITS, async (t) => {
  const file = writeScript(t, 'preexisting.js', TARGET);
  const target = await startScript(t, file);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  await evaluate(session.connection, 'later()');
  const [report] = await session.snapshot();

  const rooms = siteAt(report, 'Interval', file, lineOf(file, '// ROOM TICK'));
  assert.equal(rooms.preexisting, true);
  assert.equal(rooms.locationKind, 'callback');
  assert.equal(rooms.count, 3, 'the three intervals of one callback form one site');
  assert.deepEqual(rooms.stack, []);
  assert.equal(rooms.callbackHint, 'roomTick');
  assert.equal(rooms.delayMs, 50);

  const late = siteAt(report, 'Timeout', file, lineOf(file, '// LATE TIMEOUT'));
  assert.equal(late.preexisting, true);
  assert.equal(late.locationKind, 'callback');
  assert.equal(late.count, 1);
  assert.equal(late.delayMs, 3600000);
  // Column of the arrow function, 1-based: `setTimeout(` is 11 characters.
  assert.equal(late.location?.column, 12);

  // A bound callback has no location of its own: its target function's is used.
  const sweep = siteAt(report, 'Interval', file, lineOf(file, '// SWEEP'));
  assert.equal(sweep.locationKind, 'callback');
  assert.equal(sweep.callbackHint, 'bound sweep');

  const server = siteAt(report, 'TCPServer', file, lineOf(file, '// ON CONNECTION'));
  assert.equal(server.preexisting, true);
  assert.equal(server.locationKind, 'callback');

  // A timer created after the attach has its creation stack instead.
  const after = siteAt(report, 'Timeout', file, lineOf(file, '// AFTER ATTACH'));
  assert.equal(after.preexisting, false);
  assert.equal(after.locationKind, 'user-frame');
  assert.equal(after.stack[0]?.path, file);
  // The old timeout is dated by Node's own clock (`_idleStart`), so it is older than the new one.
  assert.ok(late.oldestAgeMs > after.oldestAgeMs, `ages ${late.oldestAgeMs} vs ${after.oldestAgeMs}`);
});

test('locating callbacks does not keep them alive: a replaced timer callback can be collected while attached', LIMITS, async (t) => {
  const file = writeScript(
    t,
    'replaced.js',
    `
let timer;
globalThis.replace = () => {
  clearTimeout(timer);
  const state = { payload: new Array(1000).fill('x') };
  const callback = () => state; // CALLBACK
  timer = setTimeout(callback, 3600000);
  globalThis.collected = new WeakRef(callback);
};
replace();
setInterval(function keepAlive() {}, 1000);
console.log('ready');
`,
  );
  const target = await startScript(t, file);
  const session = await inspect(t, target.webSocketDebuggerUrl);
  const [first] = await session.snapshot();
  assert.equal(siteAt(first, 'Timeout', file, lineOf(file, '// CALLBACK')).locationKind, 'callback');
  // The engine located the first callback over CDP. Once it is replaced, nothing may keep it
  // alive: not the agent, not remote objects the engine left behind in the target.
  await evaluate(session.connection, 'globalThis.located = collected; replace()');
  await session.snapshot();
  await session.connection.send('HeapProfiler.collectGarbage');
  assert.equal(await evaluate(session.connection, 'located.deref() === undefined'), true, 'the first callback was collected');
});
