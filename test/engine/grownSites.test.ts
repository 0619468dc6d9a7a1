/**
 * `check`'s "a site grew" rule. Promises whose whole creation stack is Node's own code are not
 * the program's growth (the score says so too: "no frame of the program"); a sampled one stands
 * for dozens, so one left pending at the "after" snapshot used to fail a clean server's check.
 * Promises with a frame of the program, and other kinds with internal-only stacks, still count.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSnapshot } from '../../src/analysis';
import { grownSites } from '../../src/engine/inspection';
import { site, snapshot, takenAtStep, unmappedFrame, userFrame } from '../analysis/fixtures';

const INTERNAL_QUEUE = unmappedFrame('node:internal/priority_queue', 37, 5, 'insert', 'Node.js internal');
const INTERNAL_TIMERS = unmappedFrame('node:internal/timers', 581, 17, 'setTimeout', 'Node.js internal');

function report(step: number, count: number) {
  return analyzeSnapshot(
    snapshot(takenAtStep(step), [
      site({ id: 'machinery', type: 'Promise', count, resolvedStack: [INTERNAL_QUEUE, INTERNAL_TIMERS] }),
      site({ id: 'program', type: 'Promise', count, resolvedStack: [INTERNAL_TIMERS, userFrame('src/lobby.ts', 12, 7, 'waitForSeat')] }),
      site({ id: 'internal-timeouts', type: 'Timeout', count, resolvedStack: [INTERNAL_TIMERS] }),
    ]),
    { label: 'pid 4242' },
  );
}

test("check's grown sites leave out promises made wholly by Node's machinery, and keep the rest", () => {
  const grown = grownSites([report(0, 1)], [report(1, 51)], 20);
  const described = grown.map((delta) => `${delta.type} ${delta.location?.path}:${delta.location?.line} +${delta.delta}`);
  assert.deepEqual(described.sort(), ['Promise /srv/game/src/lobby.ts:12 +50', 'Timeout node:internal/timers:581 +50']);
});
