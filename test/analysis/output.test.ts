import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSnapshot, SiteHistory } from '../../src/analysis';
import { formatDuration, formatSnapshotText } from '../../src/presentation';
import { buildReport } from '../../src/report';
import type { AsyncSnapshotReport } from '../../src/protocol/asyncSnapshot';
import { HEARTBEAT_LINE, ROOT, scenarioSnapshot, site, snapshot, takenAtStep, userFrame } from './fixtures';

function lastScenarioReport(): AsyncSnapshotReport {
  const history = new SiteHistory();
  let report = analyzeSnapshot(scenarioSnapshot(0), { history });
  for (const step of [1, 2, 3, 4]) report = analyzeSnapshot(scenarioSnapshot(step), { history });
  return report;
}

const HEADER = /^score (\d+) (LOW|MEDIUM|HIGH) {2}(\d+) × (\w+) {2}oldest (\d+(?:ms|s|m\d+s|h\d+m|d\d+h)|\d\.\ds) {2}(\S+):(\d+):(\d+)$/;
const FRAME = /^ {4}at (.+) \((\S+):(\d+):(\d+)\)( \[.+\])?$/;

test('text: a header line per site, in score order, like a goroutine dump grouped by creation site', () => {
  const report = lastScenarioReport();
  const text = formatSnapshotText(report, { root: ROOT });
  const lines = text.split('\n');
  assert.match(lines[0], /^pid 4242 · 19 live resources in 4 sites · 1 high, 0 medium, 3 low$/);
  assert.match(lines[1], /^taken 2025-03-01T12:14:00\.000Z · uptime 14m0s · pause 2ms · .*Interval 16/);

  const headers = lines.filter((line) => line.startsWith('score '));
  assert.equal(headers.length, report.sites.length);
  headers.forEach((header, index) => {
    const match = HEADER.exec(header);
    assert.ok(match, `header shape: ${header}`);
    assert.equal(Number(match[1]), report.sites[index].score);
    assert.equal(Number(match[3]), report.sites[index].count);
  });
  assert.equal(headers[0], `score ${report.sites[0].score} HIGH  15 × Interval  oldest 13m0s  src/game/session.ts:${HEARTBEAT_LINE}:5`);
});

test('text: evidence, context and the indented creation stack follow each header', () => {
  const text = formatSnapshotText(lastScenarioReport(), { root: ROOT });
  const block = text.split('\n\n')[1].split('\n');
  assert.match(block[0], /^score \d+ HIGH/);
  assert.match(block[1], /^ {4}trend 3 → 6 → 9 → 12 → 15 · created 15 recently, 0 ended · every 1s · owner gone 15 of 15$/);
  assert.match(block[2], /^ {4}playerId: 15 distinct \(p1 ×1, p2 ×1, p3 ×1 …\)$/);
  // All three signs agree (owners gone, accumulating, never ending): corroboration adds its full 10.
  assert.match(block[3], /^ {4}why: owner-gone 30\/30, growth 25\/25, never-ends 15\/15, type 10\/10, corroboration 10\/10, age \d+\/10$/);
  const frames = block.slice(4);
  assert.equal(frames.length, 4);
  for (const line of frames) assert.match(line, FRAME);
  assert.equal(frames[1], `    at startHeartbeat (src/game/session.ts:${HEARTBEAT_LINE}:5)`);
  assert.equal(frames[0], '    at setInterval (node:internal/timers:581:17) [unmapped: Node.js internal]');
  assert.equal(frames[3], '    at WebSocket.emit (node_modules/ws/lib/websocket.js:1210:7) [unmapped: no source map]');
});

test('text: without a root, paths stay absolute; pre-existing resources show their callback', () => {
  const callback = userFrame('src/store-pool.ts', 15, 30, '');
  const preexisting = site({ id: 'old', type: 'Interval', count: 1, preexisting: true, callbackHint: 'keepAlive', callbackLocation: callback });
  const text = formatSnapshotText(analyzeSnapshot(snapshot(takenAtStep(0), [preexisting])));
  assert.match(text, /^score \d+ LOW {2}1 × Interval {2}oldest 10m0s {2}\/srv\/game\/src\/store-pool\.ts:15:30$/m);
  assert.match(text, /^ {4}at keepAlive \(\/srv\/game\/src\/store-pool\.ts:15:30\) \[callback: created before attach\]$/m);
  assert.match(text, /created before attach$/m);
  assert.match(text, /^pid 4242 · 1 live resource in 1 site ·/);
});

test('text: sampled stacks are flagged, since counts are then estimates', () => {
  const sampled = { ...scenarioSnapshot(0), stackSampling: { budgetPerSecond: 100, currentInterval: 4, dropped: 12 } };
  assert.match(formatSnapshotText(analyzeSnapshot(sampled)), /^stacks sampled 1 in 4 \(12 dropped\)/m);
  assert.doesNotMatch(formatSnapshotText(analyzeSnapshot(scenarioSnapshot(0))), /stacks sampled/);
});

test('JSON: the report document, whose thread sites carry type, count, score, factors, ages, location and stack', () => {
  const report = lastScenarioReport();
  const document = JSON.parse(JSON.stringify(buildReport({ threads: [report], target: { address: '127.0.0.1:9229' }, producer: 'cli' })));
  assert.deepEqual(Object.keys(document).slice(0, 2), ['format', 'schemaVersion'], 'a reader can check what it is before reading on');
  assert.equal(document.format, 'leak-inspector-report');
  assert.equal(document.schemaVersion, 2);
  const json = document.threads[0];
  assert.equal(json.sites.length, 4);
  const [heartbeat] = json.sites;
  assert.equal(heartbeat.type, 'Interval');
  assert.equal(heartbeat.count, 15);
  assert.equal(heartbeat.score, report.sites[0].score);
  assert.equal(heartbeat.severity, 'high');
  assert.equal(heartbeat.oldestAgeMs, 13 * 60_000);
  assert.deepEqual(heartbeat.location, { path: `${ROOT}/src/game/session.ts`, line: HEARTBEAT_LINE, column: 5 });
  assert.deepEqual(Object.keys(heartbeat.factors[0]).sort(), ['explanation', 'name', 'points', 'value', 'weight']);
  assert.deepEqual(Object.keys(heartbeat.stack[1]).sort(), ['column', 'functionName', 'line', 'mapped', 'path']);
  assert.deepEqual(heartbeat.growth.trend, [3, 6, 9, 12, 15]);
  assert.deepEqual(json.summary, { high: 1, medium: 0, low: 3 });
  assert.deepEqual(json.target, { pid: 4242, threadId: 0, label: 'pid 4242' });
  assert.deepEqual(json.sites, report.sites, 'nothing lost in serialization');
});

test('durations read like Go: ms, s, m+s, h+m, d+h', () => {
  assert.deepEqual(
    [0, 850, 2500, 42_000, 252_000, 3 * 3_600_000 + 5 * 60_000, 2 * 86_400_000 + 4 * 3_600_000].map(formatDuration),
    ['0ms', '850ms', '2.5s', '42s', '4m12s', '3h5m', '2d4h'],
  );
});
