import type { AsyncSnapshotReport, SiteContext, SiteGrowth, SiteReport } from '../protocol/asyncSnapshot';
import { LEAK_FACTORS, scoreSite, type LeakFactor } from './leakScore';
import { isUserFrame } from '../sourcemap';
import { creationLocation, stableSiteKey, toStackFrames, type ResolvedAgentSnapshot, type ResolvedSite } from './resolvedSite';
import type { SiteHistory } from './siteHistory';

export interface AnalyzeOptions {
  /** Earlier snapshots of the same target; this snapshot is recorded into it. Without it there is no growth evidence. */
  history?: SiteHistory;
  /** How reports name the target; defaults to `pid 1234` (`pid 1234 thread 2` for a worker). */
  label?: string;
  factors?: readonly LeakFactor[];
}

/** Scores every site of a source-mapped agent snapshot. Pure apart from recording into `history`. */
export function analyzeSnapshot(snapshot: ResolvedAgentSnapshot, options: AnalyzeOptions = {}): AsyncSnapshotReport {
  const keyed = withUniqueKeys(snapshot.sites);
  const growthById = options.history?.record(
    snapshot.takenAt,
    keyed.map(({ site, key }) => ({ id: site.id, key, count: site.count })),
  );
  const awaited = innerPromiseSites(snapshot.sites);
  const sites = keyed
    .map(({ site, key }) => {
      const growth = growthById?.get(site.id) ?? { previous: null, delta: null, trend: [site.count] };
      return analyzeSite(site, key, growth, snapshot, options.factors ?? LEAK_FACTORS, awaited.get(site));
    })
    .sort((a, b) => b.score - a.score || b.count - a.count || a.key.localeCompare(b.key));

  const summary = { high: 0, medium: 0, low: 0 };
  for (const site of sites) summary[site.severity]++;
  const { pid, threadId } = snapshot;
  return {
    target: { pid, threadId, label: options.label ?? (threadId === 0 ? `pid ${pid}` : `pid ${pid} thread ${threadId}`) },
    agentVersion: snapshot.agentVersion,
    takenAt: snapshot.takenAt,
    processUptimeMs: snapshot.processUptimeMs,
    pauseMs: snapshot.pauseMs,
    ...(snapshot.workMs !== undefined && { workMs: snapshot.workMs, slices: snapshot.slices }),
    liveResources: snapshot.liveResources,
    totalsByType: snapshot.totalsByType,
    stackSampling: snapshot.stackSampling,
    sites,
    summary,
    ...(snapshot.nodeVersion !== undefined && { nodeVersion: snapshot.nodeVersion }),
    ...(snapshot.openConnections !== undefined && { openConnections: snapshot.openConnections }),
    ...(snapshot.closureScan !== undefined && { closureScan: snapshot.closureScan }),
    ...(snapshot.warnings !== undefined && snapshot.warnings.length > 0 && { warnings: snapshot.warnings }),
  };
}

