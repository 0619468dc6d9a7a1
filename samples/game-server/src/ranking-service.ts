/**
 * The backend the game server depends on, run as a separate process (as it would be in
 * production): a ranking service over HTTP and a small key-value store over TCP. The game
 * server starts it with `fork` and reads the ports from its first IPC message; it exits when
 * its parent goes away.
 *
 * Ranking: `GET /rank/<playerId>?wait=MS` is a long poll that answers within `wait` ms with
 * the player's current rank; a configurable share of requests fail with 503, as a loaded
 * service does, so callers must retry.
 * Store: newline-delimited JSON requests `{id, op: get|set|incr, key, value?}` answered with
 * `{id, ok, value?}` or `{id, ok: false, error}`.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { once } from 'node:events';

export interface BackendPorts {
  rankingPort: number;
  storePort: number;
}

const MAX_STORE_LINE = 64 * 1024;

function startRanking(failureRate: number): http.Server {
  const ranks = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const match = /^\/rank\/([A-Za-z0-9_-]{1,32})(?:\?wait=(\d{1,5}))?$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !match) {
      res.writeHead(404).end();
      return;
    }
    const playerId = match[1];
    const waitMs = Math.min(Number(match[2] ?? 0), 5000);
    const answer = setTimeout(() => {
      if (Math.random() < failureRate) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"overloaded"}');
        return;
      }
      const rank = (ranks.get(playerId) ?? 1000) + Math.round((Math.random() - 0.5) * 20);
      ranks.set(playerId, rank);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rank }));
    }, Math.random() * waitMs);
    req.on('close', () => clearTimeout(answer));
  });
  // Idle keep-alive connections are closed soon, so a caller that stops polling lets go of them.
  server.keepAliveTimeout = 1000;
  return server;
}

function startStore(): net.Server {
  const data = new Map<string, string>();
  return net.createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_STORE_LINE) {
        socket.destroy();
        return;
      }
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        socket.write(JSON.stringify(handleStoreRequest(data, line)) + '\n');
      }
    });
  });
}

function handleStoreRequest(data: Map<string, string>, line: string): object {
  let req: { id?: unknown; op?: unknown; key?: unknown; value?: unknown };
  try {
    req = JSON.parse(line);
  } catch {
    return { id: null, ok: false, error: 'bad request' };
  }
  const { id, op, key } = req;
  if (typeof key !== 'string') return { id, ok: false, error: 'key must be a string' };
  switch (op) {
    case 'get':
      return { id, ok: true, value: data.get(key) ?? null };
    case 'set':
      data.set(key, String(req.value));
      return { id, ok: true };
    case 'incr': {
      const value = Number(data.get(key) ?? 0) + 1;
      data.set(key, String(value));
      return { id, ok: true, value };
    }
    default:
      return { id, ok: false, error: `unknown op ${String(op)}` };
  }
}

async function main(): Promise<void> {
  const failureRate = Number(process.env.RANKING_FAILURE_RATE ?? '0.2');
  const ranking = startRanking(failureRate);
  const store = startStore();
  ranking.listen(0, '127.0.0.1');
  store.listen(0, '127.0.0.1');
  await Promise.all([once(ranking, 'listening'), once(store, 'listening')]);
  const ports: BackendPorts = {
    rankingPort: (ranking.address() as net.AddressInfo).port,
    storePort: (store.address() as net.AddressInfo).port,
  };
  if (process.send) {
    process.send(ports);
    process.on('disconnect', () => process.exit(0));
  } else {
    console.log(`ranking on 127.0.0.1:${ports.rankingPort}, store on 127.0.0.1:${ports.storePort}`);
  }
}

void main();
