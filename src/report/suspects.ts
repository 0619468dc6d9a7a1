/**
 * Suspects of every kind in one ranked list. Async sites become `async` suspects, one per
 * (thread, resource type, source line): the agent keeps sites apart by their whole creation
 * stack, so one leaking line reached from five callers is five sites, but a person fixes one
 * line. Those sites become the `paths` of a single suspect.
 */
import type { AsyncSnapshotReport, SiteReport } from '../protocol/asyncSnapshot';
import type { Suspect } from '../protocol/report';
import { contextSummary, formatDuration, threadName, typeName } from '../presentation';

/** Stable across snapshots and re-attaches: kind, type and original-source line. */
export function asyncSuspectKey(site: SiteReport): string {
  // Without a location there is no line to merge on: the site's own stable key stays apart.
  return site.location ? `async ${site.type} ${site.location.path}:${site.location.line}` : `async ${site.key}`;
}

/** The async sites of every thread as suspects, one per (thread, type, line), ranked. */
export function asyncSuspects(threads: readonly AsyncSnapshotReport[]): Suspect[] {
  const suspects: Suspect[] = [];
  for (const report of threads) {
    const groups = new Map<string, SiteReport[]>();
    for (const site of report.sites) {
      const key = asyncSuspectKey(site);
      groups.set(key, [...(groups.get(key) ?? []), site]);
    }
    for (const [key, sites] of groups) suspects.push(mergeSites(key, sites, threadName(report.target.threadId)));
  }
  return rankSuspects(suspects);
}

/**
 * The sites of one line as one suspect. Counts and growth add up. The score is the worst
 * path's, with its factors: a score is evidence on a 0–100 scale, not a quantity, so adding
 * would overshoot, and recomputing from pooled evidence would need each path's history, which
 * a saved report does not carry. The worst path is also the one a reader should look at first.
 */
function mergeSites(key: string, sites: SiteReport[], thread: string): Suspect {
  const byScore = [...sites].sort((a, b) => b.score - a.score || b.count - a.count);
  const worst = byScore[0];
  const count = sites.reduce((sum, site) => sum + site.count, 0);
  const deltas = sites.map((site) => site.growth.delta).filter((delta): delta is number => delta !== null);
  const sampled = sites.reduce((sum, site) => sum + site.sampledCount, 0);
  const oldest = Math.max(...sites.map((site) => site.oldestAgeMs));
  const ownerKnown = sites.reduce((sum, site) => sum + site.ownerKnownCount, 0);
  const ownerGone = sites.reduce((sum, site) => sum + site.ownerGoneCount, 0);
  const details: Suspect['details'] = [{ label: 'oldest', value: `${sites.some((site) => site.preexisting) ? '≥ ' : ''}${formatDuration(oldest)}` }];
  if (ownerKnown > 0) details.push({ label: 'owner gone', value: `${ownerGone} of ${ownerKnown}` });
  const context = contextSummary(worst);
  if (context) details.push({ label: 'context', value: context });
  if (sites.length === 1 && worst.growth.trend.length > 1) details.push({ label: 'trend', value: worst.growth.trend.join(' → ') });
  if (sampled < count) details.push({ label: 'sampled', value: `${sampled} of ${count} carry a creation stack; the rest were attributed by callback` });
  if (sites.some((site) => site.preexisting)) details.push({ label: 'created before attach', value: 'ages are lower bounds; located by the callback' });
  if (worst.delayMs !== undefined) details.push({ label: worst.type === 'Interval' ? 'every' : 'after', value: formatDuration(worst.delayMs) });
  return {
    kind: 'async',
    key,
    title: `${count} live ${typeName(worst.type, count)}`,
    location: worst.location,
    thread,
    score: worst.score,
    severity: worst.severity,
    factors: worst.factors,
    count,
    growth: deltas.length > 0 ? deltas.reduce((sum, delta) => sum + delta, 0) : null,
    retainedBytes: null,
    paths: [...sites].sort((a, b) => b.count - a.count).map((site) => ({ count: site.count, stack: site.stack })),
    details,
    estimated: sampled < count,
  };
}

/** Highest score first, then the most live things, then by key so the order is stable. */
export function rankSuspects(suspects: readonly Suspect[]): Suspect[] {
  return [...suspects].sort((a, b) => b.score - a.score || b.count - a.count || a.key.localeCompare(b.key));
}

/** Async suspects of the threads plus suspects of other kinds (listeners, holders, promises…), ranked together. */
export function mergeSuspects(threads: readonly AsyncSnapshotReport[], others: readonly Suspect[] = []): Suspect[] {
  const fromThreads = threads.flatMap((report) => report.listenerSuspects ?? []);
  return rankSuspects([...asyncSuspects(threads), ...fromThreads, ...others]);
}
