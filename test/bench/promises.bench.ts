/**
 * The stuck-promise analysis against `heap summarize` on the same large snapshot: a generated
 * game heap (235k players, as in heap.bench.ts) where every player also has a pending readiness
 * promise awaited by an async function, one in ten of them never settleable. Prints both times
 * (median of BENCH_HEAP_RUNS, each in a fresh process) and the peak RSS. The snapshot is cached
 * in BENCH_HEAP_DIR (default: $TMPDIR/leak-inspector-bench-heap).
 *
 *   node --import tsx test/bench/promises.bench.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attach } from '../../src/cdp';
import { takeHeapSnapshot } from '../../src/heap';

const CACHE = process.env.BENCH_HEAP_DIR ?? path.join(os.tmpdir(), 'leak-inspector-bench-heap');
const RUNS = Math.max(1, Number(process.env.BENCH_HEAP_RUNS ?? 2));
const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 235_000);

function targetScript(players: number): string {
  return `
class Player {
  constructor(i) {
    this.id = i; this.name = 'player-' + i; this.pos = { x: i, y: i * 2 };
    this.items = [i, 'item-' + i, { kind: i % 7 }]; this.onHit = () => this.id;
    this.ready = new Promise((resolve) => { if (i % 10) this.markReady = resolve; });
    this.task = this.waitReady();
  }
  async waitReady() { await this.ready; }
}
const rooms = new Map();
globalThis.players = [];
for (let i = 0; i < ${players}; i++) {
  const player = new Player(i);
  players.push(player);
  if (i % 50 === 0) rooms.set('room-' + i, new Set());
  rooms.get('room-' + (i - (i % 50))).add(player);
}
globalThis.rooms = rooms;
setInterval(() => {}, 1000);
console.log('ready');`;
}

async function snapshotFile(players: number): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `players-${players}-promises.heapsnapshot`);
  if (existsSync(file)) return file;
  console.error(`generating ${file} …`);
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '--max-old-space-size=20000', '-e', targetScript(players)], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    while (!/ready/.test(output) || !/ws:\/\/\S+/.test(output)) {
      if (child.exitCode !== null) throw new Error(`the target exited: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const session = await attach(/(ws:\/\/\S+)/.exec(output)![1]);
    try {
      const result = await takeHeapSnapshot(session, file);
      console.error(`  ${(result.bytes / 1024 / 1024).toFixed(1)} MB in ${(result.durationMs / 1000).toFixed(1)} s`);
    } finally {
      session.close();
    }
    return file;
  } finally {
    child.kill('SIGKILL');
  }
}

/** One analysis in a fresh process under GNU time: wall seconds, peak RSS, its printed line. */
function measure(kind: 'summary' | 'promises', file: string): { seconds: number; peakMB: number; line: string } {
  const code = `
    const { summarizeHeapSnapshot } = require('./src/heap/analyzeFiles');
    const { heapPendingPromises } = require('./src/heap/analyzePromiseFile');
    if (process.argv[1] === 'summary') { const s = summarizeHeapSnapshot(process.argv[2]); console.log(s.nodeCount + ' nodes'); }
    else { const r = heapPendingPromises(process.argv[2]); console.log(r.census.total + ' pending, ' + r.stuckCount + ' stuck in ' + r.stuck.length + ' groups; parse ' + r.timings.parseMs + ' ms, analysis ' + r.timings.analysisMs + ' ms'); }`;
  const started = process.hrtime.bigint();
  const run = spawnSync('/usr/bin/time', ['-f', 'PEAK_RSS_KB=%M', process.execPath, '--import', 'tsx', '--max-old-space-size=20000', '-e', code, kind, file], {
    cwd: path.resolve(__dirname, '../..'),
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${kind} failed: ${run.stderr}`);
  return { seconds, peakMB: Number(/PEAK_RSS_KB=(\d+)/.exec(run.stderr)?.[1] ?? NaN) / 1024, line: run.stdout.trim() };
}

async function main(): Promise<void> {
  const file = await snapshotFile(PLAYERS);
  for (const kind of ['summary', 'promises'] as const) {
    const runs = Array.from({ length: RUNS }, () => measure(kind, file));
    const seconds = runs.map((run) => run.seconds).sort((a, b) => a - b)[Math.floor(RUNS / 2)];
    console.log(`${kind.padEnd(9)} ${seconds.toFixed(1)} s  peak RSS ${Math.max(...runs.map((run) => run.peakMB)).toFixed(0)} MB  ${runs[0].line}`);
  }
}

void main();
