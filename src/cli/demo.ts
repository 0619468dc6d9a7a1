/**
 * `leak-inspector demo` (`npm run demo`): the sample game server with all six leaks, load bots
 * against it, the inspector attached over CDP, and the top leak suspects with the TypeScript
 * lines that created them — then what the server itself says it still holds.
 */
import { formatHeapGrowthText, formatSnapshotText, formatSuspectsText } from '../presentation';
import { buildReport } from '../report';
import { HeapGrowthProbe } from '../engine/heapGrowth';
import { TRACK_ALL_PROMISES } from '../engine/agentInjector';
import { InspectorSession } from '../engine/inspectorSession';
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import { runBots, startSampleServer, type SampleServerStats } from '../sample/sampleServer';

export interface DemoOptions {
  players: number;
  durationS: number;
}

const ROUNDS = 3;
const SUSPECTS_SHOWN = 6;
const HEAP_SITES_SHOWN = 3;

export async function runDemo(options: DemoOptions, log: (line: string) => void = console.log): Promise<void> {
  log('Starting the sample game server with all six leaks (inspector on a random loopback port)…');
  const server = await startSampleServer({ leaks: 'all', nodeArgs: ['--inspect=127.0.0.1:0'] });
  let session: InspectorSession | undefined;
  try {
    log(`server: ${server.wsUrl} (pid ${server.pid}), inspector ${server.inspectorUrl}`);
    // The demo tracks promises all the time (like --promises) to show the never-settling ones at once.
    session = await InspectorSession.attach(server.inspectorUrl!, { agent: TRACK_ALL_PROMISES });
    log('Inspector attached: agent injected, the server code is unchanged.');
    const before = await server.stats();
    // Two heap snapshots around the rounds (a short pause each on this small heap) show the
    // leak that holds no async resource: battles kept in a Map.
    const heap = await HeapGrowthProbe.start(session);
    let report: AsyncSnapshotReport | undefined;
    let figures = '';
    for (let round = 1; round <= ROUNDS; round++) {
      const { output } = await runBots({ url: server.wsUrl, players: options.players, durationS: options.durationS / ROUNDS, seed: round });
      figures = output.trim().split('\n').slice(0, -1).join('\n');
      await settle();
      [report] = await session.snapshot();
      log(`round ${round}/${ROUNDS}: bots done, snapshot: ${report.liveResources} live resources, ${report.summary.high} high / ${report.summary.medium} medium suspects, the server paused ${report.pauseMs} ms`);
    }
    log(`\nLast round of bots:\n${figures}`);
    log(`\nTop leak suspects (one per source line, after every player left):\n`);
    log(formatSuspectsText(buildReport({ threads: [report!], target: { address: server.inspectorUrl! }, producer: 'cli demo', sampling: { promiseTracking: 'always' } }), { root: process.cwd(), maxSuspects: SUSPECTS_SHOWN }));
    log(`Their creation sites, each with its stack (live async resources grouped like goroutines in a dump):\n`);
    log(formatSnapshotText(report!, { root: process.cwd(), maxSites: SUSPECTS_SHOWN, maxFrames: 4 }));
    log(`Objects that piled up on the heap (two heap snapshots around the rounds, compared by class):\n`);
    try {
      log(formatHeapGrowthText(await heap.finish(), { root: process.cwd(), maxSites: HEAP_SITES_SHOWN }));
    } finally {
      await heap.dispose();
    }
    log(`What the server's own counters say it still holds:\n`);
    log(formatGrowth(before, await server.stats()));
  } finally {
    await session?.detach();
    if (session) log('\nDetached: the agent is removed and the server runs as before.');
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
    ['heap used (MB)', mb(before.heapUsedBytes), mb(after.heapUsedBytes), 'the battle leak is a heap leak: see heap summaries'],
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
