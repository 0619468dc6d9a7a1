/**
 * `leak-inspector demo` (`npm run demo`): the sample game server with all nine leaks, load bots
 * against it, the inspector attached over CDP, and the top leak suspects of every kind (async
 * sites, listeners, holders, promise reactions, classes) with the TypeScript lines to fix — then
 * what the server itself says it still holds.
 */
import { formatPause, formatSnapshotText, formatSuspectsText } from '../presentation';
import { TRACK_ALL_PROMISES } from '../engine/agentInjector';
import { inspectScenario, listenerScanOptions } from '../engine/inspection';
import { InspectorSession } from '../engine/inspectorSession';
import { runBots, startSampleServer, type SampleServerStats } from '../sample/sampleServer';

export interface DemoOptions {
  players: number;
  durationS: number;
}

const ROUNDS = 3;
/** Enough for each of the nine leaks to show as its own entry. */
const SUSPECTS_SHOWN = 14;
const SITES_SHOWN = 6;

export async function runDemo(options: DemoOptions, log: (line: string) => void = console.log): Promise<void> {
  log('Starting the sample game server with all nine leaks (inspector on a random loopback port)…');
  const server = await startSampleServer({ leaks: 'all', nodeArgs: ['--inspect=127.0.0.1:0'] });
  let session: InspectorSession | undefined;
  try {
    log(`server: ${server.wsUrl} (pid ${server.pid}), inspector ${server.inspectorUrl}`);
    // The demo tracks promises all the time (like --promises) to show the never-settling ones at once.
    session = await InspectorSession.attach(server.inspectorUrl!, { agent: TRACK_ALL_PROMISES, listeners: listenerScanOptions('demo', { onNotice: log }) });
    log('Inspector attached: agent injected, the server code is unchanged.');
    const before = await server.stats();
    const attached = session;
    let figures = '';
    // Two heap snapshots around the rounds (a short pause each on this small heap) show what
    // holds no async resource: battles kept in a Map, tokens in a Map, reactions on a promise.
    const { report } = await inspectScenario(
      attached,
      async () => {
        for (let round = 1; round <= ROUNDS; round++) {
          const { output } = await runBots({ url: server.wsUrl, players: options.players, durationS: options.durationS / ROUNDS, seed: round });
          figures = output.trim().split('\n').slice(0, -1).join('\n');
          await settle();
          if (round === ROUNDS) break;
          const [latest] = await attached.snapshot();
          log(`round ${round}/${ROUNDS}: bots done, snapshot: ${latest.liveResources} live resources, ${latest.summary.high} high / ${latest.summary.medium} medium sites, the server's ${formatPause(latest)}`);
        }
      },
      { producer: 'cli demo', target: { address: server.inspectorUrl! }, promiseTracking: 'always', heap: true, promises: true, onNotice: log },
    );
    const [main] = report.threads;
    log(`round ${ROUNDS}/${ROUNDS}: bots done, snapshot: ${main.liveResources} live resources, the server's ${formatPause(main)}`);
    log(`\nLast round of bots:\n${figures}`);
    log(`\nTop leak suspects of every kind (one per source line, after every player left):\n`);
    log(formatSuspectsText(report, { root: process.cwd(), maxSuspects: SUSPECTS_SHOWN }));
    log(`The async creation sites, each with its stack (live async resources grouped like goroutines in a dump):\n`);
    log(formatSnapshotText(main, { root: process.cwd(), maxSites: SITES_SHOWN, maxFrames: 4 }));
    log(`Heap snapshots (each paused the server): ${report.sampling.heapSnapshots.map(({ phase, pauseMs }) => `${phase} ${pauseMs} ms`).join(', ')}\n`);
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
