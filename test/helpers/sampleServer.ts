/** Test helpers around the real sample game server (a child process) and its bots. */
import type { SampleServer, SampleServerStats } from '../../src/sample/sampleServer';

/**
 * Waits until every player connection is closed and idle store connections have timed out,
 * so that what remains is what the server holds on to, not traffic still in flight.
 */
export async function settle(server: SampleServer, timeoutMs = 8000): Promise<SampleServerStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await server.stats();
    if (stats.connections === 0 && stats.pool.idle === 0) {
      await sleep(300);
      return server.stats();
    }
    if (Date.now() > deadline) throw new Error(`server did not settle within ${timeoutMs} ms: ${JSON.stringify(stats)}`);
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function resourceCount(stats: SampleServerStats, type: string): number {
  return stats.activeResources[type] ?? 0;
}
