import type { ResourceType } from '../protocol/agentSnapshot';
import type { ClosureEvidence, ScoreFactor, Severity } from '../protocol/asyncSnapshot';
import { formatDuration } from '../presentation/duration';
import { trendGrowth } from './scoreFactors';

/** What the leak factors look at for one site. */
export interface SiteEvidence {
  type: ResourceType;
  count: number;
  oldestAgeMs: number;
  medianAgeMs: number;
  processUptimeMs: number;
  /** Created before the attach: the ages are lower bounds. */
  preexisting: boolean;
  recentCreated: number;
  recentEnded: number;
  meanEndedLifetimeMs?: number;
  ownerGoneCount: number;
  ownerKnownCount: number;
  /** Sockets of `ownerKnownCount` whose owner left but that others wrote to since: shared, not gone. */
  ownerSharedCount?: number;
  /** Counts in recent snapshots, oldest → newest, ending with the current one. */
  trend: readonly number[];
  /**
   * Pending promises only: where a deeper pending promise of the same await chain was created.
   * Like a goroutine dump's blocking frame, the chain's innermost promise is the one to report;
   * its awaiters are pending only because it is.
   */
  awaitsPromiseAt?: string;
  /** Pending promises only: no frame of the program's own code created it (promise machinery). */
  noUserFrame?: boolean;
  /** Timeouts: their delay (the site's first); a short one pending within it is on schedule. */
  delayMs?: number;
  /** Connections the target's servers have open now (players, clients); unknown from older agents. */
  openConnections?: number;
  /** What the closures of sampled callbacks hold (timers with no recorded owner). */
  closures?: ClosureEvidence;
}

/** One explainable term of the score. `assess` returns how strongly (0..1) the evidence points to a leak. */
export interface LeakFactor {
  name: string;
  weight: number;
  assess(evidence: SiteEvidence): { value: number; explanation: string };
}

export interface SiteScore {
  score: number;
  severity: Severity;
  factors: ScoreFactor[];
}

/** The profiler's thresholds: 0–49 keep watching, 50–79 look closer, 80–100 act. */
export function severityOf(score: number): Severity {
  if (score >= 80) return 'high';
  if (score >= 50) return 'medium';
  return 'low';
}

/** Sums the factors' points (`round(weight × value)`), capped at 100. */
export function scoreSite(evidence: SiteEvidence, factors: readonly LeakFactor[] = LEAK_FACTORS): SiteScore {
  const assessed = factors.map(({ name, weight, assess }): ScoreFactor => {
    const { value, explanation } = assess(evidence);
    const clamped = clamp01(value);
    return { name, weight, value: clamped, points: Math.round(weight * clamped), explanation };
  });
  const score = Math.min(100, assessed.reduce((sum, factor) => sum + factor.points, 0));
  return { score, severity: severityOf(score), factors: assessed };
}

/** Resources younger than this are no evidence either way: everything starts young. */
const SETTLING_MS = 60_000;
/** Live resources this many times older than the site's ended ones count as fully suspicious. */
const FULL_LIFETIME_EXCESS = 100;

const age: LeakFactor = {
  name: 'age',
  weight: 10,
  assess({ medianAgeMs, oldestAgeMs, processUptimeMs, meanEndedLifetimeMs, preexisting }) {
    const atLeast = preexisting ? 'at least ' : '';
    const before = preexisting ? `, created before the attach in a process up ${formatDuration(processUptimeMs)}` : '';
    const ages = `median age ${atLeast}${formatDuration(medianAgeMs)} (oldest ${formatDuration(oldestAgeMs)}${before})`;
    const settled = Math.min(1, medianAgeMs / SETTLING_MS);
    if (meanEndedLifetimeMs !== undefined && meanEndedLifetimeMs > 0) {
      // Against the site's own normal lifetime, on a log scale: 10× older is half-suspicious.
      const excess = medianAgeMs / meanEndedLifetimeMs;
      const value = settled * clamp01(Math.log10(excess) / Math.log10(FULL_LIFETIME_EXCESS));
      return { value, explanation: `${ages}: ${formatRatio(excess)} the ${formatDuration(meanEndedLifetimeMs)} mean lifetime of ended ones` };
    }
    const uptimeShare = processUptimeMs > 0 ? medianAgeMs / processUptimeMs : 0;
    const value = settled * uptimeShare;
    return { value, explanation: `${ages}: ${formatPercent(uptimeShare)} of the process uptime; none ended recently to compare with` };
  },
};

/**
 * Kinds that never end on their own: only `clearInterval` stops them. (A pending promise may
 * settle any time; whether one never can is the stuck-promise analysis' question.)
 */
const NEVER_ENDS_ON_ITS_OWN: ReadonlySet<ResourceType> = new Set(['Interval']);
/** A site needs this many resources before its count alone says they piled up. */
const MIN_PILE_UP = 5;
/** A count against open connections is one reading, not a trend: it gives at most this share of the growth points. */
const PILE_UP_SHARE = 0.6;