function analyzeSite(
  site: ResolvedSite,
  key: string,
  growth: SiteGrowth,
  snapshot: ResolvedAgentSnapshot,
  factors: readonly LeakFactor[],
  awaitsPromiseAt: string | undefined,
): SiteReport {
  const ageAt = (createdAt: number) => Math.max(0, snapshot.takenAt - createdAt);
  const oldestAgeMs = ageAt(site.oldestCreatedAt);
  const medianAgeMs = ageAt(site.medianCreatedAt);
  const { score, severity, factors: scored } = scoreSite(
    {
      type: site.type,
      count: site.count,
      oldestAgeMs,
      medianAgeMs,
      processUptimeMs: snapshot.processUptimeMs,
      preexisting: site.preexisting,
      recentCreated: site.recentCreated,
      recentEnded: site.recentEnded,
      meanEndedLifetimeMs: site.meanEndedLifetimeMs,
      ownerGoneCount: site.ownerGoneCount,
      ownerKnownCount: site.ownerKnownCount,
      ownerSharedCount: site.ownerSharedCount,
      delayMs: site.delayMs,
      trend: growth.trend,
      awaitsPromiseAt,
      noUserFrame: site.type === 'Promise' && !site.resolvedStack.some(isUserFrame),
      openConnections: snapshot.openConnections,
      closures: site.closures,
    },
    factors,
  );
  const created = creationLocation(site);
  const report: SiteReport = {
    id: site.id,
    key,
    type: site.type,
    count: site.count,
    sampledCount: site.sampledCount,
    score,
    severity,
    factors: scored,
    oldestAgeMs,
    medianAgeMs,
    newestAgeMs: ageAt(site.newestCreatedAt),
    location: created?.location ?? null,
    locationKind: created?.kind ?? null,
    stack: toStackFrames(site),
    context: summarizeContext(site),
    ownerGoneCount: site.ownerGoneCount,
    ownerKnownCount: site.ownerKnownCount,
    growth,
    preexisting: site.preexisting,
    recentCreated: site.recentCreated,
    recentEnded: site.recentEnded,
  };
  // Optional fields stay absent rather than undefined, so reports compare and serialize cleanly.
  if (site.callbackHint !== undefined) report.callbackHint = site.callbackHint;
  if (site.delayMs !== undefined) report.delayMs = site.delayMs;
  if (site.meanEndedLifetimeMs !== undefined) report.meanEndedLifetimeMs = site.meanEndedLifetimeMs;
  if (site.closures !== undefined) report.closures = site.closures;
  return report;
}

/**
 * Pending-promise sites that are outer links of an await chain: their creating function appears
 * further down the stack of another pending-promise site (e.g. `async run()` awaiting the
 * promise `waitFor` created). Maps each to where that inner promise was created.
 */
function innerPromiseSites(sites: readonly ResolvedSite[]): Map<ResolvedSite, string> {
  const result = new Map<ResolvedSite, string>();
  const promises = sites.filter((site) => site.type === 'Promise');
  const topUserFrame = (site: ResolvedSite) => {
    const index = site.resolvedStack.findIndex(isUserFrame);
    return index < 0 ? undefined : { index, path: site.resolvedStack[index].path, name: functionNameAt(site, index) };
  };
  for (const outer of promises) {
    const top = topUserFrame(outer);
    if (!top?.name) continue;
    for (const inner of promises) {
      const innerTop = topUserFrame(inner);
      if (inner === outer || !innerTop) continue;
      const deeperInStack = inner.resolvedStack.some((frame, i) => i > innerTop.index && frame.path === top.path && functionNameAt(inner, i) === top.name);
      // An async function's own promise is created at its first line; a promise it then awaits
      // is created further down the same function.
      const innerLine = inner.resolvedStack[innerTop.index].line;
      const sameAsyncFunction = innerTop.name === top.name && innerTop.path === top.path && innerLine > outer.resolvedStack[top.index].line;
      const awaits = deeperInStack || sameAsyncFunction;
      if (awaits) {
        const at = inner.resolvedStack[innerTop.index];
        result.set(outer, `${at.path}:${at.line}`);
        break;
      }
    }
  }
  return result;
}

/** The frame's function, without V8's `async ` marker for frames resumed after an await. */
function functionNameAt(site: ResolvedSite, index: number): string | undefined {
  return site.frames[index]?.functionName.replace(/^async /, '');
}

function summarizeContext(site: ResolvedSite): SiteContext {
  const keys: SiteContext['keys'] = {};
  for (const [name, { distinct, top, gone }] of Object.entries(site.context)) {
    keys[name] = { distinct, top: top.map(([value, count]) => ({ value, count })) };
    if (gone !== undefined) keys[name].gone = gone;
  }
  return { keys, goneShare: site.ownerKnownCount > 0 ? site.ownerGoneCount / site.ownerKnownCount : null };
}

/**
 * Stable keys, made unique within the snapshot: two sites whose stacks map to the same original
 * positions (e.g. duplicated bundle code) must not share a history.
 */
function withUniqueKeys(sites: readonly ResolvedSite[]): Array<{ site: ResolvedSite; key: string }> {
  const taken = new Set<string>();
  return sites.map((site) => {
    const stable = stableSiteKey(site);
    const key = taken.has(stable) ? `${stable} #${site.id}` : stable;
    taken.add(key);
    return { site, key };
  });
}
