/**
 * `leak-inspector demo`: the sample game server with all six leaks, load bots against it,
 * and what they left behind on the server once every player has gone.
 */
import { runBots, startSampleServer, type SampleServerStats } from '../sample/sampleServer';

export interface DemoOptions {
  players: number;
  durationS: number;
}

export async function runDemo(options: DemoOptions, log: (line: string) => void = console.log): Promise<void> {
  log(`Starting the sample game server with all six leaks…`);
  const server = await startSampleServer({ leaks: 'all' });
  try {
    log(`server: ${server.wsUrl} (pid ${server.pid})`);
    const before = await server.stats();
    log(`Running ${options.players} bots for ${options.durationS} s (they log in, queue, battle, leave or drop)…\n`);
    const { output } = await runBots({ url: server.wsUrl, players: options.players, durationS: options.durationS });
    log(output.trim().split('\n').slice(0, -1).join('\n'));
    await settle();
    const after = await server.stats();
    log(`\nAll players have left. What the server still holds:\n`);
    log(formatGrowth(before, after));
  } finally {
    await server.stop();
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1500));
}

export function formatGrowth(before: SampleServerStats, after: SampleServerStats): string {
  const rows: Array<[string, number, number, string]> = [
    ['connections', before.connections, after.connections, 'should be 0: every player left'],
  ];
  const types = new Set([...Object.keys(before.activeResources), ...Object.keys(after.activeResources)]);
  for (const type of [...types].sort()) {
    rows.push([`live ${type}`, before.activeResources[type] ?? 0, after.activeResources[type] ?? 0, RESOURCE_HINTS[type] ?? '']);
  }
  rows.push(
    ['rooms in the battles Map', before.battles, after.battles, `battle leak (ACTIVE: ${after.battlesByState.ACTIVE ?? 0}), pending leak (WAITING: ${after.battlesByState.WAITING ?? 0})`],
    ['ready checks never settled', before.pendingReadyChecks, after.pendingReadyChecks, 'pending leak'],
    ['rank watches still polling', before.rankWatches, after.rankWatches, 'abort leak'],
    ['store connections leased', before.pool.leased, after.pool.leased, 'pool leak'],
    ['store pool waiters', before.pool.waiters, after.pool.waiters, 'pool leak: every later acquire() waits'],
    ['heap used (MB)', mb(before.heapUsedBytes), mb(after.heapUsedBytes), ''],
  );
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows
    .map(([name, from, to, hint]) => `  ${name.padEnd(width)}  ${String(from).padStart(6)} → ${String(to).padEnd(6)}  ${to > from ? hint : ''}`.trimEnd())
    .join('\n');
}

const RESOURCE_HINTS: Record<string, string> = {
  Timeout: 'heartbeat, timer and abort leaks',
  TCPSocketWrap: 'abort leak (ranking polls) and pool leak (leased store connections)',
};

function mb(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}
