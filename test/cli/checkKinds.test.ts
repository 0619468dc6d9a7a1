/**
 * `check` fails on a leak of any kind, run as a user runs it (the built dist/cli.js) against real
 * servers over a real inspector: the sample game server's listener, holder and reaction leaks,
 * its never-settling ready checks counted exactly with `--promises`, and its clean mode.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { botArgs, startSampleServer, type SampleServer } from '../../src/sample/sampleServer';
import { settle } from '../helpers/sampleServer';
import { at, checkJson, describe } from './checkRun';
const servers: SampleServer[] = [];
after(() => Promise.all(servers.map((server) => server.stop())));

async function inspectedServer(leaks: string): Promise<SampleServer> {
  const server = await startSampleServer({ leaks, nodeArgs: ['--inspect=127.0.0.1:0'] });
  servers.push(server);
  return server;
}

function bots(server: SampleServer, seed = 1): string[] {
  return [process.execPath, ...botArgs({ url: server.wsUrl, players: 8, durationS: 2, seed })];
}

test('check fails on the listener leak: the top suspect is the registering line, on presence', async () => {
  const server = await inspectedServer('listener');
  const result = await checkJson(server.inspectorUrl!, ['--settle', '1'], bots(server));
  assert.equal(result.code, 1, describe(result));
  const [top] = result.failing;
  assert.equal(top?.kind, 'listener', describe(result));
  assert.equal(at(top), 'samples/game-server/src/game-server.ts:227', describe(result));
  assert.match(top.holder ?? '', /presence/);
  const stats = await settle(server);
  assert.equal(top.count, stats.presenceListeners, 'every listener the server counts, counted');
  assert.match(result.stderr, /listener census: looking for emitters created before the attach .* pauses it about \d+ ms/, 'the scan is announced');
});

test('check --heap fails on the holder leak: the top suspect is reconnectTokens at its declaration', async () => {
  const server = await inspectedServer('holder');
  const result = await checkJson(server.inspectorUrl!, ['--heap', '--settle', '1'], bots(server));
  assert.equal(result.code, 1, describe(result));
  const top = result.failing.find((suspect) => suspect.kind === 'holder');
  assert.equal(result.failing[0]?.kind, 'holder', describe(result));
  // The module-level Map's declaration, found in the bundle and mapped back: not another module's
  // function that shares the bundle's scope, nor the generated server.js.
  assert.equal(at(top), 'samples/game-server/src/reconnect.ts:18', describe(result));
  assert.match(top!.holder ?? '', /reconnectTokens/);
  assert.ok(!top!.details.some(({ label }) => label === 'located'), 'located at the declaration, not at a closure');
  assert.ok(result.report.sampling.heapSnapshots.length === 2 && result.report.sampling.heapSnapshots.every(({ pauseMs }) => pauseMs > 0), 'both measured pauses recorded');
});

test('check --heap fails on the reactions leak: the top suspect is the .stopping promise of GameServer', async () => {
  const server = await inspectedServer('reactions');
  const result = await checkJson(server.inspectorUrl!, ['--heap', '--settle', '1'], bots(server));
  assert.equal(result.code, 1, describe(result));
  const [top] = result.failing;
  assert.equal(top?.kind, 'promise-reactions', describe(result));
  assert.match(at(top), /^samples\/game-server\/src\/game-server\.ts:(64|173)$/, describe(result));
  assert.match(top.holder ?? '', /stopping/);
});

test('check --promises counts the never-settling ready checks exactly, as the server does', async () => {
  const server = await inspectedServer('pending');
  const result = await checkJson(server.inspectorUrl!, ['--promises', '--settle', '1'], bots(server));
  const stats = await settle(server);
  assert.ok(stats.pendingReadyChecks > 0, 'the scenario left ready checks pending');
  assert.equal(result.code, 1, describe(result));
  const census = result.report.promiseCensus;
  assert.ok(census, 'the report carries the exact census');
  // Each never-settling ready check keeps one battle's `run` suspended at its Promise.all.
  const waiting = census.awaitingFunctions.find((fn) => fn.location?.path.endsWith('samples/game-server/src/battle.ts'));
  assert.equal(waiting?.count, stats.pendingReadyChecks, JSON.stringify(census.awaitingFunctions));
  assert.ok(census.pending >= stats.pendingReadyChecks);
  assert.ok(result.report.sampling.heapSnapshots.some(({ phase }) => phase === 'promise census after'), 'the census pause is recorded');
});

test('check --heap --promises passes on the leak-free server', async () => {
  const server = await inspectedServer('none');
  const result = await checkJson(server.inspectorUrl!, ['--heap', '--promises', '--settle', '2'], bots(server));
  assert.equal(result.code, 0, describe(result));
  assert.deepEqual(result.failing, []);
  assert.equal(result.report.check!.leaked, false);
});
