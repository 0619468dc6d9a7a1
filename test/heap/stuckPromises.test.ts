/**
 * The stuck-promise catalogue (fixtures/promiseCatalogue.js) in real processes on Node 20, 24 and 26:
 * 17 kinds of promises that something still running will settle (timers, sockets, HTTP, a
 * worker, fs/dns/crypto requests in flight, events.once, an AbortSignal, a resolver in a live
 * Map, thenables and then-chains, a global property …) and 13 kinds that nothing can settle
 * (dropped resolvers, resolvers held only by their own awaiter, cycles, a never-ready room
 * awaited, a dead thenable, a global property …), 7 of each. One heap snapshot: no live one may be reported, every stuck one must be, with its
 * exact count, at its function's line (or by what holds it, where V8 keeps no function). One leak
 * is one group: a chain's innermost stuck promise is its root, the outer links (the suspended
 * async functions, derived promises) its consequences; the A/B cycle's root is A (first in the
 * source), B its consequence.
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
import { targetNode } from '../helpers/nodeVersions';
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

type Site = [kind: string, name: string];
/** Stuck chains with a function site: the root site (N promises) and its consequences' sites (N each). */
const STUCK_CHAINS: Array<{ root: Site; consequences: Site[] }> = [
  { root: ['handler', 'stuckNeverRuns'], consequences: [['handler', 'stuckNeverRuns']] }, // the promise its then() derived
  { root: ['awaiter', 'stuckWaitReady'], consequences: [['async-function', 'stuckWaitReady']] },
  { root: ['awaiter', 'stuckSelfResolver'], consequences: [['async-function', 'stuckSelfResolver']] },
  { root: ['async-function', 'stuckCycleA'], consequences: [['async-function', 'stuckCycleB']] }, // a cycle: its first site is the root
  { root: ['awaiter', 'stuckLobbyStart'], consequences: [['async-function', 'stuckLobbyStart']] },
  { root: ['awaiter', 'stuckChainInner'], consequences: [['async-function', 'stuckChainInner'], ['async-function', 'stuckChainOuter']] },
];
/** Stuck groups whose function V8 no longer has (collected with the cycle): by what holds them. */
const STUCK_HOLDERS = ['.droppedSet → Set', '.deadThenables → Array', '.consumers → Array', '.raced → Array', '.onceHeld → Array', '.locks → Array'];
/** One promise per global property (`globalThis.stuckGlobal0 = new Promise(() => {})`): a group each, by its variable. */
const STUCK_GLOBALS = Array.from({ length: N }, (_, i) => `.stuckGlobal${i} → Promise`);
const ROOT_TOTAL = (STUCK_CHAINS.length + STUCK_HOLDERS.length) * N + STUCK_GLOBALS.length;
const STUCK_TOTAL = ROOT_TOTAL + STUCK_CHAINS.reduce((sum, chain) => sum + chain.consequences.length, 0) * N;

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
  const described = analysis.stuck.map((group) => `${group.count} ${group.site.kind} ${group.site.functionName} line ${group.site.location?.line} | ${group.holder} | ${(group.consequences ?? []).map((c) => `${c.count} ${c.site.kind} ${c.site.functionName}`).join(', ')}`);
  // No false positive: nothing stuck but the stuck cases, and no stuck group names a live case.
  for (const group of analysis.stuck) {
    assert.ok(!/live/.test(`${group.site.functionName} ${group.holder}`), `a live case reported stuck: ${described.join('\n')}`);
  }
  assert.equal(analysis.stuckCount, STUCK_TOTAL, `stuck promises, exactly the catalogue's:\n${described.join('\n')}`);
  assert.equal(analysis.rootCount, ROOT_TOTAL, `one root per chain:\n${described.join('\n')}`);
  assert.equal(analysis.stuck.length, STUCK_CHAINS.length + STUCK_HOLDERS.length + STUCK_GLOBALS.length, `one group per leak:\n${described.join('\n')}`);
  for (const { root: [kind, name], consequences } of STUCK_CHAINS) {
    const group = analysis.stuck.find((g) => g.site.kind === kind && g.site.functionName === name);
    assert.ok(group, `${kind} ${name} reported stuck:\n${described.join('\n')}`);
    assert.equal(group.count, N, `${kind} ${name}: its roots`);
    assert.equal(group.site.location?.path, FIXTURE, `${name} mapped to the fixture`);
    assert.equal(group.site.location?.line, lineOf(name), `${name} at its line`);
    assert.ok(group.retainerPath && group.retainerPath.steps.length > 0, `${name}: a path from the roots`);
    const found = (group.consequences ?? []).map((c) => [c.site.kind, c.site.functionName, c.count, c.site.location?.line]);
    const expected = consequences.map(([k, fn]) => [k, fn, N, lineOf(fn)]);
    const order = (a: unknown[], b: unknown[]) => String(a).localeCompare(String(b));
    assert.deepEqual(found.sort(order), expected.sort(order), `${kind} ${name}: its consequences`);
    // An awaited promise keeps its awaiter's suspended function; a chain's bytes count with its root.
    if (kind === 'awaiter') assert.ok(group.retainedSize > 1000, `${name}: ${group.retainedSize} bytes kept with the awaiters`);
    assert.ok(group.retainedSize >= group.consequences!.reduce((sum, c) => sum + c.retainedSize, 0));
    assert.match(group.explanation, /no resolve\/reject function/);
    assert.match(group.explanation, new RegExp(`${N * consequences.length} more stuck promise\\(s\\) are pending only because of them`));
  }
  for (const holder of STUCK_HOLDERS) {
    const group = analysis.stuck.find((g) => g.site.kind === 'holder' && g.holder.includes(holder));
    assert.ok(group, `stuck promises held by ${holder}:\n${described.join('\n')}`);
    assert.equal(group.count, N, holder);
    assert.deepEqual(group.consequences, [], holder);
  }
  for (const holder of STUCK_GLOBALS) {
    const group = analysis.stuck.find((g) => g.site.kind === 'holder' && g.holder.endsWith(holder));
    assert.ok(group, `stuck promise held by the global ${holder}:\n${described.join('\n')}`);
    assert.equal(group.count, 1, holder);
    assert.match(group.holder, /^global\b[^→]*\/ \.stuckGlobal\d+ → Promise$/, 'held by the global object itself, named by its property');
  }
  // Nothing live is orphaned: the catalogue's owners (a resolver in a live Map, sockets, requests) are all alive.
  assert.deepEqual(analysis.orphaned?.map((g) => `${g.count} ${g.site.kind} ${g.site.functionName}: ${g.ownerEvidence}`), []);
  // The census counts every pending promise of the live cases, created long before the attach.
  for (const name of LIVE_ASYNC_FUNCTIONS) {
    const site = analysis.census.sites.find((s) => s.kind === 'async-function' && s.functionName === name);
    assert.equal(site?.count, N, `census of ${name}`);
    assert.equal(site?.location?.line, lineOf(name), `${name} at its line`);
  }
  const liveGlobals = analysis.census.sites.filter((s) => s.kind === 'holder' && /\.liveGlobal\d+ → Promise$/.test(s.holder ?? ''));
  assert.equal(liveGlobals.reduce((sum, s) => sum + s.count, 0), N, 'census of the promises held by global properties');
  const awaiting = analysis.census.awaitingFunctions.find((f) => f.functionName === 'liveTimer');
  assert.equal(awaiting?.count, N, 'suspended liveTimer calls');
  assert.ok(analysis.census.total >= STUCK_TOTAL + (LIVE_ASYNC_FUNCTIONS.length + 1) * N, `${analysis.census.total} pending in all`);
  assert.equal(analysis.census.probed, true);
}

