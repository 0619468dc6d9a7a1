/**
 * The pieces of `watch` on constructed snapshots: bounded site cardinality in the metrics,
 * series dropped for a down target, the three rules, the trace's destroy rate and tracks, and
 * the loopback policy of the metrics address.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { TimelineEntry } from '../../src/protocol/agentSnapshot';
import type { AsyncSnapshotReport, SiteReport } from '../../src/protocol/asyncSnapshot';
import type { Suspect } from '../../src/protocol/report';
import { parseMetricsAddress } from '../../src/watch/exporter';
import { WatchMetrics } from '../../src/watch/metrics';
import { Rules } from '../../src/watch/rules';
import { TraceTimeline } from '../../src/watch/traceTimeline';

const ROOT = '/srv/game';
const T0 = Date.parse('2026-01-01T00:00:00Z');

function site(line: number, count: number, score: number, type: SiteReport['type'] = 'Interval'): SiteReport {
  return {
    id: `s${line}`, key: `${type}@${line}`, type, count, sampledCount: count, score, severity: 'low', factors: [],
    oldestAgeMs: 0, medianAgeMs: 0, newestAgeMs: 0, location: { path: `${ROOT}/src/game.ts`, line, column: 1 }, locationKind: 'user-frame',
    stack: [], context: { keys: {}, goneShare: null }, ownerGoneCount: 0, ownerKnownCount: 0, growth: { previous: null, delta: null, trend: [count] },
    preexisting: false, recentCreated: 0, recentEnded: 0,
  };
}

function report(takenAt: number, sites: SiteReport[], threadId = 0): AsyncSnapshotReport {
  const totalsByType: AsyncSnapshotReport['totalsByType'] = {};
  for (const { type, count } of sites) totalsByType[type] = (totalsByType[type] ?? 0) + count;
  return {
    target: { pid: 1, threadId, label: 'x' }, agentVersion: '1.2.0', takenAt, processUptimeMs: 0, pauseMs: 2, liveResources: 0,
    totalsByType, stackSampling: { budgetPerSecond: 200, currentInterval: 1, dropped: 0 }, sites, summary: { low: 0, medium: 0, high: 0 },
  };
}

async function samples(metrics: WatchMetrics, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, name);
  return (await metric.get()).values as Array<{ labels: Record<string, string | number>; value: number }>;
}

test('metrics: the top N sites by score get their own series, the rest are summed per type into site="other"', async () => {
  const metrics = new WatchMetrics(3, ROOT);
  // Sorted by score as reports are; line 10 appears twice (two stacks, one line): merged.
  const sites = [site(10, 50, 90), site(10, 5, 40), site(11, 4, 30), site(12, 3, 20), site(13, 2, 10), site(14, 1, 5, 'Timeout')];
  metrics.recordSnapshot('a', [{ report: report(T0, sites), heap: { usedSize: 100, totalSize: 200 } }]);
  const counts = await samples(metrics, 'leak_inspector_site_async_resources');
  const bySite = Object.fromEntries(counts.map(({ labels, value }) => [`${labels.site} ${labels.type}`, value]));
  assert.deepEqual(bySite, { 'src/game.ts:10 Interval': 55, 'src/game.ts:11 Interval': 4, 'src/game.ts:12 Interval': 3, 'other Interval': 2, 'other Timeout': 1 });
  const scores = await samples(metrics, 'leak_inspector_site_leak_score');
  assert.deepEqual(scores.map(({ labels, value }) => [labels.site, value]), [['src/game.ts:10', 90], ['src/game.ts:11', 30], ['src/game.ts:12', 20]]);

  // The next snapshot replaces the site series: a site that left the top N leaves no stale series.
  metrics.recordSnapshot('a', [{ report: report(T0 + 1000, [site(13, 9, 95)]) }]);
  assert.deepEqual((await samples(metrics, 'leak_inspector_site_async_resources')).map(({ labels }) => labels.site), ['src/game.ts:13']);

  metrics.recordTimeline('a', 0, [{ kind: 'sample', at: T0, durationMs: 1000, delayMs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1 }, created: 7, heapUsed: 1, heapTotal: 2 }]);
  assert.equal((await samples(metrics, 'leak_inspector_event_loop_delay_seconds')).length, 4);
  metrics.targetUp('a', false);
  for (const name of ['leak_inspector_site_async_resources', 'leak_inspector_async_resources', 'leak_inspector_event_loop_delay_seconds']) {
    assert.deepEqual(await samples(metrics, name), [], `${name} dropped for a down target`);
  }
  assert.deepEqual((await samples(metrics, 'leak_inspector_target_up')).map(({ value }) => value), [0]);
  assert.equal((await samples(metrics, 'leak_inspector_async_resources_created_total'))[0].value, 7, 'counters stay');
});

test('metrics: capability warnings are a gauge per code while they hold', async () => {
  const metrics = new WatchMetrics(3, ROOT);
  const warned = { ...report(T0, [site(10, 1, 10)]), warnings: [{ code: 'context-unavailable', message: 'AsyncLocalStorage stores cannot be read on this Node' }] };
  metrics.recordSnapshot('a', [{ report: warned }]);
  const values = await samples(metrics, 'leak_inspector_capability_warning');
  assert.deepEqual(values.map(({ labels, value }) => [labels.target, labels.thread, labels.code, value]), [['a', 'main', 'context-unavailable', 1]]);
  metrics.recordSnapshot('a', [{ report: report(T0 + 1000, [site(10, 1, 10)]) }]);
  assert.deepEqual(await samples(metrics, 'leak_inspector_capability_warning'), [], 'gone once the warning is');
});

test('rules: score threshold, growth over N consecutive snapshots, heap growth rate', () => {
  const rules = new Rules({ scoreAtLeast: 80, growthIntervals: 3, heapGrowthMbPerMin: 10, heapWindowS: 10 });
  const MB = 1024 * 1024;
  const fired = (step: number, sites: SiteReport[], heapMb: number) => rules.check('a', report(T0 + step * 1000, sites), heapMb * MB).map((f) => f.rule);

  assert.deepEqual(fired(0, [site(10, 1, 10)], 10), []);
  assert.deepEqual(fired(1, [site(10, 2, 10)], 10), []);
  assert.deepEqual(fired(2, [site(10, 3, 10)], 10), []);
  assert.deepEqual(fired(3, [site(10, 4, 10)], 10), ['resource_growth'], 'three rises in a row');
  assert.deepEqual(fired(4, [site(10, 4, 85)], 10), ['site_score'], 'a flat count resets the streak');
  // Heap: +1 MB/s = 60 MB/min, once the readings span half the 10 s window.
  for (let step = 5; step < 10; step++) fired(step, [site(10, 4, 10)], 10 + (step - 5));
  assert.deepEqual(fired(10, [site(10, 4, 10)], 15), ['heap_growth']);
  assert.deepEqual(rules.check('b', report(T0, [site(10, 4, 10)]), 1).length, 0, 'targets are separate');
});

test('trace timeline: a process per target, a thread per thread, destroy rate from creations and live counts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-trace-'));
  try {
    const file = path.join(dir, 'trace.json');
    const trace = new TraceTimeline(file);
    const sample = (at: number, created: number): TimelineEntry => ({ kind: 'sample', at, durationMs: 1000, delayMs: undefined, created, heapUsed: MB(10), heapTotal: MB(20) });
    trace.record('a', 0, { at: T0 + 1000, live: 100 }, [sample(T0 + 1000, 10)]);
    // 2 s later: 50 created, live 100 → 120, so 30 destroyed; the sample after the snapshot counts next time.
    trace.record('a', 0, { at: T0 + 3000, live: 120 }, [sample(T0 + 2000, 20), sample(T0 + 3000, 30), sample(T0 + 3500, 99), { kind: 'gc', at: T0 + 2500, durationMs: 1.5, gc: 'minor' }]);
    trace.record('b', 2, undefined, [{ kind: 'stall', at: T0 + 2000, durationMs: 120 }]);
    await trace.write();
    const { traceEvents } = JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: Array<{ name: string; ph: string; pid: number; tid: number; dur?: number; args?: Record<string, unknown> }> };
    const destroyed = traceEvents.filter((e) => e.name === 'async resources destroyed (/s)');
    assert.deepEqual(destroyed.map((e) => e.args), [{ destroyed: 15 }]);
    assert.deepEqual(traceEvents.filter((e) => e.ph === 'M').map((e) => [e.name, e.pid, e.tid, e.args?.name]), [
      ['process_name', 1, 0, 'a'], ['thread_name', 1, 1, 'main'], ['process_name', 2, 0, 'b'], ['thread_name', 2, 3, 'worker-2'],
    ]);
    assert.deepEqual(traceEvents.filter((e) => e.ph === 'X').map((e) => [e.name, e.dur]), [['GC (minor)', 1500], ['event loop stall', 120_000]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics address: loopback by default, others only when named', () => {
  assert.deepEqual(parseMetricsAddress('127.0.0.1:9464', []), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseMetricsAddress('[::1]:0', []), { host: '::1', port: 0 });
  assert.deepEqual(parseMetricsAddress('9464', []), { host: '127.0.0.1', port: 9464 });
  assert.throws(() => parseMetricsAddress('0.0.0.0:9464', []), /Refusing to serve metrics on 0\.0\.0\.0/);
  assert.deepEqual(parseMetricsAddress('10.0.0.5:9464', ['10.0.0.5']), { host: '10.0.0.5', port: 9464 });
  assert.throws(() => parseMetricsAddress('localhost', []), /HOST:PORT/);
});

function MB(n: number): number {
  return n * 1024 * 1024;
}

test('metrics and rules for suspects of every kind: bounded sites per kind, a score rule on any kind, stuck promises', async () => {
  const metrics = new WatchMetrics(2, ROOT);
  const suspect = (kind: Suspect['kind'], line: number, score: number, count: number): Suspect => ({
    kind, key: `${kind} ${line}`, title: `${count} things`, location: { path: `${ROOT}/src/game.ts`, line, column: 1 }, thread: 'main', score,
    severity: score >= 80 ? 'high' : score >= 50 ? 'medium' : 'low', factors: [], count, growth: null, retainedBytes: null, paths: [], details: [], estimated: false,
  });
  const suspects = [suspect('listener', 20, 90, 40), suspect('listener', 21, 60, 5), suspect('listener', 22, 10, 3), suspect('listener', 23, 5, 2), suspect('holder', 30, 70, 8)];
  metrics.recordSnapshot('a', [{ report: report(T0, []) }]);
  metrics.recordSuspects('a', suspects);
  const bySeverity = Object.fromEntries((await samples(metrics, 'leak_inspector_suspects')).map(({ labels, value }) => [`${labels.kind} ${labels.severity}`, value]));
  assert.equal(bySeverity['listener high'], 1);
  assert.equal(bySeverity['listener medium'], 1);
  assert.equal(bySeverity['listener low'], 2);
  assert.equal(bySeverity['holder medium'], 1);
  assert.equal(bySeverity['stuck-promise high'], 0, 'every kind has its series');
  const scores = (await samples(metrics, 'leak_inspector_suspect_score')).map(({ labels, value }) => `${labels.kind} ${labels.site} ${value}`);
  assert.deepEqual(scores, ['listener src/game.ts:20 90', 'listener src/game.ts:21 60', 'holder src/game.ts:30 70']);
  const counts = Object.fromEntries((await samples(metrics, 'leak_inspector_suspect_count')).map(({ labels, value }) => [`${labels.kind} ${labels.site}`, value]));
  assert.equal(counts['listener other'], 5, 'the rest of a kind summed into site="other"');

  metrics.recordPromiseCensus('a', { pending: 12, stuck: 3 });
  assert.deepEqual((await samples(metrics, 'leak_inspector_stuck_promises')).map(({ value }) => value), [3]);
  metrics.targetUp('a', false);
  assert.deepEqual(await samples(metrics, 'leak_inspector_stuck_promises'), [], 'a down target keeps no census reading');
  assert.deepEqual(await samples(metrics, 'leak_inspector_suspect_score'), []);

  const rules = new Rules({ scoreAtLeast: 80, stuckPromisesAtLeast: 3 });
  assert.match(rules.check('a', report(T0, []), undefined, suspects)[0]?.reason ?? '', /listener suspect .*\/game\.ts:20 scores 90/, 'the score rule fires on a listener');
  assert.equal(rules.check('a', report(T0, []), undefined, [suspects[4]]).length, 0);
  assert.equal(rules.checkStuckPromises(2), undefined);
  assert.equal(rules.checkStuckPromises(3)?.rule, 'stuck_promises');
});
