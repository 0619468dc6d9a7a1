/**
 * `node --import tsx test/bench/allocationTracking.bench.ts` (after `npm run build`): what
 * `check --heap --alloc-stacks` costs the target while its scenario runs. The sample server
 * (no leaks, no rate limit), attached as `check` attaches (agent installed), runs the same bot
 * scenario inside a `HeapGrowthProbe` without and with `allocationStacks` (V8's allocation
 * tracking between the snapshots); the arms alternate on each fresh server after a warm-up.
 * Two loads: closed-loop bots (throughput is the server's capacity) and paced bots (latency of
 * an ordinary scenario). Also the "after" snapshot's pause, which with tracking is the one V8
 * takes as it stops. BENCH_RUNS servers (default 3); BENCH_LEAKS the server's leaks (default
 * `none`; `all` lets the heap grow, and tracking costs more on a bigger heap). Ends with one JSON line.
 */
import { HeapGrowthProbe } from '../../src/engine/heapGrowth';
import { heapUsage } from '../../src/heap';
import { InspectorSession } from '../../src/engine/inspectorSession';
import { startSampleServer, type BotFigures } from '../../src/sample/sampleServer';
import { describeRuns, LOAD, loadOnce, median, round } from './serverLoad';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LEAKS = process.env.BENCH_LEAKS ?? 'none';
const LOADS = {
  'closed-loop': LOAD,
  paced: { players: 20, durationS: 4, paceMs: 50, dropRate: 0.3 },
};

interface Arm {
  figures: BotFigures;
  afterPauseMs: number;
  /** JS heap in use at the end of the scenario, MB. */
  heapMB: number;
}

async function scenario(session: InspectorSession, wsUrl: string, seed: number, load: typeof LOAD, allocationStacks: boolean): Promise<Arm> {
  const probe = await HeapGrowthProbe.start(session, { allocationStacks, holders: false });
  try {
    const figures = await loadOnce(wsUrl, seed, load);
    const { usedSize } = await heapUsage(session.threadSessions[0].session);
    await probe.finish();
    return { figures, afterPauseMs: probe.pauses.find((pause) => pause.phase === 'after')!.pauseMs, heapMB: round(usedSize / 1048576) };
  } finally {
    await probe.dispose();
  }
}

async function main(): Promise<void> {
  const results: Record<string, Record<'off' | 'on', Arm[]>> = {};
  for (const name of Object.keys(LOADS)) results[name] = { off: [], on: [] };
  console.log(`sample server (leaks: ${LEAKS}), ${RUNS} fresh servers; per server and load: the bot scenario inside a heap probe without and with allocation stacks (alternating order)`);
  for (let run = 1; run <= RUNS; run++) {
    const server = await startSampleServer({ leaks: LEAKS, serverArgs: ['--rate-limit', '0'], nodeArgs: ['--inspect=127.0.0.1:0'] });
    const session = await InspectorSession.attach(server.inspectorUrl!);
    try {
      await loadOnce(server.wsUrl, 0, LOAD);
      for (const [name, load] of Object.entries(LOADS)) {
        const order: boolean[] = run % 2 === 1 ? [false, true] : [true, false];
        for (const on of order) {
          const arm = await scenario(session, server.wsUrl, run, load, on);
          results[name][on ? 'on' : 'off'].push(arm);
          const { messagesPerSec, p50Ms, p99Ms } = arm.figures;
          console.log(`run ${run} ${name} allocation stacks ${on ? 'on ' : 'off'}: ${messagesPerSec} messages/s, p50 ${p50Ms} ms, p99 ${p99Ms} ms; heap ${arm.heapMB} MB, "after" snapshot ${arm.afterPauseMs} ms`);
        }
      }
    } finally {
      await session.detach().catch(() => undefined);
      await server.stop();
    }
  }
  const summary: Record<string, unknown> = { runs: RUNS, leaks: LEAKS };
  for (const [name, arms] of Object.entries(results)) {
    for (const state of ['off', 'on'] as const) {
      const list = arms[state];
      console.log(`${name}, allocation stacks ${state}:`);
      console.log(`  ${describeRuns('throughput', list.map((arm) => arm.figures.messagesPerSec), 'messages/s')}`);
      console.log(`  ${describeRuns('p50 round trip', list.map((arm) => arm.figures.p50Ms), 'ms')}`);
      console.log(`  ${describeRuns('p99 round trip', list.map((arm) => arm.figures.p99Ms), 'ms')}`);
      console.log(`  ${describeRuns('"after" snapshot', list.map((arm) => arm.afterPauseMs), 'ms')}`);
      console.log(`  ${describeRuns('heap at the end of the scenario', list.map((arm) => arm.heapMB), 'MB')}`);
    }
    const throughput = (state: 'off' | 'on') => median(arms[state].map((arm) => arm.figures.messagesPerSec));
    summary[name] = {
      messagesPerSecOff: throughput('off'),
      messagesPerSecOn: throughput('on'),
      slowdown: round(throughput('off') / Math.max(1, throughput('on'))),
      p50MsOff: round(median(arms.off.map((arm) => arm.figures.p50Ms))),
      p50MsOn: round(median(arms.on.map((arm) => arm.figures.p50Ms))),
      afterPauseMsOff: median(arms.off.map((arm) => arm.afterPauseMs)),
      afterPauseMsOn: median(arms.on.map((arm) => arm.afterPauseMs)),
      heapMB: round(median([...arms.off, ...arms.on].map((arm) => arm.heapMB))),
    };
  }
  console.log(JSON.stringify(summary));
}

main().catch((error: Error) => {
  console.error(`allocation tracking bench failed: ${error.message}`);
  process.exit(1);
});
