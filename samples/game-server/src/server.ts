/**
 * Entry point of the sample game server.
 *   node dist/samples/game-server/server.js --port 0 --leaks all
 * Prints `listening on 127.0.0.1:PORT` once it accepts players.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { GameServer } from './game-server';
import { LEAK_DESCRIPTIONS, LEAK_NAMES, parseLeaks } from './leaks';
import type { BackendPorts } from './ranking-service';

const USAGE = `usage: server [--port P] [--host H] [--leaks all|none|${LEAK_NAMES.join(',')}]
       [--heartbeat-ms MS] [--tick-ms MS] [--match-timeout-ms MS] [--ready-timeout-ms MS]
       [--rate-limit MSGS_PER_S] [--max-payload BYTES] [--pool-size N] [--ranking-failure-rate 0..1]`;

function numberOption(values: Record<string, string | boolean | undefined>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${String(raw)}`);
  return value;
}

/** The ranking service and store run in their own process, as they would in production. */
async function startBackend(failureRate: number): Promise<{ ports: BackendPorts; stop: () => void }> {
  // execArgv: [] so that our own --inspect flags are not passed on to the backend.
  const child = fork(path.join(__dirname, 'ranking-service.js'), [], {
    execArgv: [],
    env: { ...process.env, RANKING_FAILURE_RATE: String(failureRate) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ports] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`backend services exited with code ${code}`))),
  ])) as [BackendPorts];
  return { ports, stop: () => child.connected && child.disconnect() };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      leaks: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'tick-ms': { type: 'string' },
      'match-timeout-ms': { type: 'string' },
      'ready-timeout-ms': { type: 'string' },
      'rate-limit': { type: 'string' },
      'max-payload': { type: 'string' },
      'pool-size': { type: 'string' },
      'ranking-failure-rate': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const leaks = parseLeaks(values.leaks ?? 'all');
  const backend = await startBackend(numberOption(values, 'ranking-failure-rate', 0.2));
  const server = new GameServer({
    host: values.host ?? '127.0.0.1',
    port: numberOption(values, 'port', 8080),
    leaks,
    heartbeatMs: numberOption(values, 'heartbeat-ms', 5000),
    tickMs: numberOption(values, 'tick-ms', 50),
    matchTimeoutMs: numberOption(values, 'match-timeout-ms', 5 * 60_000),
    readyTimeoutMs: numberOption(values, 'ready-timeout-ms', 5000),
    rateLimit: numberOption(values, 'rate-limit', 100),
    maxPayload: numberOption(values, 'max-payload', 16 * 1024),
    poolSize: numberOption(values, 'pool-size', 8),
    storePort: backend.ports.storePort,
    rankingPort: backend.ports.rankingPort,
  });
  const address = await server.listen();
  console.log(`leaks: ${leaks.size ? [...leaks].map((name) => `${name} (${LEAK_DESCRIPTIONS[name]})`).join('; ') : 'none'}`);
  console.log(`debug stats: http://${address.address}:${address.port}/debug/stats`);
  console.log(`listening on ${address.address}:${address.port}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await server.shutdown();
    backend.stop();
    console.log('shutdown complete');
    // Leaked timers (that is the point of this sample) would keep the process alive.
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`game server failed to start: ${error.message}`);
  console.error(USAGE);
  process.exit(2);
});
