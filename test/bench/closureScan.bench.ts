/**
 * `node --import tsx test/bench/closureScan.bench.ts` (after `npm run build`): what the
 * late-attach closure scan (`engine/closureEvidence.ts`) costs the target, next to the agent's
 * own snapshot.
 *
 * The target (`node --inspect=127.0.0.1:0`) runs a server to which DROPPED clients connect and
 * drop before the attach, each leaving an interval whose closure holds its socket, spread over
 * SITES creation sites (one callback code each), plus STAYING live ones. A 1 ms probe interval
 * (created before the attach) measures the event loop's gaps: "longest stall" is the longest
 * gap minus 1 ms while a step ran, "stalled in all" the sum of gaps over 2 ms (the time the
 * target's JavaScript could not run). Each of SNAPSHOTS rounds times the agent's snapshot, then
 * the closure scan of that snapshot. Share at a 5 s interval = stalled in all / 5000 ms (the
 * default `watch` interval), in percent: the throughput the scan takes from the server.
 * Ends with one JSON line of medians: {"agentStallMs", "scanStallMs", "scanTotalStallMs", "scanWallMs", "functions", "scanPercentAt5s"}.
 */
import { spawn } from 'node:child_process';
import { scanClosures } from '../../src/engine/closureEvidence';
import { InspectorSession } from '../../src/engine/inspectorSession';
import { median, round } from './serverLoad';

const DROPPED = Number(process.env.BENCH_DROPPED ?? 2000);
const SITES = 20;
const STAYING = 50;
const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 10);

const TARGET = `
const net = require('node:net');
let maxGap = 0, stalled = 0, last = performance.now();
setInterval(() => { const now = performance.now(); const gap = now - last; last = now; if (gap > maxGap) maxGap = gap; if (gap > 2) stalled += gap - 1; }, 1);
globalThis.probe = () => { const r = { maxGap, stalled }; maxGap = 0; stalled = 0; last = performance.now(); return r; };
const makers = Array.from({ length: ${SITES} }, (_, site) => new Function('socket', 'return setInterval(function heartbeat' + site + '() { if (!socket.destroyed) socket.write("x"); }, 600000);'));
let accepted = 0;
const server = net.createServer((socket) => { socket.on('error', () => {}); makers[accepted++ % ${SITES}](socket); });
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const connect = () => new Promise((resolve) => { const c = net.connect(port, '127.0.0.1', () => resolve(c)); });
  for (let i = 0; i < ${DROPPED}; i++) { const c = await connect(); c.destroy(); }
  globalThis.staying = [];
  for (let i = 0; i < ${STAYING}; i++) staying.push(await connect());
  setTimeout(() => console.log('ready'), 500);
});
`;

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', TARGET], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data));
  child.stderr.on('data', (data: Buffer) => (output += data));
  try {
    while (!/^ready$/m.test(output)) {
      if (child.exitCode !== null) throw new Error(output);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = /ws:\/\/\S+/.exec(output)![0];
    const session = await InspectorSession.attach(url);
    const [{ session: cdp, agent }] = session.threadSessions;
    const probe = async () => {
      const { result } = await cdp.send('Runtime.evaluate', { expression: 'probe()', returnByValue: true });
      return result.value as { maxGap: number; stalled: number };
    };
    const rows: Array<{ agentStallMs: number; scanStallMs: number; scanTotalStallMs: number; scanWallMs: number; functions: number }> = [];
    for (let i = 0; i < SNAPSHOTS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await probe();
      const raw = await agent.snapshot();
      const agentGap = await probe();
      const scan = await scanClosures(cdp, agent.callbacksExpression, raw.sites);
      const scanGap = await probe();
      const evidence = [...scan.bySite.values()];
      if (i === 0) console.log(`snapshot: ${raw.liveResources} live, ${raw.openConnections} open connections; scanned ${scan.sites} sites: ${evidence.map((e) => `${e.closed}/${e.sampled} closed`).join(', ')}`);
      rows.push({ agentStallMs: round(agentGap.maxGap - 1), scanStallMs: round(scanGap.maxGap - 1), scanTotalStallMs: round(scanGap.stalled), scanWallMs: scan.ms, functions: scan.functions });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
    await session.detach();
    const steady = rows.slice(1);
    const pick = (key: keyof (typeof rows)[number]) => median(steady.map((row) => row[key]));
    const summary = { agentStallMs: pick('agentStallMs'), scanStallMs: pick('scanStallMs'), scanTotalStallMs: pick('scanTotalStallMs'), scanWallMs: pick('scanWallMs'), functions: pick('functions'), scanPercentAt5s: round((pick('scanTotalStallMs') / 5000) * 100) };
    console.log(`first scan: ${JSON.stringify(rows[0])}; medians of the other ${steady.length}:`);
    console.log(JSON.stringify(summary));
  } finally {
    child.kill('SIGKILL');
  }
}

void main();
