import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { LEAK_FACTORS, scoreSite, severityOf, type LeakFactor, type SiteEvidence } from '../../src/analysis';
import { MINUTE, SECOND } from './fixtures';

const quiet: SiteEvidence = {
  type: 'Timeout',
  count: 1,
  oldestAgeMs: 0,
  medianAgeMs: 0,
  processUptimeMs: 60 * MINUTE,
  preexisting: false,
  recentCreated: 0,
  recentEnded: 0,
  ownerGoneCount: 0,
  ownerKnownCount: 0,
  trend: [1],
};

function factor(evidence: Partial<SiteEvidence>, name: string) {
  const found = scoreSite({ ...quiet, ...evidence }).factors.find((candidate) => candidate.name === name);
  assert.ok(found, name);
  return found;
}

const fixed = (name: string, weight: number, value = 1): LeakFactor => ({ name, weight, assess: () => ({ value, explanation: `fixed ${value}` }) });

test('severity thresholds: 0–49 low, 50–79 medium, 80–100 high', () => {
  assert.deepEqual(
    [0, 49, 50, 79, 80, 100].map(severityOf),
    ['low', 'low', 'medium', 'medium', 'high', 'high'],
  );
});

test('scoreSite applies the thresholds to the summed points, and caps at 100', () => {
  const scored = (weights: number[]) => scoreSite(quiet, weights.map((weight, index) => fixed(`f${index}`, weight)));
  assert.deepEqual([scored([49]).score, scored([49]).severity], [49, 'low']);
  assert.deepEqual([scored([25, 25]).score, scored([25, 25]).severity], [50, 'medium']);
  assert.deepEqual([scored([79]).score, scored([79]).severity], [79, 'medium']);
  assert.deepEqual([scored([40, 40]).score, scored([40, 40]).severity], [80, 'high']);
  assert.equal(scored([60, 60]).score, 100);
});

test('points are round(weight × value), with values clamped to 0..1', () => {
  const { factors, score } = scoreSite(quiet, [fixed('half', 25, 0.5), fixed('over', 10, 3), fixed('broken', 10, Number.NaN), fixed('negative', 10, -1)]);
  assert.deepEqual(
    factors.map(({ name, value, points }) => [name, value, points]),
    [
      ['half', 0.5, 13],
      ['over', 1, 10],
      ['broken', 0, 0],
      ['negative', 0, 0],
    ],
  );
  assert.equal(score, 23);
  assert.equal(factors[0].explanation, 'fixed 0.5');
});

test('the default factors weigh 100 in all, and without growth or a gone owner a site stays low', () => {
  assert.equal(
    LEAK_FACTORS.reduce((sum, { weight }) => sum + weight, 0),
    100,
  );
  // Everything else at its worst: ancient, never ending, the riskiest type.
  const { score, severity } = scoreSite({ ...quiet, type: 'Interval', count: 500, medianAgeMs: 59 * MINUTE, oldestAgeMs: 59 * MINUTE, recentCreated: 500, trend: [500, 500, 500] });
  assert.equal(score, 35);
  assert.equal(severity, 'low');
});

test('growth: one snapshot, flat or shrinking counts give nothing; steady growth over the trend gives all', () => {
  assert.equal(factor({ trend: [7] }, 'growth').points, 0);
  assert.match(factor({ trend: [7] }, 'growth').explanation, /no growth evidence/);
  assert.equal(factor({ trend: [4, 4, 4, 4] }, 'growth').points, 0);
  assert.equal(factor({ trend: [9, 7, 5, 3] }, 'growth').points, 0);
  assert.equal(factor({ trend: [9, 12, 5, 3] }, 'growth').points, 0, 'the trend, not the last delta');
  assert.equal(factor({ trend: [3, 6, 9, 12] }, 'growth').value, 1);
  assert.equal(factor({ trend: [3, 6, 9, 12, 15, 18, 21, 24, 27, 30] }, 'growth').value, 1);
});

test('growth: noise and short histories are weak evidence', () => {
  const noisy = factor({ trend: [2, 4, 1, 3, 2, 5] }, 'growth');
  assert.ok(noisy.value <= 0.2, `noisy ${noisy.value}`);
  const twoSnapshots = factor({ trend: [3, 6] }, 'growth');
  assert.ok(twoSnapshots.value > 0 && twoSnapshots.value < 0.5, `two snapshots ${twoSnapshots.value}`);
  const withDip = factor({ trend: [3, 6, 5, 9, 12] }, 'growth');
  assert.ok(withDip.value >= 0.5 && withDip.value < 1, `dip ${withDip.value}`);
});

