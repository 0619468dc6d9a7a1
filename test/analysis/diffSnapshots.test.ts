import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSnapshot, diffSnapshots } from '../../src/analysis';
import { gameLoop, leakingHeartbeat, MINUTE, requestTimeouts, serverSocket, snapshot, takenAtStep } from './fixtures';

test('diff: counts before and after per site, new and gone sites, largest growth first', () => {
  const previous = analyzeSnapshot(snapshot(takenAtStep(0), [leakingHeartbeat(0), serverSocket(), requestTimeouts(1)]));
  // Re-attached in between: the heartbeat site has a new id, matched by its stable key.
  const current = analyzeSnapshot(snapshot(takenAtStep(2), [leakingHeartbeat(2, 'h2'), serverSocket(), gameLoop()]));
  const diff = diffSnapshots(previous, current);

  assert.equal(diff.elapsedMs, 2 * MINUTE);
  assert.equal(diff.liveResourcesDelta, 9 + 1 + 1 - (3 + 1 + 4));
  assert.deepEqual(
    diff.sites.map(({ id, type, before, after, delta, status }) => ({ id, type, before, after, delta, status })),
    [
      { id: 'h2', type: 'Interval', before: 3, after: 9, delta: 6, status: 'kept' },
      { id: 'loop', type: 'Interval', before: 0, after: 1, delta: 1, status: 'new' },
      { id: 'server', type: 'TCPServer', before: 1, after: 1, delta: 0, status: 'kept' },
      { id: 'rpc-timeout', type: 'Timeout', before: 4, after: 0, delta: -4, status: 'gone' },
    ],
  );
  assert.equal(diff.newSites, 1);
  assert.equal(diff.goneSites, 1);
  assert.match(diff.sites[0].location?.path ?? '', /src\/game\/session\.ts$/);
  assert.match(diff.sites[3].location?.path ?? '', /src\/ranking-client\.ts$/, 'gone sites keep their location');
});

test('diff of a snapshot with itself: every site kept, nothing changed', () => {
  const report = analyzeSnapshot(snapshot(takenAtStep(0), [leakingHeartbeat(0), serverSocket()]));
  const diff = diffSnapshots(report, report);
  assert.deepEqual(
    diff.sites.map(({ delta, status }) => [delta, status]),
    [
      [0, 'kept'],
      [0, 'kept'],
    ],
  );
  assert.deepEqual([diff.newSites, diff.goneSites, diff.liveResourcesDelta, diff.elapsedMs], [0, 0, 0, 0]);
});
