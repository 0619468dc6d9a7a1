/**
 * Load bots: real WebSocket players that log in, queue, play and leave — some politely,
 * some by dropping the socket mid-game, as real players on flaky networks do.
 *   node dist/samples/game-server/bots.js --url ws://127.0.0.1:PORT --players 20 --duration 10
 * Prints a summary and, last, one JSON line with the same figures.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { ServerMessage } from './protocol';

export interface BotOptions {
  url: string;
  players: number;
  durationS: number;
  /** Milliseconds between a bot's attacks; 0 attacks again as soon as the last one is acknowledged. */
  paceMs: number;
  /** Share of sessions that end by dropping the socket instead of leaving. */
  dropRate: number;
  seed: number;
}

export interface BotSummary {
  logins: number;
  battles: number;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  sessions: number;
  drops: number;
  timeouts: number;
  sent: number;
  received: number;
  durationS: number;
  errorSamples: string[];
}

const MATCH_WAIT_MS = 5000;
const START_WAIT_MS = 3000;
const RECONNECT_DELAY_MS = 100;

/** Small seeded PRNG (mulberry32): the same seed gives the same mix of behaviours. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Tally {
  logins = 0;
  /** Rooms whose battle_end a bot saw: each battle counted once, not once per player. */
  readonly battleRooms = new Set<string>();
  errors = 0;
  sessions = 0;
  drops = 0;
  timeouts = 0;
  sent = 0;
  received = 0;
  readonly rtts: number[] = [];
  /** Distinct problems seen, with how often: "timeout: no match found" → 3. */
  readonly problems = new Map<string, number>();

  error(what: string): void {
    this.errors++;
    this.note(what);
  }

  timeout(what: string): void {
    this.timeouts++;
    this.note(`timeout: ${what}`);
  }

  private note(what: string): void {
    if (this.problems.has(what) || this.problems.size < 20) this.problems.set(what, (this.problems.get(what) ?? 0) + 1);
  }
}

type SessionEnd = 'left' | 'dropped' | 'timeout' | 'error';

/** One connection's life: login → queue → ready → battle → maybe again → leave or drop. */
function playSession(options: BotOptions, playerId: string, rand: () => number, tally: Tally, deadline: number): Promise<SessionEnd> {
  return new Promise((resolve) => {
    const ws = new WebSocket(options.url, { perMessageDeflate: false });
    const sentAt = new Map<number, number>();
    let seq = 0;
    let attackTimer: NodeJS.Timeout | undefined;
    let waitTimer: NodeJS.Timeout | undefined;
    let dropAfterAttacks = -1;
    let outcome: SessionEnd | undefined;

    // When the run ends every player still connected leaves, whatever it was doing.
    const deadlineTimer = setTimeout(() => leave(), Math.max(0, deadline - Date.now()));
    const finish = (end: SessionEnd) => {
      outcome ??= end;
      clearInterval(attackTimer);
      clearTimeout(waitTimer);
      clearTimeout(deadlineTimer);
    };
    const send = (message: object) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify(message));
      tally.sent++;
    };
    const drop = () => {
      finish('dropped');
      ws.terminate();
    };
    const leave = (end: SessionEnd = 'left') => {
      finish(end);
      send({ type: 'leave' });
      // The server answers `left` and closes; do not wait forever if it cannot.
      setTimeout(() => ws.terminate(), 2000).unref();
    };
    const expectWithin = (ms: number, what: string) => {
      clearTimeout(waitTimer);
      waitTimer = setTimeout(() => {
        tally.timeout(what);
        leave('timeout');
      }, ms);
    };
    const attack = () => {
      if (dropAfterAttacks === 0) return drop();
      dropAfterAttacks--;
      sentAt.set(++seq, performance.now());
      send({ type: 'attack', seq });
    };
    const queueOrLeave = () => {
      if (Date.now() >= deadline) return leave();
      send({ type: 'queue' });
      expectWithin(MATCH_WAIT_MS, 'no match found');
    };

    ws.on('open', () => send({ type: 'login', playerId }));
    ws.on('message', (data) => {
      tally.received++;
      if (outcome) return;
      const message = JSON.parse(data.toString()) as ServerMessage;
      switch (message.type) {
        case 'welcome':
          tally.logins++;
          return queueOrLeave();
        case 'match_found':
          // Some players vanish right after being matched (before saying ready).
          if (rand() < options.dropRate * 0.3) return drop();
          send({ type: 'ready' });
          return expectWithin(START_WAIT_MS, 'battle did not start');
        case 'match_cancelled':
          return queueOrLeave();
        case 'battle_start':
          clearTimeout(waitTimer);
          dropAfterAttacks = rand() < options.dropRate * 0.5 ? 1 + Math.floor(rand() * 5) : -1;
          if (options.paceMs > 0) attackTimer = setInterval(attack, options.paceMs);
          return attack();
        case 'attack_ack': {
          const started = sentAt.get(message.seq);
          sentAt.delete(message.seq);
          if (started !== undefined) tally.rtts.push(performance.now() - started);
          if (options.paceMs === 0) attack();
          return;
        }
        case 'battle_end':
          tally.battleRooms.add(message.roomId);
          clearInterval(attackTimer);
          if (rand() < 0.3) return queueOrLeave();
          return rand() < options.dropRate ? drop() : leave();
        case 'error':
          // A late attack after a knockout is a normal race, not a failure.
          if (message.code !== 'bad_state') tally.error(`server error ${message.code}: ${message.message}`);
          return;
        default:
          return;
      }
    });
    ws.on('error', (error) => {
      if (!outcome) tally.error(`socket: ${error.message}`);
      finish('error');
    });
    ws.on('close', (code) => {
      if (!outcome) tally.error(`closed by server with ${code}`);
      finish('error');
      resolve(outcome ?? 'error');
    });
  });
}

