/**
 * The stuck-promise catalogue (fixtures/promiseCatalogue.js) in real processes on Node 20 and 24:
 * 16 kinds of promises that something still running will settle (timers, sockets, HTTP, a
 * worker, fs/dns/crypto requests in flight, events.once, an AbortSignal, a resolver in a live
 * Map, thenables and then-chains …) and 12 kinds that nothing can settle (dropped resolvers,
 * resolvers held only by their own awaiter, cycles, a never-ready room awaited, a dead thenable
 * …), 7 of each. One heap snapshot: no live one may be reported, every stuck one must be, with its
 * exact count, at its function's line (or by what holds it, where V8 keeps no function).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { toStuckPromiseSuspects } from '../../src/analysis/stuckPromiseSuspects';
import { InspectorSession } from '../../src/engine/inspectorSession';
import { takePromiseCensus } from '../../src/engine/promiseCensus';
import type { PromiseHeapAnalysis } from '../../src/protocol/heap';
import { runBots, startSampleServer } from '../../src/sample/sampleServer';
import { spawnInspected } from '../helpers/inspectedProcess';
import { settle } from '../helpers/sampleServer';
import { ensureNode24 } from '../vscode-e2e/install';

const FIXTURE = path.join(__dirname, 'fixtures', 'promiseCatalogue.js');
const SOURCE = readFileSync(FIXTURE, 'utf8').split('\n');
const N = 7;

/** 1-based line where the function is defined (`function name(` or `async name(`). */
function lineOf(name: string): number {
  const index = SOURCE.findIndex((line) => new RegExp(`(function|async) ${name}\\(`).test(line));
  assert.ok(index >= 0, `${name} is defined in the fixture`);
  return index + 1;
}

/** Stuck groups with a function site: kind, function, count. */
const STUCK_FUNCTIONS: Array<[kind: string, name: string, count: number]> = [
  ['handler', 'stuckNeverRuns', 2 * N], // the never-settling promise and the promise its then() derived
  ['awaiter', 'stuckWaitReady', N],
  ['async-function', 'stuckWaitReady', N],
  ['awaiter', 'stuckSelfResolver', N],
  ['async-function', 'stuckSelfResolver', N],
  ['async-function', 'stuckCycleA', N],
  ['async-function', 'stuckCycleB', N],
  ['awaiter', 'stuckLobbyStart', N],
  ['async-function', 'stuckLobbyStart', N],
  ['awaiter', 'stuckChainInner', N],
  ['async-function', 'stuckChainInner', N],
  ['async-function', 'stuckChainOuter', N],
];
/** Stuck groups whose function V8 no longer has (collected with the cycle): by what holds them. */
const STUCK_HOLDERS = ['.droppedSet → Set', '.deadThenables → Array', '.consumers → Array', '.raced → Array', '.onceHeld → Array', '.locks → Array'];
const STUCK_TOTAL = STUCK_FUNCTIONS.reduce((sum, [, , count]) => sum + count, 0) + STUCK_HOLDERS.length * N;

/** Live cases whose async function (own promise) the census counts at its line. */
const LIVE_ASYNC_FUNCTIONS = [
  'liveTimer',
  'liveTimersPromises',
  'liveEventsOnce',
  'liveThenChainSource',
  'liveThenable',
  'liveAllOfTimers',
  'liveSocketRead',
  'liveHttpRequest',
  'liveFsPromises',
  'liveDnsLookup',
  'liveCryptoPbkdf2',
  'liveCryptoRandomBytes',
];

function assertCatalogue(analysis: PromiseHeapAnalysis): void {
  const described = analysis.stuck.map((group) => `${group.count} ${group.site.kind} ${group.site.functionName} line ${group.site.location?.line} | ${group.holder}`);
  // No false positive: nothing stuck but the stuck cases, and no stuck group names a live case.
  for (const group of analysis.stuck) {
    assert.ok(!/live/.test(`${group.site.functionName} ${group.holder}`), `a live case reported stuck: ${described.join('\n')}`);
  }
  assert.equal(analysis.stuckCount, STUCK_TOTAL, `stuck promises, exactly the catalogue's:\n${described.join('\n')}`);
  for (const [kind, name, count] of STUCK_FUNCTIONS) {
    const group = analysis.stuck.find((g) => g.site.kind === kind && g.site.functionName === name);
    assert.ok(group, `${kind} ${name} reported stuck:\n${described.join('\n')}`);
    assert.equal(group.count, count, `${kind} ${name}`);
    assert.equal(group.site.location?.path, FIXTURE, `${name} mapped to the fixture`);
    assert.equal(group.site.location?.line, lineOf(name), `${name} at its line`);
    assert.ok(group.retainerPath && group.retainerPath.steps.length > 0, `${name}: a path from the roots`);
    // An awaited promise keeps its awaiter's suspended function (bytes of a promise held by another stuck one count there).
    if (kind === 'awaiter') assert.ok(group.retainedSize > 1000, `${name}: ${group.retainedSize} bytes kept with the awaiters`);
    assert.match(group.explanation, /no resolve\/reject function/);
  }
  for (const holder of STUCK_HOLDERS) {
    const group = analysis.stuck.find((g) => g.site.kind === 'holder' && g.holder.includes(holder));
    assert.ok(group, `stuck promises held by ${holder}:\n${described.join('\n')}`);
    assert.equal(group.count, N, holder);
  }
  // The census counts every pending promise of the live cases, created long before the attach.
  for (const name of LIVE_ASYNC_FUNCTIONS) {
    const site = analysis.census.sites.find((s) => s.kind === 'async-function' && s.functionName === name);
    assert.equal(site?.count, N, `census of ${name}`);
    assert.equal(site?.location?.line, lineOf(name), `${name} at its line`);
  }
  const awaiting = analysis.census.awaitingFunctions.find((f) => f.functionName === 'liveTimer');
  assert.equal(awaiting?.count, N, 'suspended liveTimer calls');
  assert.ok(analysis.census.total >= STUCK_TOTAL + LIVE_ASYNC_FUNCTIONS.length * N, `${analysis.census.total} pending in all`);
  assert.equal(analysis.census.probed, true);
}