/** `nodeOwn`: Node's own never-settling promises expected (Node 26's webstreams sentinel), counted apart. */
async function runCatalogue(t: TestContext, node?: string, nodeOwn = 0): Promise<void> {
  const target = await spawnInspected(t, `require(${JSON.stringify(FIXTURE)});`, { ready: /ready/, node });
  const session = await InspectorSession.attach(target.webSocketDebuggerUrl);
  t.after(() => session.detach());
  let announced: number | undefined;
  const result = await takePromiseCensus(session, { onEstimate: (estimate) => (announced = estimate.estimatedPauseMs) });
  assert.ok(announced !== undefined && announced > 0, 'the pause was announced before the snapshot');
  assert.equal(result.exactStateFunction, true, "Node's own promise state function was found");
  assertCatalogue(result.analysis);
  assert.equal(result.analysis.nodeOwnStuckCount, nodeOwn, "Node's own sentinels, counted apart");
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
  assert.equal(waitReady?.count, N);
  assert.match(waitReady?.details.find((d) => d.label.startsWith('consequences'))?.value ?? '', new RegExp(`^${N} call\\(s\\) of stuckWaitReady \\(promiseCatalogue\\.js:${lineOf('stuckWaitReady')}\\) suspended$`));
  assert.ok(!suspects.some((s) => s.title.includes('calls of stuckWaitReady')), 'the suspended calls are not a suspect of their own');
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

test('stuck-promise catalogue on Node 26 (V8 keeps some context slots in ContextCells, webstreams a never-settling sentinel)', async (t) => {
  const { node } = await targetNode(26, (line) => t.diagnostic(line));
  await runCatalogue(t, node, 1);
});

test("the sample server's pending leak: the census counts every ready check in flight, equal to the server's own counter", async (t) => {
  const server = await startSampleServer({ leaks: 'pending', serverArgs: ['--pool-size', '4', '--ready-timeout-ms', '1000'], nodeArgs: ['--inspect=127.0.0.1:0'] });
  t.after(() => server.stop());
  // The scores count 5 pending at a site as a per-player leak (FULL_COUNT): play until the
  // random drops have left at least that many (one round usually; CI once saw 4).
  let stats = await settle(server);
  for (let seed = 1; seed <= 4 && stats.pendingReadyChecks < 5; seed++) {
    await runBots({ url: server.wsUrl, players: 12, durationS: 3, seed });
    stats = await settle(server);
  }
  assert.ok(stats.pendingReadyChecks >= 5, `ready checks that never settle: ${JSON.stringify(stats)}`);
  const session = await InspectorSession.attach(server.inspectorUrl!);
  t.after(() => session.detach());
  const { analysis, suspects } = await takePromiseCensus(session);
  const startMatch = analysis.census.sites.find((site) => site.kind === 'async-function' && site.functionName === 'startMatch');
  assert.equal(startMatch?.count, stats.pendingReadyChecks, `suspended startMatch calls = the server's pendingReadyChecks (${JSON.stringify(analysis.census.sites.slice(0, 8))})`);
  assert.match(startMatch?.location?.path ?? '', /game-server\.ts$/, 'mapped to the TypeScript source');
  t.diagnostic(`${stats.pendingReadyChecks} ready checks pending; ${analysis.stuckCount} promises provably stuck in ${analysis.stuck.length} groups`);

  // The dropped players' resolvers are still reachable (an emitter listener), so not provably
  // stuck: orphaned, since every suspended ready check holds its players' closed connections.
  // One suspect for the chain: its innermost link, the `await Promise.all(… waitFor('ready'))` in
  // Battle#run, with the suspended run and startMatch calls as consequences.
  assert.equal(analysis.stuckCount, 0, 'not provable: the resolvers are reachable');
  const orphaned = suspects.filter((suspect) => suspect.kind === 'orphaned-promise');
  const describe = JSON.stringify(orphaned.map((s) => [s.title, s.location, s.count, s.score, s.details]), null, 1);
  assert.equal(orphaned.length, 1, describe);
  const [readyCheck] = orphaned;
  assert.equal(readyCheck.count, stats.pendingReadyChecks, describe);
  assert.match(readyCheck.title, /awaited by run whose owner is gone/);
  assert.match(readyCheck.location?.path ?? '', /battle\.ts$/);
  assert.ok(readyCheck.severity !== 'low', describe);
  assert.ok(readyCheck.score < 80, 'not provable: never high on one snapshot');
  const consequences = readyCheck.details.find((d) => d.label.startsWith('consequences'))?.value ?? '';
  assert.match(consequences, new RegExp(`${stats.pendingReadyChecks} call\\(s\\) of startMatch \\(game-server\\.ts:\\d+\\) suspended`), describe);
  assert.match(consequences, new RegExp(`${stats.pendingReadyChecks} call\\(s\\) of run \\(battle\\.ts:\\d+\\) suspended`), describe);
  assert.match(readyCheck.details.find((d) => d.label === 'owner')?.value ?? '', /holds a closed (net\.Socket|WebSocket)/);
  t.diagnostic(`orphaned: ${readyCheck.title} — ${readyCheck.score} ${readyCheck.severity}; ${consequences}`);
});

test("the sample server without leaks: no orphaned or stuck promise after the same bots", async (t) => {
  const server = await startSampleServer({ leaks: 'none', serverArgs: ['--pool-size', '4', '--ready-timeout-ms', '1000'], nodeArgs: ['--inspect=127.0.0.1:0'] });
  t.after(() => server.stop());
  await runBots({ url: server.wsUrl, players: 12, durationS: 3 });
  const stats = await settle(server);
  assert.equal(stats.pendingReadyChecks, 0, JSON.stringify(stats));
  const session = await InspectorSession.attach(server.inspectorUrl!);
  t.after(() => session.detach());
  const { analysis, suspects } = await takePromiseCensus(session);
  assert.deepEqual(suspects.map((s) => `${s.kind} ${s.title}`), []);
  assert.equal(analysis.stuckCount, 0);
});
