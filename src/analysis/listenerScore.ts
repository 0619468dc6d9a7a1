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
import { trendGrowth } from './scoreFactors';

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
  /** Sampled listeners whose closure holds a closed connection, of those holding one (the engine's check). */
  closureGoneCount?: number;
  closureKnownCount?: number;
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
/** Listeners on one emitter at which concentration counts fully (log scale from 1). */
const FULL_PER_EMITTER = 316;
/** Emitters and registrations younger than this are no evidence either way. */
const SETTLING_MS = 60_000;

/**
 * How far the group piles on one emitter, 0 (one per emitter: a listener of each socket on that
 * socket) to 1 (Node's warning level and beyond). Owners gone count only this far: a listener
 * on its own connection's emitter goes with it; one on a shared emitter outlives it.
 */
function shared(maxPerEmitter: number): number {
  return Math.min(1, Math.max(0, maxPerEmitter - 1) / (NORMAL_PER_EMITTER - 1));
}

/** Owners gone, from the agent's sampled registrations and the engine's closure check together. */
function goneShare({ ownerGoneCount, ownerKnownCount, closureGoneCount = 0, closureKnownCount = 0 }: ListenerEvidence): { share: number; shown: string } | undefined {
  const known = ownerKnownCount + closureKnownCount;
  if (known === 0) return undefined;
  const parts = [
    ...(ownerKnownCount > 0 ? [`${ownerGoneCount} of ${ownerKnownCount} sampled registrations belong to a closed connection or a disconnected player/room`] : []),
    ...(closureKnownCount > 0 ? [`${closureGoneCount} of ${closureKnownCount} sampled listeners hold a closed connection in their closure`] : []),
  ];
  return { share: (ownerGoneCount + closureGoneCount) / known, shown: parts.join('; ') };
}

const concentration: ListenerFactor = {
  name: 'one-emitter',
  weight: 25,
  assess({ maxPerEmitter, emitters, count }) {
    const value = Math.log10(Math.max(1, maxPerEmitter)) / Math.log10(FULL_PER_EMITTER);
    const spread = emitters === 1 ? `all ${count} on one emitter` : `up to ${maxPerEmitter} on one emitter (${count} on ${emitters} emitters)`;
    return { value, explanation: `${spread}; Node warns past ${NORMAL_PER_EMITTER} per event and emitter` };
  },
};

const growth: ListenerFactor = {
  name: 'growth',
  weight: 20,
  assess({ trend }) {
    return trendGrowth(trend, 'first census of this group: no growth evidence yet');
  },
};

/** The strongest single sign: listeners left on a shared emitter by connections that have closed. */
const ownerGone: ListenerFactor = {
  name: 'owner-gone',
  weight: 35,
  assess(evidence) {
    const gone = goneShare(evidence);
    if (!gone) return { value: 0, explanation: 'owner unknown (no sampled registration inside a connection or player context, no closure holding a connection)' };
    const onShared = shared(evidence.maxPerEmitter);
    const where = onShared >= 1 ? '' : onShared === 0 ? ' (each on its own emitter: they go with it)' : ` (only ${evidence.maxPerEmitter} on one emitter: counted ${Math.round(onShared * 100)}%)`;
    return { value: gone.share * onShared, explanation: `${gone.shown}${where}` };
  },
};

const longLivedEmitter: ListenerFactor = {
  name: 'long-lived-emitter',
  weight: 10,
  assess(evidence) {
    const { emitterLabel, emitterAgeMs, emitterPreexisting, processUptimeMs, maxPerEmitter } = evidence;
    if (emitterLabel === 'process') return { value: 1, explanation: '`process` lives as long as the server: its listeners are never freed' };
    if (emitterPreexisting) return { value: 1, explanation: `the emitter existed before the attach (known for at least ${formatDuration(emitterAgeMs)}): a long-lived one` };
    const outlived = (goneShare(evidence)?.share ?? 0) * shared(maxPerEmitter);
    if (outlived > 0) return { value: outlived, explanation: `the emitter outlived the closed connections whose listeners it still holds` };
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
 * Concentration, growth and owner-gone carry 80 of the 100. Without owners gone a group cannot
 * reach "medium" before it has grown (many old listeners on a long-lived emitter is what a
 * healthy server looks like: at most 25 + 10 + 10); many on one emitter with most owners gone
 * does on its first census (the obvious leak: 12 on one bus, all owners closed, scores 56).
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
