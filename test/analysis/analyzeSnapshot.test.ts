import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSnapshot, SiteHistory, type ResolvedSite } from '../../src/analysis';
import type { AsyncSnapshotReport, SiteReport } from '../../src/protocol/asyncSnapshot';
import {
  gameLoop,
  HEARTBEAT_LINE,
  ROOT,
  scenarioSnapshot,
  serverSocket,
  site,
  snapshot,
  T0,
  takenAtStep,
  TIMERS_INTERNAL,
  unmappedFrame,
  userFrame,
} from './fixtures';

/** Analyses the five-snapshot scenario in order, as the engine would. */
function runScenario(): AsyncSnapshotReport[] {
  const history = new SiteHistory();
  return [0, 1, 2, 3, 4].map((step) => analyzeSnapshot(scenarioSnapshot(step), { history }));
}

function siteById(report: AsyncSnapshotReport, id: string): SiteReport {
  const found = report.sites.find((candidate) => candidate.id === id);
  assert.ok(found, `site ${id} in the report`);
  return found;
}

test('long-lived singletons (a listening server, a 20 Hz game loop started at boot) stay low in every snapshot', () => {
  for (const report of runScenario()) {
    for (const id of ['server', 'loop']) {
      const singleton = siteById(report, id);
      assert.equal(singleton.severity, 'low', `${id}: ${JSON.stringify(singleton.factors)}`);
      assert.ok(singleton.score < 50);
    }
  }
  // The game loop is as old as the process and never ends: that alone must not be enough.
  const loop = siteById(runScenario()[4], 'loop');
  assert.equal(loop.factors.find((factor) => factor.name === 'age')?.points, 10);
  assert.equal(loop.factors.find((factor) => factor.name === 'corroboration')?.points, 0);
  assert.equal(loop.factors.find((factor) => factor.name === 'growth')?.points, 0);
});

test('a heartbeat interval growing every snapshot, old and owned by players who left, scores high', () => {
  const reports = runScenario();
  const scores = reports.map((report) => siteById(report, 'heartbeat').score);
  assert.ok(scores[0] < 80, `no growth evidence from one snapshot: ${scores[0]}`);
  assert.ok(scores[3] >= 80 && scores[4] >= 80, `scores ${scores.join(', ')}`);
  for (let index = 1; index < scores.length; index++) assert.ok(scores[index] >= scores[index - 1], `non-decreasing: ${scores.join(', ')}`);

  const last = siteById(reports[4], 'heartbeat');
  assert.equal(last.severity, 'high');
  assert.deepEqual(last.growth, { previous: 12, delta: 3, trend: [3, 6, 9, 12, 15] });
  assert.equal(last.context.goneShare, 1);
  assert.deepEqual(last.context.keys.playerId.top[0], { value: 'p1', count: 1 });
  assert.equal(reports[4].sites[0].id, 'heartbeat', 'the leak comes first');
});

test('short-lived request timeouts, created and ended all the time, stay low', () => {
  for (const report of runScenario()) {
    const timeouts = siteById(report, 'rpc-timeout');
    assert.equal(timeouts.severity, 'low', JSON.stringify(timeouts.factors));
    assert.ok(timeouts.score <= 15, `score ${timeouts.score}`);
    assert.ok(timeouts.factors.find((factor) => factor.name === 'age')!.points <= 1, 'resources a second old score ~0 on age');
  }
});

test('without a history there is no growth evidence and the trend is the current count', () => {
  const report = analyzeSnapshot(scenarioSnapshot(4));
  const heartbeat = siteById(report, 'heartbeat');
  assert.deepEqual(heartbeat.growth, { previous: null, delta: null, trend: [15] });
  assert.equal(heartbeat.factors.find((factor) => factor.name === 'growth')?.points, 0);
});

test('every factor explains itself and the points add up to the score', () => {
  for (const report of runScenario()) {
    for (const scored of report.sites) {
      assert.deepEqual(
        scored.factors.map((factor) => factor.name),
        ['age', 'growth', 'never-ends', 'owner-gone', 'type', 'corroboration'],
      );
      for (const factor of scored.factors) {
        assert.ok(factor.explanation.length > 10, `${factor.name}: "${factor.explanation}"`);
        assert.ok(factor.value >= 0 && factor.value <= 1);
        assert.equal(factor.points, Math.round(factor.weight * factor.value));
      }
      assert.equal(scored.score, Math.min(100, scored.factors.reduce((sum, factor) => sum + factor.points, 0)));
      assert.ok(Number.isInteger(scored.score));
    }
  }
  const heartbeat = siteById(runScenario()[4], 'heartbeat');
  assert.match(heartbeat.factors.find((factor) => factor.name === 'growth')!.explanation, /rose in 4 and fell in 0 of 4 intervals: 3 → 6 → 9 → 12 → 15/);
  assert.match(heartbeat.factors.find((factor) => factor.name === 'owner-gone')!.explanation, /15 of 15/);
  assert.match(heartbeat.factors.find((factor) => factor.name === 'never-ends')!.explanation, /still repeating/);
});

