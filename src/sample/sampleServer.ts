/**
 * Starts the bundled sample game server and its load bots as child processes. Used by the
 * demo, the benchmarks, the tests and the extension's "Start Sample Game Server".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as http from 'node:http';
import * as path from 'node:path';
import { builtFile } from '../common/packageRoot';
import type { BotSummary } from '../../samples/game-server/src/bots';
import type { GameServer } from '../../samples/game-server/src/game-server';

export type BotFigures = Omit<BotSummary, 'errorSamples'>;

export interface SampleServerOptions {
  /** `all`, `none` or a comma-separated list of leak names. */
  leaks: string;
  port?: number;
  /** Flags for node itself, e.g. `--inspect=127.0.0.1:0`. */
  nodeArgs?: string[];
  /** More server flags, e.g. `['--heartbeat-ms', '200']`. */
  serverArgs?: string[];
  startTimeoutMs?: number;
  /** The Node binary to run the server on (default: the one running this code). */
  node?: string;
}

export interface SampleServer {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly wsUrl: string;
  /** The inspector's WebSocket URL when started with `--inspect`. */
  readonly inspectorUrl: string | undefined;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  stats(): Promise<SampleServerStats>;
  /** SIGTERM, then SIGKILL if it does not exit within `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** What the sample server reports at `GET /debug/stats`. */
export type SampleServerStats = ReturnType<GameServer['stats']>;

export interface BotRunOptions {
  url: string;
  players: number;
  durationS: number;
  paceMs?: number;
  dropRate?: number;
  seed?: number;
  /** Seconds to wait for the server to accept connections before starting. */
  waitS?: number;
}

/** The folder holding the built sample (`dist/samples/game-server`). */
export function sampleDistDir(): string {
  return path.dirname(builtFile('samples', 'game-server', 'server.js'));
}

/** The `node` arguments that start the sample server. */
export function sampleServerArgs(options: SampleServerOptions): string[] {
  const script = path.join(sampleDistDir(), 'server.js');
  return [...(options.nodeArgs ?? []), script, '--port', String(options.port ?? 0), '--leaks', options.leaks, ...(options.serverArgs ?? [])];
}

/** The `node` arguments that run the load bots. */
export function botArgs(options: BotRunOptions): string[] {
  return [
    path.join(sampleDistDir(), 'bots.js'),
    '--url', options.url,
    '--players', String(options.players),
    '--duration', String(options.durationS),
    '--pace', String(options.paceMs ?? 50),
    '--drop-rate', String(options.dropRate ?? 0.3),
    '--seed', String(options.seed ?? 1),
    '--wait', String(options.waitS ?? 0),
  ];
}

export async function startSampleServer(options: SampleServerOptions): Promise<SampleServer> {
  const child = spawn(options.node ?? process.execPath, sampleServerArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit');

  const wantsInspector = (options.nodeArgs ?? []).some((arg) => arg.startsWith('--inspect'));
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  let port: number | undefined;
  let inspectorUrl: string | undefined;
  while (port === undefined || (wantsInspector && inspectorUrl === undefined)) {
    port ??= Number(/^listening on [^\s]+:(\d+)$/m.exec(output)?.[1]) || undefined;
    inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
    if (child.exitCode !== null) throw new Error(`sample server exited with code ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sample server did not start within ${options.startTimeoutMs ?? 10_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const listeningPort = port;
  return {
    process: child,
    pid: child.pid!,
    port: listeningPort,
    wsUrl: `ws://127.0.0.1:${listeningPort}`,
    inspectorUrl,
    output: () => output,
    stats: () => getJson<SampleServerStats>(`http://127.0.0.1:${listeningPort}/debug/stats`),
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return child.exitCode;
    },
  };
}

/** Runs the load bots in their own process and returns the figures of their final JSON line. */
export async function runBots(options: BotRunOptions): Promise<{ figures: BotFigures; output: string }> {
  const child = spawn(process.execPath, botArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = await once(child, 'exit');
  const last = output.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`bots exited with code ${code}:\n${output}`);
  return { figures: JSON.parse(last) as BotFigures, output };
}

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}`);
          resolve(JSON.parse(body) as T);
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}
