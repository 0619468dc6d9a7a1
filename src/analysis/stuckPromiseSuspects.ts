/**
 * Stuck-promise groups from a heap snapshot as ranked suspects (`stuck-promise`), on the same
 * 0–100 scale as every other kind. Being provably stuck is strong evidence on its own (no false
 * positive by construction); many of them, held by something long-lived, and growing add to it.
 * A single one scores medium at most: `await new Promise(() => {})` keeping `main` alive is a
 * known idiom.
 */
import type { ScoreFactor } from '../protocol/asyncSnapshot';
import type { PromiseHeapAnalysis, StuckPromiseGroup } from '../protocol/heap';
import type { Suspect } from '../protocol/report';
import { severityOf } from './leakScore';

/** This many stuck promises at one site count as full evidence of a per-request/per-player leak. */
const FULL_COUNT = 5;

export interface StuckPromiseSuspectOptions {
  /** Thread the snapshot was taken in (default `main`). */
  thread?: string;
  /** Counts per suspect key at the previous observation, for growth. */
  previous?: ReadonlyMap<string, number>;
}

export function stuckPromiseKey(group: StuckPromiseGroup): string {
  const { site } = group;
  const where = site.location ? `${site.location.path}:${site.location.line}:${site.location.column}` : site.scriptLocation ? `script ${site.scriptLocation.scriptId}:${site.scriptLocation.line}:${site.scriptLocation.column}` : (site.holder ?? group.holder).replace(/\[\d+\]/g, '[]');
  return `stuck-promise:${site.kind}:${site.functionName}:${where}`;
}

export function toStuckPromiseSuspects(analysis: PromiseHeapAnalysis, options: StuckPromiseSuspectOptions = {}): Suspect[] {
  return analysis.stuck
    .map((group) => {
      const key = stuckPromiseKey(group);
      const previous = options.previous?.get(key);
      const growth = previous === undefined ? null : group.count - previous;
      const factors = [provablyStuck(), many(group), heldBy(group), growing(growth)];
      const score = Math.min(100, factors.reduce((sum, factor) => sum + factor.points, 0));
      const suspect: Suspect = {
        kind: 'stuck-promise',
        key,
        title: titleOf(group),
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
          { label: 'why', value: group.explanation },
          { label: 'held by', value: group.holder },
          ...(group.retainerPath ? [{ label: 'path from the GC roots', value: group.retainerPath.text }] : []),
          { label: 'heap ids', value: group.sampleIds.map((id) => `@${id}`).join(' ') },
        ],
        estimated: false,
      };
      return suspect;
    })
    .sort((a, b) => b.score - a.score || b.count - a.count);
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

function factor(name: string, weight: number, value: number, explanation: string): ScoreFactor {
  const clamped = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
  return { name, weight, value: clamped, points: Math.round(weight * clamped), explanation };
}

function provablyStuck(): ScoreFactor {
  return factor('provably-stuck', 50, 1, 'no resolve/reject function or native operation that could settle them is reachable from live code (heap snapshot)');
}

function many({ count }: StuckPromiseGroup): ScoreFactor {
  return factor('count', 20, count / FULL_COUNT, `${count} at this site (${FULL_COUNT} or more: one per request, player or room)`);
}

function heldBy({ retainerPath, holder }: StuckPromiseGroup): ScoreFactor {
  const steps = retainerPath?.steps ?? [];
  if (steps.some((step) => step.edgeType === 'context' || step.edgeType === 'shortcut')) return factor('held-by', 15, 1, `held through a variable (${holder}): lives as long as its scope`);
  if (steps.length > 0) return factor('held-by', 15, 0.5, `held by ${holder}`);
  return factor('held-by', 15, 0, 'held only by other stuck promises');
}

function growing(growth: number | null): ScoreFactor {
  if (growth === null) return factor('growth', 15, 0, 'first observation');
  return factor('growth', 15, growth > 0 ? 1 : 0, growth > 0 ? `+${growth} since the previous snapshot` : 'not growing since the previous snapshot');
}