test('sites are sorted by score, then by count; the summary counts severities', () => {
  const takenAt = takenAtStep(0);
  const servers = ['a', 'b', 'c'].map((id, index) =>
    site({ id, type: 'TCPServer', count: index + 1, resolvedStack: [userFrame(`src/${id}.ts`, 1, 1, 'listen')] }),
  );
  const report = analyzeSnapshot(snapshot(takenAt, [...servers, gameLoop()]));
  assert.deepEqual(
    report.sites.map((scored) => scored.id),
    ['loop', 'c', 'b', 'a'],
  );
  assert.ok(report.sites[0].score > report.sites[1].score);
  assert.equal(report.sites[1].score, report.sites[3].score);

  const last = runScenario()[4];
  assert.deepEqual(last.summary, { high: 1, medium: 0, low: 3 });
  for (let index = 1; index < last.sites.length; index++) assert.ok(last.sites[index - 1].score >= last.sites[index].score);
});

test('the location is the top user frame, skipping Node internals and node_modules', () => {
  const report = analyzeSnapshot(scenarioSnapshot(0));
  const heartbeat = siteById(report, 'heartbeat');
  assert.deepEqual(heartbeat.location, { path: `${ROOT}/src/game/session.ts`, line: HEARTBEAT_LINE, column: 5 });
  assert.equal(heartbeat.locationKind, 'user-frame');
  assert.equal(heartbeat.stack.length, 4);
  assert.deepEqual(heartbeat.stack[0], {
    functionName: 'setInterval',
    path: 'node:internal/timers',
    line: 581,
    column: 17,
    mapped: false,
    reason: 'Node.js internal',
  });
  assert.deepEqual(heartbeat.stack[1], { functionName: 'startHeartbeat', path: `${ROOT}/src/game/session.ts`, line: HEARTBEAT_LINE, column: 5, mapped: true });
});

test('without a user frame the location falls back to the first frame, then to the callback of a pre-existing resource', () => {
  const dependency = unmappedFrame(`${ROOT}/node_modules/pg/lib/pool.js`, 40, 3, 'Pool.connect', 'no source map');
  const callback = userFrame('src/store-pool.ts', 15, 30, '');
  const sites: ResolvedSite[] = [
    site({ id: 'dep', type: 'Promise', count: 2, resolvedStack: [TIMERS_INTERNAL, dependency] }),
    site({ id: 'old', type: 'Interval', count: 1, preexisting: true, callbackHint: 'keepAlive', callbackLocation: callback }),
    site({ id: 'none', type: 'Timeout', count: 1, preexisting: true, callbackHint: '() => {}' }),
  ];
  const report = analyzeSnapshot(snapshot(takenAtStep(0), sites));
  const dep = siteById(report, 'dep');
  assert.deepEqual(dep.location, { path: 'node:internal/timers', line: 581, column: 17 });
  assert.equal(dep.locationKind, 'first-frame');
  const old = siteById(report, 'old');
  assert.deepEqual(old.location, { path: `${ROOT}/src/store-pool.ts`, line: 15, column: 30 });
  assert.equal(old.locationKind, 'callback');
  assert.deepEqual(old.stack, []);
  assert.match(old.factors.find((factor) => factor.name === 'age')!.explanation, /at least/);
  const none = siteById(report, 'none');
  assert.equal(none.location, null);
  assert.equal(none.locationKind, null);
  assert.equal(none.callbackHint, '() => {}');
});

test('ages come from the snapshot time; target info, totals and optional fields carry over', () => {
  const report = analyzeSnapshot(scenarioSnapshot(4), { label: 'game-server (main)' });
  assert.deepEqual(report.target, { pid: 4242, threadId: 0, label: 'game-server (main)' });
  assert.equal(report.processUptimeMs, 14 * 60_000);
  assert.equal(report.liveResources, 2 + 1 + 15 + 1);
  assert.deepEqual(report.totalsByType, { Timeout: 2, TCPServer: 1, Interval: 16 });
  const heartbeat = siteById(report, 'heartbeat');
  assert.equal(heartbeat.oldestAgeMs, takenAtStep(4) - T0 - 60_000);
  assert.equal(heartbeat.newestAgeMs, 5000);
  assert.equal(heartbeat.delayMs, 1000);
  assert.equal(siteById(report, 'rpc-timeout').meanEndedLifetimeMs, 150);
  assert.equal('meanEndedLifetimeMs' in heartbeat, false, 'absent, not undefined');
  assert.equal(analyzeSnapshot({ ...scenarioSnapshot(0), threadId: 3 }).target.label, 'pid 4242 thread 3');
  assert.equal(analyzeSnapshot(scenarioSnapshot(0)).target.label, 'pid 4242');
});

test('sites whose stacks map to the same positions keep separate keys', () => {
  const stack = [userFrame('src/a.ts', 1, 1, 'f')];
  const report = analyzeSnapshot(snapshot(takenAtStep(0), [site({ id: 's1', type: 'Timeout', count: 1, resolvedStack: stack }), site({ id: 's2', type: 'Timeout', count: 2, resolvedStack: stack })]));
  const [first, second] = report.sites.map((scored) => scored.key);
  assert.notEqual(first, second);
  assert.ok(first.startsWith('Timeout ') && second.startsWith('Timeout '));
});

test('resources created in the last few seconds score ~0 on age, even with no ended ones to compare with', () => {
  const takenAt = takenAtStep(0);
  const fresh = site({ id: 'fresh', type: 'Interval', count: 5, oldestCreatedAt: takenAt - 4000, medianCreatedAt: takenAt - 2000, newestCreatedAt: takenAt - 100 });
  const report = analyzeSnapshot(snapshot(takenAt, [fresh, serverSocket()]));
  assert.equal(siteById(report, 'fresh').factors.find((factor) => factor.name === 'age')?.points, 0);
});