test('age: relative to the process uptime, or to the lifetime of ended ones when known; young resources score ~0', () => {
  assert.equal(factor({ medianAgeMs: 3 * SECOND, oldestAgeMs: 5 * SECOND }, 'age').points, 0);
  assert.equal(factor({ medianAgeMs: 30 * MINUTE }, 'age').value, 0.5);
  assert.match(factor({ medianAgeMs: 30 * MINUTE }, 'age').explanation, /50% of the process uptime/);
  // Ended ones lived 2 s: live ones 10 min old are 300× that.
  const outlived = factor({ medianAgeMs: 10 * MINUTE, meanEndedLifetimeMs: 2 * SECOND }, 'age');
  assert.equal(outlived.value, 1);
  assert.match(outlived.explanation, /300× the 2s mean lifetime of ended ones/);
  const normal = factor({ medianAgeMs: 10 * MINUTE, meanEndedLifetimeMs: 12 * MINUTE }, 'age');
  assert.equal(normal.points, 0, 'as old as the ones that ended normally');
});

test('never-ends: the share of recent creations still live', () => {
  assert.equal(factor({ recentCreated: 0 }, 'never-ends').points, 0);
  assert.equal(factor({ type: 'Interval', recentCreated: 8, recentEnded: 0 }, 'never-ends').value, 1);
  assert.match(factor({ type: 'Interval', recentCreated: 8, recentEnded: 0 }, 'never-ends').explanation, /8 of 8 created recently still repeating/);
  assert.equal(factor({ recentCreated: 200, recentEnded: 150 }, 'never-ends').value, 0.25);
  assert.equal(factor({ recentCreated: 5, recentEnded: 9 }, 'never-ends').value, 0, 'ended ones created before the window');
});

test('owner-gone: the share of known owners that are gone', () => {
  assert.equal(factor({ ownerKnownCount: 0, ownerGoneCount: 0 }, 'owner-gone').points, 0);
  assert.match(factor({}, 'owner-gone').explanation, /owner unknown/);
  assert.equal(factor({ count: 10, ownerKnownCount: 8, ownerGoneCount: 2 }, 'owner-gone').value, 0.25);
  assert.equal(factor({ count: 10, ownerKnownCount: 8, ownerGoneCount: 8 }, 'owner-gone').points, 30);
});

test('owner-gone: gone owners with a count flat over several snapshots read as a pool, at half; a first snapshot or a rising count gets no discount', () => {
  const pool = { type: 'TCPSocket' as const, count: 8, ownerKnownCount: 8, ownerGoneCount: 8, recentCreated: 2, recentEnded: 0 };
  const flat = factor({ ...pool, trend: [8, 8, 7, 8, 8] }, 'owner-gone');
  assert.equal(flat.points, 15);
  assert.match(flat.explanation, /about flat over 5 snapshots .*pool or cache/);
  assert.equal(factor({ ...pool, trend: [8] }, 'owner-gone').points, 30, 'first snapshot: nothing known about the trend yet');
  assert.equal(factor({ ...pool, trend: [8, 9, 11, 14] }, 'owner-gone').points, 30, 'rising: a pile-up');
  // A clean server's store pool (8 sockets, every creating player gone, a stray rise) stays low.
  assert.equal(scoreSite({ ...quiet, ...pool, trend: [7, 8, 8, 8, 8, 8] }).severity, 'low');
});

test('type: intervals and pending promises are the classic leaks, a listening server is not', () => {
  const prior = (type: SiteEvidence['type']) => factor({ type }, 'type').value;
  assert.equal(prior('Interval'), 1);
  assert.equal(prior('Promise'), 1);
  assert.equal(prior('TCPServer'), 0);
  assert.ok(prior('Timeout') < prior('Interval') && prior('TCPSocket') < prior('Timeout'));
  assert.match(factor({ type: 'TCPServer' }, 'type').explanation, /listening server/);
});

/** The demo's heartbeat leak: 202 intervals, every owner gone, rising in every round, a minute old at most. */
const demoHeartbeat: SiteEvidence = {
  ...quiet,
  type: 'Interval',
  count: 202,
  medianAgeMs: 20 * SECOND,
  oldestAgeMs: 40 * SECOND,
  processUptimeMs: 50 * SECOND,
  recentCreated: 202,
  ownerGoneCount: 202,
  ownerKnownCount: 202,
  trend: [64, 131, 202],
};

