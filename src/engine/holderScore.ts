/**
 * The leak score of something that grew by holder (a container's entries, an emitter's
 * listeners, a promise's reactions), on the same 0–100 scale as async sites: how many were
 * added, whether the added ones stayed (nothing pruned), how much of what is held is new, the
 * bytes they keep, how long the holder lives, and whether they keep connections that closed.
 * A holder that gained one entry per churned player and keeps them all scores high; a cache
 * that grew by three entries stays low.
 */
import { severityOf } from '../analysis/leakScore';
import type { ScoreFactor, Severity } from '../protocol/asyncSnapshot';
import { formatBytes } from '../presentation/bytes';
import { factor, scoreOf } from '../analysis/scoreFactors';

/** Added this many counts as full evidence (log scale); one per player of a small scenario. */
const FULL_ADDED = 16;
/** Below this many added, "kept" and "share" only count in part: a few may be a cache warming up. */
const SMALL_ADDED = 8;
const SIZE_FLOOR = 1024;
const SIZE_DECADES = 3;

/** How long the holder lives: a module variable or a process-wide object lives as long as the process. */
export type HolderLifetime = 'process' | 'object' | 'scope' | 'unknown';

export interface GrowthEvidence {
  /** What grew, for the explanations: `entries`, `listeners`, `reactions`. */
  noun: string;
  beforeCount: number;
  afterCount: number;
  /** Entries whose objects are new in the second snapshot. */
  newCount: number;
  addedBytes: number;
  lifetime: HolderLifetime;
  holderName: string;
  ownerGone: number;
}

export function scoreHolderGrowth(evidence: GrowthEvidence): { score: number; severity: Severity; factors: ScoreFactor[] } {
  const { noun, beforeCount, afterCount, newCount, addedBytes, lifetime, holderName, ownerGone } = evidence;
  const added = Math.max(0, afterCount - beforeCount);
  const small = Math.min(1, added / SMALL_ADDED);
  const factors = [
    factor('added', 30, Math.log2(1 + added) / Math.log2(1 + FULL_ADDED), `${added} ${noun} added between the snapshots (${beforeCount} → ${afterCount})`),
    factor('kept', 20, newCount === 0 ? 0 : (Math.min(added, newCount) / newCount) * small, `${newCount} new ${noun}, ${Math.min(added, newCount)} of them not offset by removals`),
    factor('share', 15, afterCount === 0 ? 0 : (added / afterCount) * small, `${Math.round((100 * added) / Math.max(1, afterCount))}% of what it holds is new`),
    factor('size', 15, addedBytes <= SIZE_FLOOR ? 0 : Math.log10(addedBytes / SIZE_FLOOR) / SIZE_DECADES, `${formatBytes(addedBytes)} retained by the new ${noun}`),
    factor('holder', 20, LIFETIME_VALUE[lifetime], LIFETIME_TEXT[lifetime](holderName)),
    factor('owner-gone', 10, newCount === 0 ? 0 : ownerGone / newCount, ownerGone > 0 ? `${ownerGone} of the new ${noun} keep a connection that has closed` : 'no closed connection found in what they keep'),
  ];
  const score = scoreOf(factors);
  return { score, severity: severityOf(score), factors };
}

const LIFETIME_VALUE: Record<HolderLifetime, number> = { process: 1, object: 0.8, scope: 0.6, unknown: 0.3 };
const LIFETIME_TEXT: Record<HolderLifetime, (name: string) => string> = {
  process: (name) => `held by ${name}, which lives as long as the process`,
  object: (name) => `held by ${name}, a property of a long-lived object of the program`,
  scope: (name) => `held by ${name}, a closure variable: lives as long as its scope`,
  unknown: (name) => `held by ${name}`,
};

