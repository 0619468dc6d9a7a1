/** Shared by the benchmarks: drive a sample server with closed-loop bots and summarise runs. */
import { runBots, type BotFigures } from '../../src/sample/sampleServer';

export const LOAD = { players: 40, durationS: 4, paceMs: 0, dropRate: 0.3 };

/**
 * One load run: bots attack as fast as the server acknowledges, so throughput is the server's.
 * `overrides` changes the standard load, e.g. a longer warm-up run.
 */
export async function loadOnce(wsUrl: string, seed: number, overrides: Partial<typeof LOAD> = {}): Promise<BotFigures> {
  const { figures } = await runBots({ url: wsUrl, ...LOAD, ...overrides, seed });
  if (figures.errors > 0) throw new Error(`bots saw ${figures.errors} errors: the run is not a valid measurement`);
  return figures;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function describeRuns(label: string, values: number[], unit: string): string {
  return `${label}: median ${round(median(values))} ${unit} (min ${round(Math.min(...values))}, max ${round(Math.max(...values))}, n=${values.length})`;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
