/**
 * `node --import tsx test/bench/listenerScan.bench.ts` (after `npm run build`): the pause of the
 * listener census's one heap walk (`Runtime.queryObjects` on EventEmitter.prototype and
 * EventTarget.prototype, see src/engine/listenerCensus.ts), on the sample server under bots at
 * its own heap size, then with about 10× that heap (small objects, one in ten an EventEmitter,
 * allocated in the target over CDP), and the census's cost on the snapshot path.
 *
 * "scan pause" = wall time of the queryObjects calls (the target is stopped for them: V8 runs a
 * full GC and walks the heap); "stall" = the longest gap the target's own 1 ms probe interval
 * saw around the scan (what the server feels). Each is the median of SCANS scans.
 * Env: BENCH_SCANS (default 3). Ends with one JSON line.
 */
import { InspectorSession } from '../../src/engine/inspectorSession';
import { startSampleServer } from '../../src/sample/sampleServer';
import { loadOnce, median, round } from './serverLoad';

const SCANS = Number(process.env.BENCH_SCANS ?? 3);
const MB = 1024 * 1024;

const PROBE = `(() => {
  let last = performance.now(); globalThis.__probeMax = 0;
  globalThis.__probe = setInterval(() => { const now = performance.now(); globalThis.__probeMax = Math.max(globalThis.__probeMax, now - last - 1); last = now; }, 1);
})()`;

async function value(session: InspectorSession, expression: string): Promise<unknown> {
  const { result, exceptionDetails } = await session.connection.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
  if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
  return result.value;
}

async function measure(session: InspectorSession, label: string): Promise<{ heapMB: number; pauseMs: number; stallMs: number; estimatedMs: number }> {
  const pauses: number[] = [];
  const stalls: number[] = [];
  let heap = 0;
  let estimate = 0;
  for (let index = 0; index < SCANS; index++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await value(session, 'globalThis.__probeMax = 0');
    const [scan] = await session.scanListeners();
    await new Promise((resolve) => setTimeout(resolve, 50));
    stalls.push(round(Number(await value(session, 'globalThis.__probeMax'))));
    pauses.push(scan.pauseMs);
    heap = scan.heapUsedBytes;
    estimate = scan.estimatedPauseMs;
  }
  const result = { heapMB: round(heap / MB), pauseMs: median(pauses), stallMs: median(stalls), estimatedMs: estimate };
  console.log(`${label}: heap ${result.heapMB} MB, scan pause ${pauses.join(' / ')} ms (median ${result.pauseMs}), probe stall ${stalls.join(' / ')} ms (median ${result.stallMs}), estimate ${estimate} ms`);
  return result;
}

async function main(): Promise<void> {
  const server = await startSampleServer({ leaks: 'none', nodeArgs: ['--inspect=127.0.0.1:0'], serverArgs: ['--rate-limit', '0'] });
  let session: InspectorSession | undefined;
  try {
    session = await InspectorSession.attach(server.inspectorUrl!, { listeners: { scan: 'off' } });
    await value(session, PROBE);
    const load = loadOnce(server.wsUrl, 1, { durationS: 30 });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const base = await measure(session, 'sample server under bots');
    const snapshots: number[] = [];
    for (let index = 0; index < 5; index++) {
      const [report] = await session.snapshot();
      snapshots.push(report.pauseMs);
      if (index < 4) continue;
      const suspects = report.listenerSuspects ?? [];
      console.log(`snapshot with the census: agent pauseMs ${snapshots.join(' / ')}; ${suspects.length} listener suspects, ${suspects.filter((suspect) => suspect.severity !== 'low').length} medium or high`);
      for (const suspect of suspects.slice(0, 5)) console.log(`  ${suspect.score} ${suspect.severity} ${suspect.title} @ ${suspect.location?.path}:${suspect.location?.line}`);
    }
    // About 10× the heap: small objects, one in ten an EventEmitter with a listener.
    const target = base.heapMB * 9 * MB;
    await value(session, `(() => { const { EventEmitter } = process.getBuiltinModule('events'); globalThis.__ballast = [];
      while (process.memoryUsage().heapUsed < ${target}) for (let i = 0; i < 10000; i++) { if (i % 10 === 0) { const e = new EventEmitter(); e.on('x', () => i); globalThis.__ballast.push(e); } else globalThis.__ballast.push({ i, s: 'x' + i }); }
      return globalThis.__ballast.length; })()`);
    const tenfold = await measure(session, 'with ~10x heap');
    await load;
    console.log(JSON.stringify({ scanPauseMs: base.pauseMs, scanStallMs: base.stallMs, heapMB: base.heapMB, scanPauseMs10x: tenfold.pauseMs, scanStallMs10x: tenfold.stallMs, heapMB10x: tenfold.heapMB, snapshotPauseMs: median(snapshots) }));
  } finally {
    await value(session!, 'clearInterval(globalThis.__probe); delete globalThis.__ballast').catch(() => undefined);
    await session?.detach().catch(() => undefined);
    await server.stop();
  }
}

void main();
