/**
 * The targets the scenarios inspect: the repository's built sample game server (dist/), with
 * every leak on, and its load bots. Used by the harness and, bundled, by the in-host suite;
 * so no dependency on where this file runs from, and its own tiny CDP client to look into the
 * target independently of the engine under test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import WebSocket from 'ws';

export interface SampleTarget {
  pid: number;
  /** The game's port (WebSocket and `GET /debug/stats`). */
  port: number;
  process: ChildProcess;
  /** The inspector's WebSocket URL, once the target printed it (at start, or when SIGUSR1 opened it). */
  inspectorUrl(): string | undefined;
  output(): string;
  stop(): Promise<void>;
}

export interface SampleOptions {
  root: string;
  /** The Node that runs it. */
  node: string;
  /**
   * `start`: inspector on from the start (`--inspect`); `off`: inspector off, but if someone
   * switches it on (SIGUSR1) it takes a random loopback port instead of 9229, shared machine.
   */
  inspector: 'start' | 'off';
  env?: NodeJS.ProcessEnv;
  /** The server's `--leaks` (default `all`). */
  leaks?: string;
}

const INSPECTOR_LINE = /Debugger listening on (ws:\/\/\S+)/;

export async function startSample(options: SampleOptions): Promise<SampleTarget> {
  const script = path.join(options.root, 'dist', 'samples', 'game-server', 'server.js');
  const nodeArgs = options.inspector === 'start' ? ['--inspect=127.0.0.1:0'] : ['--inspect-port=127.0.0.1:0'];
  const child = spawn(options.node, [...nodeArgs, script, '--port', '0', '--leaks', options.leaks ?? 'all'], {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const stop = () => stopProcess(child);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const port = Number(/^listening on [^\s]+:(\d+)$/m.exec(output)?.[1]);
    if (port && (options.inspector === 'off' || INSPECTOR_LINE.test(output))) {
      return { pid: child.pid!, port, process: child, inspectorUrl: () => INSPECTOR_LINE.exec(output)?.[1], output: () => output, stop };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the sample server did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Bots playing against the server in the background until stopped (or `durationS`). */
export function startBots(options: { root: string; node: string; port: number; players: number; durationS: number; env?: NodeJS.ProcessEnv }): {
  stop(): Promise<void>;
} {
  const script = path.join(options.root, 'dist', 'samples', 'game-server', 'bots.js');
  const args = [script, '--url', `ws://127.0.0.1:${options.port}`, '--players', String(options.players), '--duration', String(options.durationS)];
  const child = spawn(options.node, [...args, '--pace', '50', '--drop-rate', '0.3', '--seed', '1'], {
    env: options.env ?? process.env,
    stdio: 'ignore',
  });
  return { stop: () => stopProcess(child) };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Evaluates `expression` in the target over CDP (a session of our own) and returns its value. */
export function evaluateInTarget(inspectorUrl: string, expression: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(inspectorUrl);
    const timer = setTimeout(() => finish(() => reject(new Error(`no answer from ${inspectorUrl}`))), 10_000);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      socket.terminate();
      settle();
    };
    socket.on('open', () => socket.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, returnByValue: true } })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: { result?: { value?: unknown } }; error?: { message: string } };
      if (message.id !== 1) return;
      finish(() => (message.error ? reject(new Error(message.error.message)) : resolve(message.result?.result?.value)));
    });
    socket.on('error', (error) => finish(() => reject(error)));
  });
}

/** What `typeof` says of the agent's global in the target: 'undefined' once it is gone. */
export const AGENT_PRESENT = "typeof globalThis[Symbol.for('leak-inspector.agent')]";

/** The leak the scenarios follow: the heartbeat interval never cleared (LEAK(heartbeat)). */
export const HEARTBEAT_LEAK = { file: 'samples/game-server/src/player-session.ts', text: 'this.heartbeat = setInterval(' };

/** The listener leak (LEAK(listener)): each player's lobby-feed listener stays on the `presence` bus. */
export const LISTENER_LEAK = { file: 'samples/game-server/src/game-server.ts', text: "presence.on('broadcast', onAnnouncement)" };

/** The 1-based line of `text` in a repository file: found, not hard-coded, so edits move it along. */
export function lineOf(root: string, file: string, text: string): number {
  const index = fs.readFileSync(path.join(root, file), 'utf8').split('\n').findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`"${text}" is not in ${file}`);
  return index + 1;
}
