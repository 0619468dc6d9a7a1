import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSnapshot, SiteHistory } from '../../src/analysis';
import { leakingHeartbeat, scenarioSnapshot, site, snapshot, takenAtStep, unmappedFrame, userFrame } from './fixtures';

const trendOf = (history: SiteHistory, takenAt: number, id: string, key: string, count: number) =>
  history.record(takenAt, [{ id, key, count }]).get(id)!;

test('growth compares with the previous snapshot and the trend runs oldest → newest', () => {
  const history = new SiteHistory();
  assert.deepEqual(trendOf(history, 1, 's1', 'K', 3), { previous: null, delta: null, trend: [3] });
  assert.deepEqual(trendOf(history, 2, 's1', 'K', 5), { previous: 3, delta: 2, trend: [3, 5] });
  assert.deepEqual(trendOf(history, 3, 's1', 'K', 4), { previous: 5, delta: -1, trend: [3, 5, 4] });
});

test('the trend starts at the first sighting and counts snapshots without the site as 0', () => {
  const history = new SiteHistory();
  history.record(1, [{ id: 'other', key: 'O', count: 1 }]);
  trendOf(history, 2, 's1', 'K', 2);
  history.record(3, [{ id: 'other', key: 'O', count: 1 }]);
  assert.deepEqual(trendOf(history, 4, 's1', 'K', 6), { previous: 0, delta: 6, trend: [2, 0, 6] });
});

test('history keeps the last `capacity` snapshots and forgets sites absent from all of them', () => {
  const history = new SiteHistory(3);
  for (let step = 1; step <= 6; step++) trendOf(history, step, 's1', 'K', step * 10);
  assert.deepEqual(trendOf(history, 7, 's1', 'K', 70).trend, [50, 60, 70]);

  const forgetting = new SiteHistory(3);
  trendOf(forgetting, 1, 's1', 'K', 5);
  forgetting.record(2, []);
  assert.deepEqual(trendOf(forgetting, 3, 's1', 'K', 7).trend, [5, 0, 7], 'still within the window');
  forgetting.record(4, []);
  forgetting.record(5, []);
  assert.deepEqual(trendOf(forgetting, 6, 's1', 'K', 7), { previous: null, delta: null, trend: [7] });
});

test('the default capacity is 10 snapshots', () => {
  const history = new SiteHistory();
  let growth;
  for (let step = 1; step <= 25; step++) growth = trendOf(history, step, 's1', 'K', step);
  assert.deepEqual(growth?.trend, [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
});

test('recording the same snapshot again replaces it instead of counting it twice', () => {
  const history = new SiteHistory();
  trendOf(history, 1, 's1', 'K', 3);
  trendOf(history, 2, 's1', 'K', 5);
  assert.deepEqual(trendOf(history, 2, 's1', 'K', 5), { previous: 3, delta: 2, trend: [3, 5] });
});

test('capacity must be a positive integer', () => {
  assert.throws(() => new SiteHistory(0), RangeError);
  assert.throws(() => new SiteHistory(2.5), RangeError);
});

test('after a re-attach the agent ids restart, and the type + location key carries the history on', () => {
  const history = new SiteHistory();
  for (const step of [0, 1, 2]) analyzeSnapshot(scenarioSnapshot(step), { history });
  // A new agent installation: fresh ids, and an old id reused for an unrelated site.
  const reattached = snapshot(takenAtStep(3), [
    leakingHeartbeat(3, 'a1'),
    site({ id: 'heartbeat', type: 'Interval', count: 2, resolvedStack: [userFrame('src/game/matchmaking.ts', 8, 3, 'poll')] }),
  ]);
  const report = analyzeSnapshot(reattached, { history });
  const heartbeat = report.sites.find((scored) => scored.id === 'a1');
  assert.deepEqual(heartbeat?.growth, { previous: 9, delta: 3, trend: [3, 6, 9, 12] });
  const unrelated = report.sites.find((scored) => scored.id === 'heartbeat');
  assert.deepEqual(unrelated?.growth, { previous: null, delta: null, trend: [2] }, 'a reused id does not inherit another site’s history');
});

test('within one installation the id bridges a key change, e.g. a source map that became available', () => {
  const history = new SiteHistory();
  const generated = unmappedFrame('/srv/game/dist/server.js', 420, 5, 'startHeartbeat', 'source map not found');
  const mapped = userFrame('src/game/session.ts', 42, 5, 'startHeartbeat');
  analyzeSnapshot(snapshot(takenAtStep(0), [site({ id: 'h', type: 'Interval', count: 4, resolvedStack: [generated] })]), { history });
  const report = analyzeSnapshot(snapshot(takenAtStep(1), [site({ id: 'h', type: 'Interval', count: 6, resolvedStack: [mapped] })]), { history });
  assert.deepEqual(report.sites[0].growth, { previous: 4, delta: 2, trend: [4, 6] });
});
