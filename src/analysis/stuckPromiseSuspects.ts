/**
 * Stuck-promise groups from a heap snapshot as ranked suspects (`stuck-promise`), on the same
 * 0–100 scale as every other kind. Being provably stuck is strong evidence on its own (no false
 * positive by construction); many of them, held by something long-lived, and growing add to it.
 * A single one scores medium at most: `await new Promise(() => {})` keeping `main` alive is a
 * known idiom. One suspect per chain's root site: the outer links of the chains (the async
 * functions suspended on them, the promises their handlers derived) are listed as its
 * consequences, their bytes counted with it.
 *
 * Orphaned promises (`orphaned-promise`: pending, could settle, owner gone) start lower: nothing
 * proves they will never settle, so many of them, every owner gone and held by something
 * long-lived reads medium; growth adds to it.
 */
import type { ScoreFactor } from '../protocol/asyncSnapshot';
import { describeConsequence } from '../heap/analysis/pendingPromises';
import type { OrphanedPromiseGroup, PromiseConsequence, PromiseHeapAnalysis, PromiseSite, StuckPromiseGroup } from '../protocol/heap';
import type { Suspect } from '../protocol/report';
import { severityOf } from './leakScore';
import { factor, scoreOf } from './scoreFactors';

/** This many stuck promises at one site count as full evidence of a per-request/per-player leak. */
const FULL_COUNT = 5;

export interface StuckPromiseSuspectOptions {
  /** Thread the snapshot was taken in (default `main`). */
  thread?: string;
  /** Counts per suspect key at the previous observation, for growth. */
  previous?: ReadonlyMap<string, number>;
}

export function stuckPromiseKey(group: StuckPromiseGroup): string {
  return siteKey('stuck-promise', group);
}

export function orphanedPromiseKey(group: OrphanedPromiseGroup): string {
  return siteKey('orphaned-promise', group);
}

function siteKey(kind: string, { site, holder }: { site: PromiseSite; holder: string }): string {
  const where = site.location ? `${site.location.path}:${site.location.line}:${site.location.column}` : site.scriptLocation ? `script ${site.scriptLocation.scriptId}:${site.scriptLocation.line}:${site.scriptLocation.column}` : (site.holder ?? holder).replace(/\[\d+\]/g, '[]');
  return `${kind}:${site.kind}:${site.functionName}:${where}`;
}

export function toStuckPromiseSuspects(analysis: PromiseHeapAnalysis, options: StuckPromiseSuspectOptions = {}): Suspect[] {
  return analysis.stuck
    .map((group) => {
      const key = stuckPromiseKey(group);
      const previous = options.previous?.get(key);
      const growth = previous === undefined ? null : group.count - previous;
      const factors = [provablyStuck(), many(group), heldBy(group), growing(growth)];
      return promiseSuspect('stuck-promise', key, titleOf(group), group, factors, growth, options, [{ label: 'why', value: group.explanation }]);
    })
    .sort((a, b) => b.score - a.score || b.count - a.count);
}

/**
 * Orphaned-promise groups as ranked suspects. `previous`: counts per key of an earlier census.
 */
export function toOrphanedPromiseSuspects(analysis: PromiseHeapAnalysis, options: StuckPromiseSuspectOptions = {}): Suspect[] {
  return (analysis.orphaned ?? [])
    .map((group) => {
      const key = orphanedPromiseKey(group);
      const previous = options.previous?.get(key);
      const growth = previous === undefined ? null : group.count - previous;
      const factors = [ownersGone(group), many(group, 15), heldBy(group, 10), growing(growth)];
      return promiseSuspect('orphaned-promise', key, orphanedTitle(group), group, factors, growth, options, [
        { label: 'why', value: group.explanation },
        { label: 'owner', value: group.ownerEvidence },
      ]);
    })
    .sort((a, b) => b.score - a.score || b.count - a.count);
}

