/**
 * The ranking RPC: a long poll against the ranking service that pushes rank changes to the
 * player, retrying with exponential backoff because the service sheds load with 503s.
 */
import * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RankingClientOptions {
  port: number;
  /** How long the service may hold a poll before answering. */
  pollWaitMs: number;
  requestTimeoutMs: number;
  maxBackoffMs: number;
}

export class RankingClient {
  private readonly agent = new http.Agent({ keepAlive: true });
  private running = 0;

  constructor(private readonly options: RankingClientOptions) {}

  /** Number of watch loops still running (one per watched player, until it stops). */
  get activeWatches(): number {
    return this.running;
  }

  getRank(playerId: string, signal?: AbortSignal): Promise<number> {
    const { port, pollWaitMs, requestTimeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: `/rank/${playerId}?wait=${pollWaitMs}`, agent: this.agent, timeout: requestTimeoutMs, signal },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`ranking answered ${res.statusCode}`));
            try {
              resolve((JSON.parse(body) as { rank: number }).rank);
            } catch (error) {
              reject(error as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`ranking timed out after ${requestTimeoutMs} ms`)));
      req.on('error', reject);
    });
  }

  /**
   * Polls the player's rank until `signal` aborts, calling `onRank` on every answer.
   * Without a signal the loop has no way to learn that its player has gone.
   */
  async watch(playerId: string, onRank: (rank: number) => void, signal: AbortSignal | undefined): Promise<void> {
    this.running++;
    let failures = 0;
    try {
      while (!signal?.aborted) {
        try {
          onRank(await this.getRank(playerId, signal));
          failures = 0;
          await sleep(this.options.pollWaitMs, undefined, { signal });
        } catch {
          if (signal?.aborted) return;
          failures++;
          await sleep(Math.min(100 * 2 ** failures, this.options.maxBackoffMs), undefined, { signal });
        }
      }
    } catch {
      // AbortError from a sleep: the player left.
    } finally {
      this.running--;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
