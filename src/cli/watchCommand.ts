/**
 * `leak-inspector watch --inspect TARGET [--inspect TARGET …] [--interval S]
 *   [--metrics HOST:PORT] [--dump-dir DIR] [--timeline FILE] [--scan-listeners]
 *   [--promise-census-every S] [rule flags]`
 * Runs until SIGINT or SIGTERM, then detaches from every target and exits 0.
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { PromiseTracking } from '../engine/agentConfig';
import { listenerScanOptions } from '../engine/inspection';
import type { AgentConfig } from '../protocol/agentSnapshot';
import { parseMetricsAddress } from '../watch/exporter';
import type { RuleOptions } from '../watch/rules';
import { Watcher } from '../watch/watcher';

export interface WatchCommandOptions {
  targets: string[];
  intervalS: number;
  metrics?: string;
  topSites: number;
  dumpDir?: string;
  dumpCooldownS: number;
  profileS: number;
  allowHeapSnapshot: boolean;
  minFreeMb: number;
  rules: RuleOptions;
  timelineFile?: string;
  allowRemoteHosts: string[];
  agent: Partial<AgentConfig>;
  promiseTracking: PromiseTracking;
  /** Look for emitters created before the attach (a heap walk: pauses each target once). */
  scanListeners: boolean;
  /** Seconds between exact promise censuses (a heap snapshot each: pauses the target). */
  promiseCensusEveryS?: number;
}

/** The rule `--dump-dir` uses when no rule flag is given: a high leak score. */
const DEFAULT_SCORE_RULE = 80;

export async function watchCommand(options: WatchCommandOptions, log: (line: string) => void): Promise<number> {
  const rules: RuleOptions = { ...options.rules };
  const anyRule = rules.scoreAtLeast !== undefined || rules.growthIntervals !== undefined || rules.heapGrowthMbPerMin !== undefined || rules.stuckPromisesAtLeast !== undefined;
  if (rules.stuckPromisesAtLeast !== undefined && options.promiseCensusEveryS === undefined) throw new Error('--dump-on-stuck-promises needs --promise-census-every S (the census is what counts them)');
  if (anyRule && !options.dumpDir) throw new Error('rules write dumps: give --dump-dir DIR');
  if (options.dumpDir && !anyRule) rules.scoreAtLeast = DEFAULT_SCORE_RULE;
  if (options.allowHeapSnapshot && !options.dumpDir) throw new Error('--allow-heap-snapshot needs --dump-dir DIR');
  if (options.dumpDir) await mkdir(options.dumpDir, { recursive: true });

  const watcher = new Watcher({
    targets: options.targets,
    intervalS: options.intervalS,
    metrics: options.metrics === undefined ? undefined : parseMetricsAddress(options.metrics, options.allowRemoteHosts),
    topSites: options.topSites,
    rules,
    dumps: options.dumpDir
      ? { dir: path.resolve(options.dumpDir), cooldownS: options.dumpCooldownS, profileS: options.profileS, allowHeapSnapshot: options.allowHeapSnapshot, minFreeBytes: options.minFreeMb * 1024 * 1024, sampling: { promiseTracking: options.promiseTracking } }
      : undefined,
    timelineFile: options.timelineFile === undefined ? undefined : path.resolve(options.timelineFile),
    attachOptions: { allowRemoteHosts: options.allowRemoteHosts, agent: options.agent, listeners: listenerScanOptions('watch', { scanListeners: options.scanListeners, onNotice: log }) },
    promiseTracking: options.promiseTracking,
    promiseCensusEveryS: options.promiseCensusEveryS,
    root: process.cwd(),
    log,
  });
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const url = await watcher.start();
  if (url) log(`metrics on ${url}`);
  if (options.promiseCensusEveryS !== undefined) log(`promise census every ${options.promiseCensusEveryS} s: each is a heap snapshot that pauses the target (its estimate is logged before each)`);
  log(`watching ${options.targets.length} target${options.targets.length === 1 ? '' : 's'} every ${options.intervalS} s; Ctrl-C to stop`);
  const signal = await stopped;
  log(`${signal}: detaching`);
  await watcher.stop();
  log('detached from every target');
  return 0;
}
