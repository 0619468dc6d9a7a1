/**
 * The leak score of a class that grew between two heap snapshots, on the same 0–100 scale and
 * thresholds as async sites: objects kept rather than churned, held by a long-lived variable,
 * and the bytes they add.
 */
import type { HeapConstructorDiff, RetainerPath } from '../protocol/heap';
import type { ScoreFactor } from '../protocol/asyncSnapshot';
import { formatBytes } from '../presentation/bytes';
import { severityOf } from './leakScore';
import { factor, scoreOf } from './scoreFactors';

/** This many kept objects count as full growth evidence; one or two may be a cache warming up. */
const FULL_GROWTH_COUNT = 5;
/** Bytes added, on a log scale from 1 KiB (nothing) to 1 MiB (full). */
const SIZE_FLOOR = 1024;
const SIZE_DECADES = 3;

/**
 * `grownClasses` are the other classes of the program that grew in the same window: objects held
 * through one of them (a PlayerSession kept by a leaked Battle) are a consequence, not the leak.
 */
export function scoreHeapGrowth(
  diff: HeapConstructorDiff,
  path: RetainerPath | null,
  grownClasses: ReadonlySet<string>,
): { score: number; severity: 'low' | 'medium' | 'high'; factors: ScoreFactor[] } {
  const factors = [kept(diff), heldBy(path, diff.name, grownClasses), size(diff)];
  const score = scoreOf(factors);
  return { score, severity: severityOf(score), factors };
}


function kept({ newCount, deletedCount, deltaCount }: HeapConstructorDiff): ScoreFactor {
  if (newCount === 0) return factor('kept', 45, 0, `none created between the snapshots (${deletedCount} freed)`);
  const value = (Math.max(0, deltaCount) / newCount) * Math.min(1, deltaCount / FULL_GROWTH_COUNT);
  return factor('kept', 45, value, `${newCount} created and ${deletedCount} freed between the snapshots: ${Math.max(0, deltaCount)} more alive`);
}

function heldBy(path: RetainerPath | null, className: string, grownClasses: ReadonlySet<string>): ScoreFactor {
  if (!path || path.steps.length === 0) return factor('held-by', 30, 0, 'no retainer path from the GC roots');
  const holder = path.steps.findLast((step) => step.from.className !== className && grownClasses.has(step.from.className));
  if (holder) return factor('held-by', 30, 0, `held by a ${holder.from.className}, which piled up too: fix that one and these go with it`);
  // A closure or module variable (`->name`) or a global property lives as long as the process.
  const variable = path.steps.findLast((step) => step.edgeType === 'context');
  if (variable) return factor('held-by', 30, 1, `held through the variable ${variable.edgeLabel} of ${variable.from.className}: lives as long as its scope`);
  return factor('held-by', 30, 0.5, `held through ${path.steps[path.steps.length - 1].edgeLabel} of ${path.steps[path.steps.length - 1].from.className}`);
}

function size({ sizeDelta }: HeapConstructorDiff): ScoreFactor {
  const value = sizeDelta <= SIZE_FLOOR ? 0 : Math.log10(sizeDelta / SIZE_FLOOR) / SIZE_DECADES;
  return factor('size', 25, value, `${formatBytes(sizeDelta)} of own size added`);
}
