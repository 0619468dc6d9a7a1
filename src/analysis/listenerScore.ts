/**
 * Leak score of a listener group, on the same 0–100 scale and severity bands as async sites
 * (`severityOf`). What tells a listener leak from normal wiring: many listeners of one kind on
 * ONE emitter (a per-connection listener on per-connection sockets is normal; the same listener
 * piling up on a bus, `process` or a shared client is the leak), a count that keeps rising, and
 * registrations whose connection or player has gone while their listener stays.
 */
import type { ScoreFactor } from '../protocol/asyncSnapshot';
import { formatDuration } from '../presentation/duration';
import { severityOf, type SiteScore } from './leakScore';

export interface ListenerEvidence {
  /** Live listeners of the group, on all its emitters. */
  count: number;
  emitters: number;
  /** The most listeners of the group on one emitter. */
  maxPerEmitter: number;
  /** Counts in recent snapshots, oldest → newest, ending with the current one. */
  trend: readonly number[];
  ownerGoneCount: number;
  ownerKnownCount: number;
  /** `process`, `AbortSignal`, a constructor name. */
  emitterLabel: string;
  /** How long the agent has known the emitter holding the most (a lower bound when preexisting). */
  emitterAgeMs: number;
  emitterPreexisting: boolean;
  /** Age of the oldest sampled registration; undefined when none was sampled. */
  oldestAgeMs: number | undefined;
  processUptimeMs: number;
}

export interface ListenerFactor {
  name: string;
  weight: number;
  assess(evidence: ListenerEvidence): { value: number; explanation: string };
}

/** Node warns past 10 listeners for one event on one emitter (`defaultMaxListeners`). */
const NORMAL_PER_EMITTER = 10;
/** Listeners on one emitter at which concentration counts fully: 10^(1 + 1.5) ≈ 316. */
const FULL_CONCENTRATION_DECADES = 1.5;
const FULL_GROWTH_INTERVALS = 3;
/** Emitters and registrations younger than this are no evidence either way. */
const SETTLING_MS = 60_000;

const concentration: ListenerFactor = {
  name: 'one-emitter',
  weight: 30,
  assess({ maxPerEmitter, emitters, count }) {
    const value = (Math.log10(Math.max(1, maxPerEmitter)) - Math.log10(NORMAL_PER_EMITTER)) / FULL_CONCENTRATION_DECADES;
    const spread = emitters === 1 ? `all ${count} on one emitter` : `up to ${maxPerEmitter} on one emitter (${count} on ${emitters} emitters)`;
    return { value, explanation: `${spread}; Node warns past ${NORMAL_PER_EMITTER} per event and emitter` };
  },
};

const growth: ListenerFactor = {
  name: 'growth',
  weight: 25,
  assess({ trend }) {
    const intervals = trend.length - 1;
    if (intervals < 1) return { value: 0, explanation: 'first census of this group: no growth evidence yet' };
    const shown = trend.join(' → ');
    if (trend[trend.length - 1] <= trend[0]) return { value: 0, explanation: `not growing: ${shown}` };
    let rises = 0;
    let falls = 0;
    for (let index = 1; index < trend.length; index++) {
      if (trend[index] > trend[index - 1]) rises++;
      else if (trend[index] < trend[index - 1]) falls++;
    }
    // As for async sites: steadiness, not the last delta, tells a leak from churn.
    const value = ((rises - falls) / intervals) * Math.min(1, intervals / FULL_GROWTH_INTERVALS);
    return { value, explanation: `rose in ${rises} and fell in ${falls} of ${intervals} intervals: ${shown}` };
  },
};

const ownerGone: ListenerFactor = {
  name: 'owner-gone',
  weight: 25,
  assess({ ownerGoneCount, ownerKnownCount }) {
    if (ownerKnownCount === 0) return { value: 0, explanation: 'owner unknown (no sampled registration inside a connection or player context)' };
    return {
      value: ownerGoneCount / ownerKnownCount,
      explanation: `${ownerGoneCount} of ${ownerKnownCount} sampled registrations belong to a closed connection or a disconnected player/room`,
    };
  },
};

const longLivedEmitter: ListenerFactor = {
  name: 'long-lived-emitter',
  weight: 10,
  assess({ emitterLabel, emitterAgeMs, emitterPreexisting, processUptimeMs }) {
    if (emitterLabel === 'process') return { value: 1, explanation: '`process` lives as long as the server: its listeners are never freed' };
    if (emitterPreexisting) return { value: 1, explanation: `the emitter existed before the attach (known for at least ${formatDuration(emitterAgeMs)}): a long-lived one` };
    const share = processUptimeMs > 0 ? emitterAgeMs / processUptimeMs : 0;
    return { value: Math.min(1, emitterAgeMs / SETTLING_MS) * share, explanation: `the emitter is ${formatDuration(emitterAgeMs)} old, ${Math.round(share * 100)}% of the process uptime` };
  },
};

const age: ListenerFactor = {
  name: 'age',
  weight: 10,
  assess({ oldestAgeMs, processUptimeMs }) {
    if (oldestAgeMs === undefined) return { value: 0, explanation: 'registration times unknown (registered before the attach or not sampled)' };
    const share = processUptimeMs > 0 ? oldestAgeMs / processUptimeMs : 0;
    return { value: Math.min(1, oldestAgeMs / SETTLING_MS) * share, explanation: `oldest sampled listener registered ${formatDuration(oldestAgeMs)} ago, ${Math.round(share * 100)}% of the process uptime` };
  },
};

/**
 * Concentration, growth and owner-gone carry 80 of the 100: without one of them a group cannot
 * leave "low" (a long-lived emitter with old listeners is what a healthy server looks like).
 */
export const LISTENER_FACTORS: readonly ListenerFactor[] = [concentration, growth, ownerGone, longLivedEmitter, age];

export function scoreListenerGroup(evidence: ListenerEvidence, factors: readonly ListenerFactor[] = LISTENER_FACTORS): SiteScore {
  const assessed = factors.map(({ name, weight, assess }): ScoreFactor => {
    const { value, explanation } = assess(evidence);
    const clamped = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
    return { name, weight, value: clamped, points: Math.round(weight * clamped), explanation };
  });
  const score = Math.min(100, assessed.reduce((sum, factor) => sum + factor.points, 0));
  return { score, severity: severityOf(score), factors: assessed };
}
