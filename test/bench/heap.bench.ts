/**
 * `npm run bench:heap`: our heap snapshot analyser against Chrome DevTools' own model
 * (heap-snapshot-toolkit), side by side in one run, on the same file.
 *
 * The snapshot is of a real Node process (generated below, taken through our own
 * takeHeapSnapshot over CDP): players, each a class instance with a name string, a position
 * object, an items array and a closure over a context, grouped in Sets in a Map; ~235,000
 * players make ~2.3M nodes, ~8.2M edges, ~197 MB. Generated files are cached in
 * BENCH_HEAP_DIR (default: $TMPDIR/leak-inspector-bench-heap), never in the repository.
 *
 * Each measurement is a separate child process, so its peak RSS is its own (GNU time's
 * maximum resident set size):
 *  - ours: `node dist/cli.js heap summarize FILE --json`, i.e. the command a user runs: parse,
 *    dominators, retained sizes, class names and the Summary;
 *  - DevTools: heap-snapshot-toolkit's parse (DevTools' loader and HeapSnapshot: dominators,
 *    retained sizes, distances, class names…) plus aggregatesWithFilter (the Summary).
 * They alternate (ours, DevTools, ours, DevTools, …: BENCH_HEAP_RUNS rounds, default 2) so
 * machine noise hits both; MB/s = file MB / median wall time of the child (startup included).
 *
 * BENCH_HEAP_2GB=1 adds a ~2.1 GB snapshot (1.9M players plus 520,000 distinct 1 KiB strings,
 * so the strings section exceeds V8's maximum string length): ours once, DevTools once (it
 * fails). Generating it takes several minutes and ~10 GB of RAM in the target.
 *
 * Ends with one JSON line: {"fileMB", "MBps", "devtoolsMBps", "peakRssRatio"} for the ~200 MB
 * file (peakRssRatio = our peak RSS / file size), plus "twoGB" when that part ran.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attach } from '../../src/cdp';
import { takeHeapSnapshot } from '../../src/heap';

const ROOT = path.resolve(__dirname, '../..');
const CACHE = process.env.BENCH_HEAP_DIR ?? path.join(os.tmpdir(), 'leak-inspector-bench-heap');
const RUNS = Math.max(1, Number(process.env.BENCH_HEAP_RUNS ?? 2));
const TWO_GB = process.env.BENCH_HEAP_2GB === '1';
const MB = 1024 * 1024;

/** The heap of the generated target: `players` players and `bigStrings` distinct 1 KiB strings. */
function targetScript(players: number, bigStrings: number): string {
  return `
class Player {
  constructor(i) {
    this.id = i;
    this.name = 'player-' + i;
    this.pos = { x: i, y: i * 2 };
    this.items = [i, 'item-' + i, { kind: i % 7 }];
    this.onHit = () => this.id;
  }
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
const pad = 'x'.repeat(1024);
globalThis.big = [];
for (let i = 0; i < ${bigStrings}; i++) big.push((i + pad).slice(0, 1024));
setInterval(() => {}, 1000);
console.log('ready');`;
}

/** Generates the snapshot once (cached by its parameters). */
async function snapshotFile(players: number, bigStrings: number): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `players-${players}-strings-${bigStrings}.heapsnapshot`);
  if (existsSync(file)) return file;
  console.error(`generating ${file} …`);
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '--max-old-space-size=20000', '-e', targetScript(players, bigStrings)], { stdio: ['ignore', 'pipe', 'pipe'] });
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
      let shown = 0;
      const result = await takeHeapSnapshot(session, file, {
        onProgress: ({ done, total }) => {
          if (done / total >= shown + 0.25) console.error(`  ${Math.round((shown = done / total) * 100)}%`);
        },
      });
      console.error(`  ${(result.bytes / MB).toFixed(1)} MB in ${(result.durationMs / 1000).toFixed(1)} s`);
    } finally {
      session.close();
    }
    return file;
  } finally {
    child.kill('SIGKILL');
  }
}

interface Measurement {
  ok: boolean;
  seconds: number;
  peakRssMB: number;
  /** The child's last output line (its error, when it failed). */
  last: string;
}