/**
 * Resources that never end on their own, far more of them than open connections: a
 * per-connection timer numbers one per connection, so the rest piled up before this snapshot
 * (evidence on the first snapshot, for resources created before the attach). 10× counts fully.
 */
function pileUp({ type, count, openConnections }: SiteEvidence): { value: number; explanation: string } | undefined {
  if (openConnections === undefined || !NEVER_ENDS_ON_ITS_OWN.has(type) || count < MIN_PILE_UP) return undefined;
  const excess = count / Math.max(1, openConnections);
  if (excess <= 1) return undefined;
  const connections = openConnections === 1 ? '1 open connection' : `${openConnections} open connections`;
  return { value: PILE_UP_SHARE * clamp01(Math.log10(excess)), explanation: `${count} ${nounOf(type, count)} for ${connections}: they piled up` };
}

/** Growth across snapshots, or a pile-up far above the open connections, whichever says more. */
function accumulation(evidence: SiteEvidence): { value: number; explanation: string } {
  const trend = trendGrowth(evidence.trend, 'first snapshot of this site: no growth evidence yet');
  const piled = pileUp(evidence);
  if (!piled) return trend;
  return piled.value > trend.value ? { value: piled.value, explanation: `${piled.explanation} (${trend.explanation})` } : { value: trend.value, explanation: `${trend.explanation}; ${piled.explanation}` };
}

const growth: LeakFactor = {
  name: 'growth',
  weight: 25,
  assess: accumulation,
};

const STILL_LIVE: Partial<Record<ResourceType, string>> = {
  Interval: 'still repeating',
  Promise: 'still pending',
  Timeout: 'not fired or cleared yet',
};

/** The share of recent creations still live; without any, whether the kind ends on its own. */
function unended({ type, recentCreated, recentEnded, delayMs, oldestAgeMs }: SiteEvidence): { value: number; explanation: string } {
  // A short timeout not due yet is pending as scheduled, however few of its site ended lately
  // (a query timeout caught between request and reply). A long one holds its closure for long.
  if (type === 'Timeout' && delayMs !== undefined && delayMs < SETTLING_MS && oldestAgeMs < delayMs) {
    return { value: 0, explanation: `all younger than their ${formatDuration(delayMs)} delay: pending as scheduled` };
  }
  if (recentCreated === 0) {
    if (NEVER_ENDS_ON_ITS_OWN.has(type)) return { value: 1, explanation: `none created in the agent's recent window, but ${nounOf(type, 2)} repeat until cleared: they never end on their own` };
    return { value: 0, explanation: "none created in the agent's recent window" };
  }
  const live = Math.max(0, recentCreated - recentEnded);
  const state = STILL_LIVE[type] ?? 'not ended';
  return { value: live / recentCreated, explanation: `${live} of ${recentCreated} created recently ${state}` };
}

const neverEnds: LeakFactor = {
  name: 'never-ends',
  weight: 15,
  assess: unended,
};

/**
 * The share of resources whose owner is gone: recorded at creation by the agent, or, for
 * resources it has no owner for (created before the attach), read from the closures of a sample
 * of their callbacks. A sampled callback whose closure holds no connection counts as not gone.
 */
function ownerGoneShare({ ownerGoneCount, ownerKnownCount, ownerSharedCount, count, closures, type }: SiteEvidence): { value: number; explanation: string } {
  if (ownerKnownCount > 0) {
    const shared = ownerSharedCount ? `; ${ownerSharedCount} outlived their owner but were written to since: shared (a pool or client), not gone` : '';
    return {
      value: ownerGoneCount / ownerKnownCount,
      explanation: `${ownerGoneCount} of ${ownerKnownCount} with a known owner (of ${count}) belong to a closed connection or a disconnected player/room${shared}`,
    };
  }
  if (closures && closures.closed + closures.open > 0) {
    const sampled = `${closures.sampled} sampled ${nounOf(type, closures.sampled)}`;
    const held = closures.path ? ` (\`${closures.path}\`)` : '';
    const open = closures.open > 0 ? `; ${closures.open} ${closures.open === 1 ? 'holds' : 'hold'} an open one` : '';
    return { value: closures.closed / closures.sampled, explanation: `closure holds a closed ${closures.kind ?? 'connection'}${held} in ${closures.closed} of ${sampled}${open}` };
  }
  if (closures && closures.sampled > 0) return { value: 0, explanation: `owner unknown: no connection in the closures of ${closures.sampled} sampled ${nounOf(type, closures.sampled)}` };
  return { value: 0, explanation: 'owner unknown (created outside any connection or player context)' };
}

/** Snapshots of a flat count after which gone owners read as a pool or cache, not a pile-up. */
const FLAT_OBSERVATIONS = 4;
/** Growth evidence (0..1) below which a count is "about flat": a stray rise, not a trend. */
const STEADY_GROWTH = 0.5;

