/**
 * `npm run bench:server`: the sample server (no leaks, no rate limit) under closed-loop bots.
 * Prints throughput and latency per run, then medians with min–max, then one JSON line.
 * Later benchmarks measure the inspector's overhead against these figures.
 */
import { startSampleServer } from '../../src/sample/sampleServer';
import { describeRuns, LOAD, loadOnce, median, round } from './serverLoad';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function main(): Promise<void> {
  console.log(`sample server under ${LOAD.players} closed-loop bots, ${LOAD.durationS} s per run after a ${LOAD.durationS} s warm-up, ${RUNS} runs (a fresh server each)`);
  const throughput: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const server = await startSampleServer({ leaks: 'none', serverArgs: ['--rate-limit', '0'] });
    try {
      // A fresh server speeds up ~30 % over its first seconds of load (JIT): measure it warm.
      await loadOnce(server.wsUrl, 0, { durationS: LOAD.durationS });
      const figures = await loadOnce(server.wsUrl, run);
      throughput.push(figures.messagesPerSec);
      p50.push(figures.p50Ms);
      p99.push(figures.p99Ms);
      console.log(`run ${run}: ${figures.messagesPerSec} messages/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${figures.logins} logins, ${figures.battles} battles`);
    } finally {
      await server.stop();
    }
  }
  console.log(describeRuns('throughput', throughput, 'messages/s'));
  console.log(describeRuns('p50 round trip', p50, 'ms'));
  console.log(describeRuns('p99 round trip', p99, 'ms'));
  console.log(JSON.stringify({ runs: RUNS, messagesPerSec: median(throughput), minMessagesPerSec: Math.min(...throughput), maxMessagesPerSec: Math.max(...throughput), p50Ms: round(median(p50)), p99Ms: round(median(p99)) }));
}

main().catch((error: Error) => {
  console.error(`bench:server failed: ${error.message}`);
  process.exit(1);
});