/** Runs `node args…` under GNU time: wall time and peak RSS of that process alone. */
function measure(args: string[]): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_RSS_KB=%M', process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk).slice(-4096)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk).slice(-4096)));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const peak = Number(/PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
      const lines = `${stdout}\n${stderr.replace(/PEAK_RSS_KB=\d+|Command exited with non-zero status \d+/g, '')}`.trim().split('\n');
      // A failure's message, not the stack under it.
      const error = lines.find((line) => /^\w*Error\b/.test(line));
      if (error) lines.push(error);
      resolve({ ok: code === 0, seconds, peakRssMB: peak, last: lines[lines.length - 1] ?? '' });
    });
  });
}

const DEVTOOLS = `
import { createReadStream } from 'node:fs';
import { parse } from 'heap-snapshot-toolkit';
const snapshot = await parse(createReadStream(process.argv[1], 'utf8'));
const classes = Object.keys(snapshot.aggregatesWithFilter({})).length;
console.log(JSON.stringify({ nodeCount: snapshot.nodeCount, classes }));`;

const ours = (file: string) => measure([path.join(ROOT, 'dist', 'cli.js'), 'heap', 'summarize', file, '--json']);
const devtools = (file: string) => measure(['--max-old-space-size=20000', '--input-type=module', '-e', DEVTOOLS, file]);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function describe(label: string, fileMB: number, runs: Measurement[]): string {
  const failed = runs.find((run) => !run.ok);
  if (failed) return `${label.padEnd(9)} FAILED after ${failed.seconds.toFixed(1)} s at ${failed.peakRssMB.toFixed(0)} MB peak RSS: ${failed.last}`;
  const seconds = median(runs.map((run) => run.seconds));
  const peak = Math.max(...runs.map((run) => run.peakRssMB));
  return `${label.padEnd(9)} ${(fileMB / seconds).toFixed(1).padStart(6)} MB/s  (${runs.map((run) => run.seconds.toFixed(2)).join(', ')} s)  peak RSS ${peak.toFixed(0)} MB = ${(peak / fileMB).toFixed(2)}× the file`;
}

async function main(): Promise<void> {
  const file = await snapshotFile(235_000, 0);
  const fileMB = statSync(file).size / MB;
  console.log(`snapshot: ${file}, ${fileMB.toFixed(1)} MB`);
  const mine: Measurement[] = [];
  const theirs: Measurement[] = [];
  for (let round = 0; round < RUNS; round++) {
    mine.push(await ours(file));
    theirs.push(await devtools(file));
  }
  console.log(describe('ours', fileMB, mine));
  console.log(describe('DevTools', fileMB, theirs));
  const MBps = mine.every((run) => run.ok) ? fileMB / median(mine.map((run) => run.seconds)) : null;
  const devtoolsMBps = theirs.every((run) => run.ok) ? fileMB / median(theirs.map((run) => run.seconds)) : null;
  const result: Record<string, unknown> = {
    fileMB: round1(fileMB),
    MBps: MBps && round1(MBps),
    devtoolsMBps: devtoolsMBps && round1(devtoolsMBps),
    peakRssRatio: Math.round((Math.max(...mine.map((run) => run.peakRssMB)) / fileMB) * 100) / 100,
  };

  if (TWO_GB) {
    const big = await snapshotFile(1_900_000, 520_000);
    const bigMB = statSync(big).size / MB;
    console.log(`snapshot: ${big}, ${bigMB.toFixed(1)} MB`);
    const bigOurs = await ours(big);
    console.log(describe('ours', bigMB, [bigOurs]));
    const bigDevtools = await devtools(big);
    console.log(describe('DevTools', bigMB, [bigDevtools]));
    result.twoGB = {
      fileMB: round1(bigMB),
      MBps: bigOurs.ok ? round1(bigMB / bigOurs.seconds) : null,
      peakRssRatio: Math.round((bigOurs.peakRssMB / bigMB) * 100) / 100,
      devtools: bigDevtools.ok ? round1(bigMB / bigDevtools.seconds) : `failed: ${bigDevtools.last.slice(0, 120)}`,
    };
  }
  console.log(JSON.stringify(result));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
