/**
 * Constructed agent snapshots for the analysis tests, with realistic game-server sites: a
 * listening server and a game loop started at boot, a leaking heartbeat interval owned by
 * players who left, and short-lived request timeouts.
 */
import type { ResolvedAgentSnapshot, ResolvedSite } from '../../src/analysis';
import type { ResolvedLocation } from '../../src/sourcemap';

export const ROOT = '/srv/game';
/** Process start. */
export const T0 = Date.parse('2025-03-01T12:00:00.000Z');
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export function userFrame(file: string, line: number, column: number, functionName: string): ResolvedLocation {
  const generated = { url: `${ROOT}/dist/server.js`, lineNumber: line * 10, columnNumber: column, functionName };
  return { path: `${ROOT}/${file}`, line, column, mapped: true, generated };
}

export function unmappedFrame(url: string, line: number, column: number, functionName: string, reason: string): ResolvedLocation {
  return { path: url, line, column, mapped: false, reason, generated: { url, lineNumber: line - 1, columnNumber: column - 1, functionName } };
}

export const TIMERS_INTERNAL = unmappedFrame('node:internal/timers', 581, 17, 'setInterval', 'Node.js internal');

type SiteSpec = Pick<ResolvedSite, 'id' | 'type' | 'count'> & Partial<ResolvedSite>;

/** A site with quiet defaults: everything created at process start, nothing ended, no owner. */
export function site(spec: SiteSpec): ResolvedSite {
  const resolvedStack = spec.resolvedStack ?? [];
  return {
    frames: resolvedStack.map(({ generated }) => ({
      functionName: generated.functionName ?? '',
      url: generated.url,
      line: generated.lineNumber + 1,
      column: generated.columnNumber + 1,
    })),
    sampledCount: spec.count,
    oldestCreatedAt: T0,
    medianCreatedAt: T0,
    newestCreatedAt: T0,
    recentCreated: 0,
    recentEnded: 0,
    preexisting: false,
    context: {},
    ownerGoneCount: 0,
    ownerKnownCount: 0,
    ...spec,
    resolvedStack,
  };
}

export function snapshot(takenAt: number, sites: ResolvedSite[], pid = 4242): ResolvedAgentSnapshot {
  const totalsByType: ResolvedAgentSnapshot['totalsByType'] = {};
  for (const { type, count } of sites) totalsByType[type] = (totalsByType[type] ?? 0) + count;
  return {
    agentVersion: '0.1.0',
    pid,
    threadId: 0,
    takenAt,
    processUptimeMs: takenAt - T0,
    pauseMs: 2,
    liveResources: sites.reduce((sum, { count }) => sum + count, 0),
    totalsByType,
    sites,
    stackSampling: { budgetPerSecond: 1000, currentInterval: 1, dropped: 0 },
  };
}

/** When snapshot `step` (0-based) of the scenario is taken: from minute 10 of uptime, one a minute. */
export function takenAtStep(step: number): number {
  return T0 + 10 * MINUTE + step * MINUTE;
}

export const serverSocket = (): ResolvedSite =>
  site({
    id: 'server',
    type: 'TCPServer',
    count: 1,
    oldestCreatedAt: T0 + 120,
    medianCreatedAt: T0 + 120,
    newestCreatedAt: T0 + 120,
    resolvedStack: [userFrame('src/server.ts', 31, 10, 'startServer'), userFrame('src/main.ts', 8, 3, 'main')],
  });

/** One 20 Hz game-loop interval started at boot; the agent's window still holds its creation. */
export const gameLoop = (): ResolvedSite =>
  site({
    id: 'loop',
    type: 'Interval',
    count: 1,
    delayMs: 50,
    oldestCreatedAt: T0 + 150,
    medianCreatedAt: T0 + 150,
    newestCreatedAt: T0 + 150,
    recentCreated: 1,
    recentEnded: 0,
    resolvedStack: [TIMERS_INTERNAL, userFrame('src/game/loop.ts', 12, 20, 'startGameLoop'), userFrame('src/main.ts', 9, 3, 'main')],
  });

export const HEARTBEAT_LINE = 42;

/** The heartbeat leak: 3 more players leave every minute and their intervals keep running. */
export function leakingHeartbeat(step: number, id = 'heartbeat'): ResolvedSite {
  const count = 3 * (step + 1);
  const players = Array.from({ length: count }, (_, index) => `p${index + 1}`);
  return site({
    id,
    type: 'Interval',
    count,
    delayMs: 1000,
    // Leaking since minute 1; the median drifts as newer ones join.
    oldestCreatedAt: T0 + MINUTE,
    medianCreatedAt: T0 + MINUTE + ((10 + step) * MINUTE) / 2,
    newestCreatedAt: takenAtStep(step) - 5 * SECOND,
    recentCreated: count,
    recentEnded: 0,
    ownerGoneCount: count,
    ownerKnownCount: count,
    context: { playerId: { distinct: count, top: players.slice(0, 3).map((player) => [player, 1]) } },
    resolvedStack: [
      TIMERS_INTERNAL,
      userFrame('src/game/session.ts', HEARTBEAT_LINE, 5, 'startHeartbeat'),
      userFrame('src/game/session.ts', 20, 3, 'PlayerSession.login'),
      unmappedFrame(`${ROOT}/node_modules/ws/lib/websocket.js`, 1210, 7, 'WebSocket.emit', 'no source map'),
    ],
  });
}

const TIMEOUT_COUNTS = [2, 4, 1, 3, 2];

/** Request timeouts: hundreds created, nearly all cleared within 150 ms, a few live at any time. */
export function requestTimeouts(step: number): ResolvedSite {
  const takenAt = takenAtStep(step);
  return site({
    id: 'rpc-timeout',
    type: 'Timeout',
    count: TIMEOUT_COUNTS[step % TIMEOUT_COUNTS.length],
    delayMs: 5000,
    oldestCreatedAt: takenAt - 2 * SECOND,
    medianCreatedAt: takenAt - 900,
    newestCreatedAt: takenAt - 50,
    recentCreated: 200,
    recentEnded: 198,
    meanEndedLifetimeMs: 150,
    ownerGoneCount: 0,
    ownerKnownCount: TIMEOUT_COUNTS[step % TIMEOUT_COUNTS.length],
    resolvedStack: [userFrame('src/ranking-client.ts', 77, 21, 'RankingClient.call'), userFrame('src/game/session.ts', 90, 9, 'PlayerSession.onMessage')],
  });
}

export function scenarioSnapshot(step: number): ResolvedAgentSnapshot {
  return snapshot(takenAtStep(step), [requestTimeouts(step), serverSocket(), leakingHeartbeat(step), gameLoop()]);
}