export async function runBots(options: BotOptions): Promise<BotSummary> {
  const tally = new Tally();
  const started = performance.now();
  const deadline = Date.now() + options.durationS * 1000;
  const runTag = `${options.seed.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const bot = async (slot: number) => {
    const rand = random(options.seed * 1000 + slot);
    for (let n = 0; Date.now() < deadline; n++) {
      tally.sessions++;
      const end = await playSession(options, `bot-${runTag}-${slot}-${n}`, rand, tally, deadline);
      if (end === 'dropped') tally.drops++;
      if (end === 'error') await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
    }
  };
  await Promise.all(Array.from({ length: options.players }, (_, slot) => bot(slot)));
  const elapsedS = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(tally.rtts).sort();
  const percentile = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    logins: tally.logins,
    battles: tally.battleRooms.size,
    messagesPerSec: Math.round((tally.sent + tally.received) / elapsedS),
    p50Ms: round(percentile(0.5)),
    p99Ms: round(percentile(0.99)),
    errors: tally.errors,
    sessions: tally.sessions,
    drops: tally.drops,
    timeouts: tally.timeouts,
    sent: tally.sent,
    received: tally.received,
    durationS: round(elapsedS),
    errorSamples: [...tally.problems].map(([what, count]) => (count > 1 ? `${what} (×${count})` : what)),
  };
}

export function formatSummary(summary: BotSummary): string {
  const lines = [
    `bots: ${summary.sessions} sessions (${summary.drops} dropped), ${summary.logins} logins, ${summary.battles} battles in ${summary.durationS} s`,
    `traffic: ${summary.sent} sent, ${summary.received} received, ${summary.messagesPerSec} messages/s`,
    `attack round trip: p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms`,
    `errors: ${summary.errors}, timeouts: ${summary.timeouts}`,
    ...summary.errorSamples.map((sample) => `  - ${sample}`),
  ];
  return lines.join('\n');
}

/** With `--wait S`, bots started together with their server wait for it to listen. */
async function waitForServer(url: string, waitMs: number): Promise<void> {
  const { hostname, port } = new URL(url);
  for (const deadline = Date.now() + waitMs; Date.now() < deadline; ) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = net.connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
      const done = (ok: boolean) => {
        probe.destroy();
        resolve(ok);
      };
      probe.once('connect', () => done(true));
      probe.once('error', () => done(false));
      probe.setTimeout(1000, () => done(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      players: { type: 'string', default: '20' },
      duration: { type: 'string', default: '10' },
      pace: { type: 'string', default: '50' },
      'drop-rate': { type: 'string', default: '0.3' },
      seed: { type: 'string', default: '1' },
      wait: { type: 'string', default: '0' },
    },
  });
  if (!values.url) throw new Error('usage: bots --url ws://127.0.0.1:PORT [--players N] [--duration S] [--pace MS] [--drop-rate 0..1] [--seed N] [--wait S]');
  const options: BotOptions = {
    url: values.url,
    players: Number(values.players),
    durationS: Number(values.duration),
    paceMs: Number(values.pace),
    dropRate: Number(values['drop-rate']),
    seed: Number(values.seed),
  };
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) throw new Error(`--${name} must be a non-negative number`);
  }
  await waitForServer(options.url, Number(values.wait) * 1000);
  const summary = await runBots(options);
  console.log(formatSummary(summary));
  const { errorSamples: _samples, ...figures } = summary;
  console.log(JSON.stringify(figures));
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`bots: ${error.message}`);
    process.exit(2);
  });
}
