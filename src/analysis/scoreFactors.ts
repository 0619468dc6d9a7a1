/**
 * The pieces every leak score is built from, whatever the kind of suspect: a factor is
 * `points = round(weight × value)` with the value clamped to 0..1 and an explanation of what was
 * seen; a score is the sum of its factors' points, at most 100. One definition, so every kind
 * reads on the same scale.
 */
import type { ScoreFactor } from '../protocol/asyncSnapshot';

/** Growth counts as full evidence once it was steady over this many intervals. */
export const FULL_GROWTH_INTERVALS = 3;

export function factor(name: string, weight: number, value: number, explanation: string): ScoreFactor {
  const clamped = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
  return { name, weight, value: clamped, points: Math.round(weight * clamped), explanation };
}

export function scoreOf(factors: readonly ScoreFactor[]): number {
  return Math.min(100, factors.reduce((sum, { points }) => sum + points, 0));
}

/**
 * Steady growth over observations (oldest → newest). Steadiness, not the last delta, tells a
 * leak from noise or churn: a fluctuating count rises about as often as it falls. Few intervals
 * are weak evidence.
 */
export function trendGrowth(trend: readonly number[], firstSighting: string): { value: number; explanation: string } {
  const intervals = trend.length - 1;
  if (intervals < 1) return { value: 0, explanation: firstSighting };
  const shown = trend.join(' → ');
  if (trend[trend.length - 1] <= trend[0]) return { value: 0, explanation: `not growing: ${shown}` };
  let rises = 0;
  let falls = 0;
  for (let index = 1; index < trend.length; index++) {
    if (trend[index] > trend[index - 1]) rises++;
    else if (trend[index] < trend[index - 1]) falls++;
  }
  const value = ((rises - falls) / intervals) * Math.min(1, intervals / FULL_GROWTH_INTERVALS);
  return { value, explanation: `rose in ${rises} and fell in ${falls} of ${intervals} intervals: ${shown}` };
}