const ownerGone: LeakFactor = {
  name: 'owner-gone',
  weight: 30,
  assess(evidence) {
    const share = ownerGoneShare(evidence);
    // A store pool's sockets outlive the player whose request opened them, by design: gone
    // owners with a count that stays flat over several snapshots is a pool or a cache, and
    // counts half. A leak keeps piling up; on a first snapshot nothing is known yet, so no discount.
    const { trend } = evidence;
    if (share.value === 0 || trend.length < FLAT_OBSERVATIONS || trendGrowth(trend, '').value >= STEADY_GROWTH) return share;
    return { value: share.value / 2, explanation: `${share.explanation}, but the count stays about flat over ${trend.length} snapshots (${trend.join(' → ')}): a pool or cache outliving its users rather than a pile-up` };
  },
};

/** How often each type is the leak in practice; long-lived by design scores low. */
const TYPE_PRIORS: Record<ResourceType, { value: number; why: string }> = {
  Interval: { value: 1, why: 'repeats until cleared: the classic forgotten heartbeat' },
  Promise: { value: 1, why: 'a promise that never settles keeps its whole continuation alive' },
  Timeout: { value: 0.5, why: 'fires once, but holds its closure until then' },
  Immediate: { value: 0.2, why: 'runs on the next turn of the loop' },
  TCPSocket: { value: 0.3, why: 'connections are long-lived by design' },
  PipeSocket: { value: 0.3, why: 'connections are long-lived by design' },
  UDPSocket: { value: 0.3, why: 'sockets are long-lived by design' },
  ChildProcess: { value: 0.3, why: 'child processes are usually long-lived by design' },
  Worker: { value: 0.3, why: 'workers are usually long-lived by design' },
  TCPServer: { value: 0, why: 'a listening server lives as long as the process' },
  PipeServer: { value: 0, why: 'a listening server lives as long as the process' },
  Other: { value: 0.2, why: 'unclassified resource' },
};

const typePrior: LeakFactor = {
  name: 'type',
  weight: 10,
  assess({ type, awaitsPromiseAt, noUserFrame }) {
    if (awaitsPromiseAt) return { value: 0, explanation: `Promise awaiting the pending promise created at ${awaitsPromiseAt}, where the chain is blocked` };
    if (type === 'Promise' && noUserFrame) return { value: 0, explanation: 'Promise created by the promise machinery with no frame of the program: its chain is reported where it has one' };
    const { value, why } = TYPE_PRIORS[type];
    return { value, explanation: `${type}: ${why}` };
  },
};

/**
 * Calibration: each factor alone is partial evidence, but a resource whose owner is gone, that
 * keeps accumulating and never ends is a leak beyond reasonable doubt (Go's goroutineleak
 * reports that case with certainty). When the three agree, this factor adds the points that
 * make the site read high: 30 + 25 + 15 + 10 (type) + 10 here. It scales with the weaker of
 * owner-gone and never-ends, and needs some accumulation (growth or a pile-up).
 */
const corroboration: LeakFactor = {
  name: 'corroboration',
  weight: 10,
  assess(evidence) {
    const gone = ownerGoneShare(evidence).value;
    const live = unended(evidence).value;
    // Scaled by how clear the accumulation is: a few stray rises are not a pile-up.
    const accumulated = clamp01(2 * accumulation(evidence).value);
    const accumulating = accumulated > 0;
    const value = Math.min(gone, live, accumulated);
    const signs = `owner gone ${formatPercent(clamp01(gone))}, ${accumulating ? 'accumulating' : 'not accumulating'}, never ending ${formatPercent(clamp01(live))}`;
    return { value, explanation: value > 0 ? `independent signs agree: ${signs}` : `signs do not all agree: ${signs}` };
  },
};

/**
 * The default factors, after the Go profiler's age 30 / blocking 40 / reference depth 30:
 * growth + never-ends play the part of "blocking" (work that keeps piling up), owner-gone the
 * part of the reference chain (held by something that no longer exists).
 *
 * Owner-gone and growth are what tell a leak from long-lived infrastructure, so they carry 55
 * of the 100 (65 with their corroboration). Age, never-ends and type describe a healthy
 * singleton too (a listening server, a game-loop interval started at boot), so together they
 * stay at 35: without growth or a gone owner a site cannot leave "low". A future factor (e.g.
 * retained size) is one more entry here, with the weights rebalanced to 100.
 */
export const LEAK_FACTORS: readonly LeakFactor[] = [age, growth, neverEnds, ownerGone, typePrior, corroboration];

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? `${Math.round(ratio)}×` : `${ratio.toFixed(1)}×`;
}

function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

const NOUNS: Partial<Record<ResourceType, [string, string]>> = {
  Interval: ['interval', 'intervals'],
  Timeout: ['timeout', 'timeouts'],
  Immediate: ['immediate', 'immediates'],
  Promise: ['promise', 'promises'],
};

function nounOf(type: ResourceType, count: number): string {
  const [one, many] = NOUNS[type] ?? [type, `${type}s`];
  return count === 1 ? one : many;
}