/** One suspect from a group of promises (stuck or orphaned): the fields both kinds share. */
function promiseSuspect(
  kind: 'stuck-promise' | 'orphaned-promise',
  key: string,
  title: string,
  group: StuckPromiseGroup | OrphanedPromiseGroup,
  factors: ScoreFactor[],
  growth: number | null,
  options: StuckPromiseSuspectOptions,
  why: Array<{ label: string; value: string }>,
): Suspect {
  const score = scoreOf(factors);
  return {
    kind,
    key,
    title,
    location: group.site.location ?? null,
    holder: group.holder,
    thread: options.thread ?? 'main',
    score,
    severity: severityOf(score),
    factors,
    count: group.count,
    growth,
    retainedBytes: group.retainedSize,
    paths: [],
    details: [
      ...why,
      { label: 'held by', value: group.holder },
      ...consequenceDetails(group.consequences),
      ...(group.retainerPath ? [{ label: 'path from the GC roots', value: group.retainerPath.text }] : []),
      { label: 'heap ids', value: group.sampleIds.map((id) => `@${id}`).join(' ') },
    ],
    estimated: false,
  };
}

function consequenceDetails(consequences: PromiseConsequence[] | undefined): Array<{ label: string; value: string }> {
  if (!consequences?.length) return [];
  return [{ label: 'consequences (pending only because of these)', value: consequences.map(describeConsequence).join('; ') }];
}

function orphanedTitle({ site, count }: OrphanedPromiseGroup): string {
  const plural = count === 1 ? '' : 's';
  switch (site.kind) {
    case 'async-function':
      return `${count} call${plural} of ${site.functionName} waiting for an owner that is gone`;
    case 'awaiter':
      return `${count} promise${plural} awaited by ${site.functionName} whose owner is gone`;
    case 'handler':
      return `${count} promise${plural} with handler ${site.functionName} whose owner is gone`;
    default:
      return `${count} promise${plural} whose owner is gone, held by ${site.holder}`;
  }
}

function ownersGone({ count, siteCount, ownerEvidence }: OrphanedPromiseGroup): ScoreFactor {
  return factor('owner-gone', 25, siteCount > 0 ? count / siteCount : 1, `${count} of ${siteCount} pending at this site: ${ownerEvidence}; they could still settle (a resolver is reachable), so not provably stuck`);
}

function titleOf({ site, count }: StuckPromiseGroup): string {
  const promises = `${count} promise${count === 1 ? '' : 's'} that can never settle`;
  switch (site.kind) {
    case 'async-function':
      return `${count} call${count === 1 ? '' : 's'} of ${site.functionName} suspended for good`;
    case 'awaiter':
      return `${promises}, awaited by ${site.functionName}`;
    case 'handler':
      return `${promises}, with handler ${site.functionName}`;
    default:
      return `${promises}, held by ${site.holder}`;
  }
}


function provablyStuck(): ScoreFactor {
  return factor('provably-stuck', 50, 1, 'no resolve/reject function or native operation that could settle them is reachable from live code (heap snapshot)');
}

function many({ count }: { count: number }, weight = 20): ScoreFactor {
  return factor('count', weight, count / FULL_COUNT, `${count} at this site (${FULL_COUNT} or more: one per request, player or room)`);
}

function heldBy({ retainerPath, holder }: { retainerPath: StuckPromiseGroup['retainerPath']; holder: string }, weight = 15): ScoreFactor {
  const steps = retainerPath?.steps ?? [];
  if (steps.some((step) => step.edgeType === 'context' || step.edgeType === 'shortcut')) return factor('held-by', weight, 1, `held through a variable (${holder}): lives as long as its scope`);
  if (steps.length > 0) return factor('held-by', weight, 0.5, `held by ${holder}`);
  return factor('held-by', weight, 0, 'held only by other pending promises');
}

function growing(growth: number | null): ScoreFactor {
  if (growth === null) return factor('growth', 15, 0, 'first observation');
  return factor('growth', 15, growth > 0 ? 1 : 0, growth > 0 ? `+${growth} since the previous snapshot` : 'not growing since the previous snapshot');
}
