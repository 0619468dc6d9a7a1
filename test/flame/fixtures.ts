/** Small async snapshot reports for the flame graph tests: a leaking heartbeat path and a healthy one. */
import type { AsyncSnapshotReport, SiteReport, StackFrame } from '../../src/protocol/asyncSnapshot';
import type { ResourceType } from '../../src/protocol/agentSnapshot';

export const SRC = '/srv/game/src';

export function frame(file: string, line: number, functionName: string): StackFrame {
  return { path: `${SRC}/${file}`, line, column: 5, functionName, mapped: true };
}

export const SET_INTERVAL: StackFrame = { path: 'node:internal/timers', line: 581, column: 17, functionName: 'setInterval', mapped: false };

/** Stack innermost first, as reports carry it. */
export function site(id: string, type: ResourceType, count: number, score: number, stack: StackFrame[]): SiteReport {
  return {
    id,
    key: `${type}:${id}`,
    type,
    count,
    sampledCount: count,
    score,
    severity: score >= 80 ? 'high' : score >= 50 ? 'medium' : 'low',
    factors: [],
    oldestAgeMs: 1000,
    medianAgeMs: 500,
    newestAgeMs: 10,
    location: stack[0] ?? null,
    locationKind: stack.length > 0 ? 'user-frame' : null,
    stack,
    context: { keys: {}, goneShare: null },
    ownerGoneCount: 0,
    ownerKnownCount: 0,
    growth: { previous: null, delta: null, trend: [count] },
    preexisting: false,
    recentCreated: 0,
    recentEnded: 0,
  };
}

export function report(sites: SiteReport[], label = 'main', takenAt = Date.parse('2026-01-01T00:00:00Z')): AsyncSnapshotReport {
  return {
    target: { pid: 4242, threadId: 0, label },
    agentVersion: '0.1.0',
    takenAt,
    processUptimeMs: 60_000,
    pauseMs: 1,
    liveResources: sites.reduce((sum, { count }) => sum + count, 0),
    totalsByType: {},
    stackSampling: { budgetPerSecond: 200, currentInterval: 1, dropped: 0 },
    sites,
    summary: { low: 0, medium: 0, high: 0 },
  };
}

const main = frame('server.ts', 10, 'main');
const onLogin = frame('game-server.ts', 40, 'onLogin');

/** `n` leaked heartbeats (main → onLogin → startHeartbeat → setInterval) and 3 tick timers (main → startLoop). */
export function gameReport(heartbeats: number, ticks = 3): AsyncSnapshotReport {
  return report([
    site('heartbeat', 'Interval', heartbeats, 85, [SET_INTERVAL, frame('player-session.ts', 77, 'startHeartbeat'), onLogin, main]),
    site('tick', 'Timeout', ticks, 20, [frame('battle.ts', 12, 'startLoop'), main]),
  ]);
}
