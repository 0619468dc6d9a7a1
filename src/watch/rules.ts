/**
 * Threshold rules, checked on every snapshot of every thread:
 * - `site_score`: a suspect of any kind (async site, listener, holder, promise reactions, stuck
 *   promises) scores at least N;
 * - `resource_growth`: the live resources (all but promises, whose counts are sampled) or a
 *   single site's count rose in each of the last N snapshots;
 * - `heap_growth`: the heap in use grew by at least N MB per minute, fitted over a window.
 */
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import type { Suspect } from '../protocol/report';
import { threadName } from '../presentation';

/** `stuck_promises`: a periodic promise census counted at least N promises that can never settle. */
export type RuleName = 'site_score' | 'resource_growth' | 'heap_growth' | 'stuck_promises';

export interface RuleOptions {
  scoreAtLeast?: number;
  growthIntervals?: number;
  heapGrowthMbPerMin?: number;
  /** Heap readings the growth rate is fitted over (default 60 s). */
  heapWindowS?: number;
  /** Fires when a promise census counts this many promises that can never settle. */
  stuckPromisesAtLeast?: number;
}

export interface Firing {
  rule: RuleName;
  reason: string;
}

const MB = 1024 * 1024;

interface Streak {
  count: number;
  rises: number;
}

/** What one thread's rules remember between snapshots. */
class ThreadState {
  total: Streak | undefined;
  readonly sites = new Map<string, Streak>();
  readonly heap: Array<{ at: number; used: number }> = [];
}

export class Rules {
  private readonly threads = new Map<string, ThreadState>();

  constructor(private readonly options: RuleOptions) {}

  /**
   * The rules this snapshot of one thread crosses. `suspects` (the report's, every kind and
   * thread) feed the score rule; without them, the thread's async sites do.
   */
  check(target: string, report: AsyncSnapshotReport, heapUsed: number | undefined, suspects?: readonly Suspect[]): Firing[] {
    const key = `${target}\0${report.target.threadId}`;
    let state = this.threads.get(key);
    if (!state) this.threads.set(key, (state = new ThreadState()));
    const firings: Firing[] = [];
    const { scoreAtLeast, growthIntervals, heapGrowthMbPerMin } = this.options;

    if (scoreAtLeast !== undefined && suspects) {
      const thread = threadName(report.target.threadId);
      const worst = suspects.find((suspect) => suspect.thread === thread && suspect.score >= scoreAtLeast);
      if (worst) firings.push({ rule: 'site_score', reason: `${describeSuspect(worst)} scores ${worst.score} (≥ ${scoreAtLeast})` });
    } else if (scoreAtLeast !== undefined) {
      const worst = report.sites.find((site) => site.score >= scoreAtLeast);
      if (worst) firings.push({ rule: 'site_score', reason: `${describeSite(worst)} scores ${worst.score} (≥ ${scoreAtLeast})` });
    }
    if (growthIntervals !== undefined) {
      const growing = this.growth(state, report, growthIntervals);
      if (growing) firings.push({ rule: 'resource_growth', reason: `${growing} rose in each of the last ${growthIntervals} snapshots` });
    }
    if (heapGrowthMbPerMin !== undefined && heapUsed !== undefined) {
      const rate = this.heapRate(state, report.takenAt, heapUsed);
      if (rate !== undefined && rate >= heapGrowthMbPerMin) {
        firings.push({ rule: 'heap_growth', reason: `heap grows ${rate.toFixed(1)} MB/min (≥ ${heapGrowthMbPerMin})` });
      }
    }
    return firings;
  }

  /** The rule a promise census crosses (checked once per census, for the whole target). */
  checkStuckPromises(stuck: number): Firing | undefined {
    const { stuckPromisesAtLeast } = this.options;
    if (stuckPromisesAtLeast === undefined || stuck < stuckPromisesAtLeast) return undefined;
    return { rule: 'stuck_promises', reason: `${stuck} promises can never settle (≥ ${stuckPromisesAtLeast})` };
  }

  /** A re-attached target starts afresh. */
  forget(target: string): void {
    for (const key of this.threads.keys()) if (key.startsWith(`${target}\0`)) this.threads.delete(key);
  }

  private growth(state: ThreadState, report: AsyncSnapshotReport, intervals: number): string | undefined {
    const total = Object.entries(report.totalsByType).reduce((sum, [type, n]) => (type === 'Promise' ? sum : sum + (n ?? 0)), 0);
    state.total = advance(state.total, total);
    let found = state.total.rises >= intervals ? `live resources (${total})` : undefined;
    const seen = new Set<string>();
    for (const site of report.sites) {
      if (site.type === 'Promise' || seen.has(site.key)) continue;
      seen.add(site.key);
      const streak = advance(state.sites.get(site.key), site.count);
      state.sites.set(site.key, streak);
      if (!found && streak.rises >= intervals) found = `${describeSite(site)} (${site.count} live)`;
    }
    for (const key of state.sites.keys()) if (!seen.has(key)) state.sites.delete(key);
    return found;
  }

  /** MB per minute: the least-squares slope of the readings in the window, once it is half full. */
  private heapRate(state: ThreadState, at: number, used: number): number | undefined {
    const windowMs = (this.options.heapWindowS ?? 60) * 1000;
    state.heap.push({ at, used });
    while (state.heap.length > 0 && state.heap[0].at < at - windowMs) state.heap.shift();
    if (state.heap.length < 3 || at - state.heap[0].at < windowMs / 2) return undefined;
    const n = state.heap.length;
    const meanT = state.heap.reduce((sum, r) => sum + r.at, 0) / n;
    const meanU = state.heap.reduce((sum, r) => sum + r.used, 0) / n;
    let covariance = 0;
    let variance = 0;
    for (const r of state.heap) {
      covariance += (r.at - meanT) * (r.used - meanU);
      variance += (r.at - meanT) ** 2;
    }
    return variance === 0 ? undefined : ((covariance / variance) * 60_000) / MB;
  }
}

function advance(streak: Streak | undefined, count: number): Streak {
  return { count, rises: streak && count > streak.count ? streak.rises + 1 : 0 };
}

function describeSuspect(suspect: Suspect): string {
  const where = suspect.location ? `${suspect.location.path}:${suspect.location.line}` : (suspect.holder ?? 'an unknown site');
  return `${suspect.kind} suspect "${suspect.title}" at ${where}`;
}

function describeSite(site: AsyncSnapshotReport['sites'][number]): string {
  const where = site.location ? `${site.location.path}:${site.location.line}` : (site.callbackHint ?? 'an unknown site');
  return `${site.type} at ${where}`;
}