async function runCatalogue(t: TestContext, node?: string): Promise<void> {
  const target = await spawnInspected(t, `require(${JSON.stringify(FIXTURE)});`, { ready: /ready/, node });
  const session = await InspectorSession.attach(target.webSocketDebuggerUrl);
  t.after(() => session.detach());
  let announced: number | undefined;
  const result = await takePromiseCensus(session, { onEstimate: (estimate) => (announced = estimate.estimatedPauseMs) });
  assert.ok(announced !== undefined && announced > 0, 'the pause was announced before the snapshot');
  assert.equal(result.exactStateFunction, true, "Node's own promise state function was found");
  assertCatalogue(result.analysis);
  t.diagnostic(`pending ${result.analysis.census.total}, stuck ${result.analysis.stuckCount} in ${result.analysis.stuck.length} groups; analysis ${result.analysis.timings.analysisMs} ms`);

  // As suspects: every group, provably stuck, 7 of a kind held by a variable or object ⇒ high or medium.
  const suspects = result.suspects;
  assert.equal(suspects.length, result.analysis.stuck.length);
  for (const suspect of suspects) {
    assert.equal(suspect.kind, 'stuck-promise');
    assert.equal(suspect.factors.find((f) => f.name === 'provably-stuck')?.points, 50);
    assert.ok(suspect.score >= 50, `${suspect.title}: ${suspect.score}`);
  }
  const waitReady = suspects.find((s) => s.title.includes('awaited by stuckWaitReady'));
  assert.equal(waitReady?.location?.line, lineOf('stuckWaitReady'));
  // Growth against a previous census of the same keys.
  const grown = toStuckPromiseSuspects(result.analysis, { previous: new Map(suspects.map((s) => [s.key, s.count - 2])) });
  assert.ok(grown.every((s) => s.growth === 2 && s.factors.find((f) => f.name === 'growth')?.points === 15));
}

test('stuck-promise catalogue on Node 20 (the machine Node): every stuck case found exactly, no live one reported', async (t) => {
  await runCatalogue(t);
});

test('stuck-promise catalogue on Node 24', async (t) => {
  const node = await ensureNode24(path.resolve(__dirname, '../../.vscode-test'), (line) => t.diagnostic(line));
  await runCatalogue(t, node);
});

test("the sample server's pending leak: the census counts every ready check in flight, equal to the server's own counter", async (t) => {
  const server = await startSampleServer({ leaks: 'pending', serverArgs: ['--pool-size', '4', '--ready-timeout-ms', '1000'], nodeArgs: ['--inspect=127.0.0.1:0'] });
  t.after(() => server.stop());
  await runBots({ url: server.wsUrl, players: 12, durationS: 3 });
  const stats = await settle(server);
  assert.ok(stats.pendingReadyChecks > 0, `some ready checks never settle: ${JSON.stringify(stats)}`);
  const session = await InspectorSession.attach(server.inspectorUrl!);
  t.after(() => session.detach());
  const { analysis } = await takePromiseCensus(session);
  const startMatch = analysis.census.sites.find((site) => site.kind === 'async-function' && site.functionName === 'startMatch');
  assert.equal(startMatch?.count, stats.pendingReadyChecks, `suspended startMatch calls = the server's pendingReadyChecks (${JSON.stringify(analysis.census.sites.slice(0, 8))})`);
  assert.match(startMatch?.location?.path ?? '', /game-server\.ts$/, 'mapped to the TypeScript source');
  t.diagnostic(`${stats.pendingReadyChecks} ready checks pending; ${analysis.stuckCount} promises provably stuck in ${analysis.stuck.length} groups`);
});