test('calibration: every owner gone, growing and never ending reads high; the corroboration factor says why', () => {
  const { score, severity, factors } = scoreSite(demoHeartbeat);
  assert.ok(score >= 80, `score ${score}: ${JSON.stringify(factors)}`);
  assert.equal(severity, 'high');
  const corroboration = factors.find((candidate) => candidate.name === 'corroboration');
  assert.equal(corroboration?.points, 10);
  assert.match(corroboration?.explanation ?? '', /signs agree: owner gone 100%, accumulating, never ending 100%/);
  // Take away any one sign and the agreement is gone.
  assert.equal(factor({ ...demoHeartbeat, trend: [202] }, 'corroboration').points, 0, 'not accumulating');
  assert.equal(factor({ ...demoHeartbeat, ownerGoneCount: 0 }, 'corroboration').points, 0, 'owners alive');
  assert.equal(factor({ ...demoHeartbeat, recentEnded: 202 }, 'corroboration').points, 0, 'they end');
  assert.ok(scoreSite({ ...demoHeartbeat, trend: [202] }).score < 80, 'one snapshot without other evidence stays below high');
});

/** Attached after the players dropped: nothing recorded, only what the first snapshot can see. */
const lateAttach: SiteEvidence = {
  ...quiet,
  type: 'Interval',
  count: 15,
  medianAgeMs: 100,
  oldestAgeMs: 100,
  processUptimeMs: 2 * 60 * MINUTE,
  preexisting: true,
  openConnections: 0,
  trend: [15],
};

test('late attach: closures holding closed connections, a pile-up over the open connections and a never-ending kind make the first snapshot high', () => {
  const closures = { sampled: 5, closed: 5, open: 0, kind: 'WebSocket', path: 'session.ws' };
  const { score, severity, factors } = scoreSite({ ...lateAttach, closures });
  assert.ok(score >= 80, `score ${score}: ${JSON.stringify(factors)}`);
  assert.equal(severity, 'high');
  const explained = Object.fromEntries(factors.map(({ name, explanation }) => [name, explanation]));
  assert.equal(explained['owner-gone'], 'closure holds a closed WebSocket (`session.ws`) in 5 of 5 sampled intervals');
  assert.match(explained.growth, /^15 intervals for 0 open connections: they piled up/);
  assert.match(explained['never-ends'], /repeat until cleared: they never end on their own/);
  assert.match(explained.age, /at least .*created before the attach in a process up 2h/);
});

test('late attach without closure evidence, or with open connections in the closures, stays low', () => {
  // Boot-time jobs sharing one callback look the same by count: the pile-up alone is not enough.
  const bare = scoreSite(lateAttach);
  assert.equal(bare.severity, 'low', `score ${bare.score}`);
  assert.match(bare.factors.find((candidate) => candidate.name === 'owner-gone')!.explanation, /owner unknown/);
  const openOnes = scoreSite({ ...lateAttach, openConnections: 15, closures: { sampled: 5, closed: 0, open: 5, kind: 'net.Socket', path: 'socket' } });
  assert.equal(openOnes.severity, 'low', `score ${openOnes.score}`);
  assert.equal(factor({ ...lateAttach, closures: { sampled: 5, closed: 0, open: 0 } }, 'owner-gone').points, 0);
  assert.match(factor({ ...lateAttach, closures: { sampled: 5, closed: 0, open: 0 } }, 'owner-gone').explanation, /no connection in the closures of 5 sampled intervals/);
  // Part of a sample holding closed connections counts in proportion.
  assert.equal(factor({ ...lateAttach, closures: { sampled: 5, closed: 2, open: 3, kind: 'net.Socket', path: 'socket' } }, 'owner-gone').value, 0.4);
});

test('pile-up: only kinds that never end, only above the open connections, and at most 60% of the growth points', () => {
  assert.equal(factor({ ...lateAttach, openConnections: 15 }, 'growth').points, 0, 'one per connection');
  assert.equal(factor({ ...lateAttach, openConnections: undefined }, 'growth').points, 0, 'connections unknown');
  assert.equal(factor({ ...lateAttach, type: 'Timeout' }, 'growth').points, 0, 'timeouts fire on their own');
  assert.equal(factor({ ...lateAttach, count: 4 }, 'growth').points, 0, 'too few to say');
  assert.equal(factor({ ...lateAttach, count: 1000 }, 'growth').value, 0.6);
  assert.equal(factor({ ...lateAttach, trend: [5, 10, 15, 20] }, 'growth').value, 1, 'a steady trend says more');
  assert.equal(factor({ ...lateAttach, type: 'Timeout' }, 'never-ends').points, 0, 'a timeout without recent creations: unknown');
});
