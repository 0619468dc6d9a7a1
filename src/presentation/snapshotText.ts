import type { AsyncSnapshotReport, SiteReport, StackFrame } from '../protocol/asyncSnapshot';
import { formatDuration } from './duration';
import { formatLocation, plural } from './paths';

export interface TextOptions {
  /** Paths under this directory are shown relative to it. */
  root?: string;
  /** Show only the first (highest-scoring) sites. */
  maxSites?: number;
  /** Frames shown per stack; the rest are counted. */
  maxFrames?: number;
}

/** The longest stall, and the whole when the agent worked in several slices. */
export function formatPause(report: Pick<AsyncSnapshotReport, 'pauseMs' | 'workMs' | 'slices'>): string {
  const pause = `pause ${formatDuration(report.pauseMs)}`;
  return report.slices !== undefined && report.slices > 1 && report.workMs !== undefined ? `${pause} (longest of ${report.slices} slices, ${formatDuration(report.workMs)} in all)` : pause;
}

/** A goroutine-dump-style text: a header per site, its evidence and context, then its creation stack. */
export function formatSnapshotText(report: AsyncSnapshotReport, options: TextOptions = {}): string {
  const { summary, stackSampling } = report;
  const lines = [
    `${report.target.label} · ${plural(report.liveResources, 'live resource')} in ${plural(report.sites.length, 'site')} · ${summary.high} high, ${summary.medium} medium, ${summary.low} low`,
    `taken ${new Date(report.takenAt).toISOString()} · uptime ${formatDuration(report.processUptimeMs)} · ${formatPause(report)} · ${formatTotals(report)}`,
  ];
  if (stackSampling.currentInterval > 1 || stackSampling.dropped > 0) {
    lines.push(`stacks sampled 1 in ${stackSampling.currentInterval} (${stackSampling.dropped} dropped): counts of sampled sites are estimates`);
  }
  const shown = report.sites.slice(0, options.maxSites ?? report.sites.length);
  for (const site of shown) lines.push('', ...formatSite(site, options.root, options.maxFrames ?? Infinity));
  if (shown.length < report.sites.length) lines.push('', `… ${plural(report.sites.length - shown.length, 'more site')}`);
  return lines.join('\n') + '\n';
}

function formatSite(site: SiteReport, root: string | undefined, maxFrames: number): string[] {
  const where = site.location ? formatLocation(site.location, root) : `callback ${site.callbackHint ?? '(unknown)'}`;
  const lines = [
    `score ${site.score} ${site.severity.toUpperCase()}  ${site.count} × ${site.type}  oldest ${formatDuration(site.oldestAgeMs)}  ${where}`,
    `    ${formatEvidence(site).join(' · ')}`,
  ];
  for (const [key, { distinct, top, gone }] of Object.entries(site.context.keys)) {
    const values = top.map(({ value, count }) => `${value} ×${count}`).join(', ');
    const goneNote = gone !== undefined ? `, ${gone} gone` : '';
    lines.push(`    ${key}: ${distinct} distinct${goneNote} (${values}${distinct > top.length ? ' …' : ''})`);
  }
  const reasons = site.factors.filter((factor) => factor.points > 0).sort((a, b) => b.points - a.points);
  lines.push(`    why: ${reasons.length > 0 ? reasons.map((f) => `${f.name} ${f.points}/${f.weight}`).join(', ') : 'no leak evidence'}`);
  for (const frame of site.stack.slice(0, maxFrames)) lines.push(`    at ${formatFrame(frame, root)}`);
  if (site.stack.length > maxFrames) lines.push(`    … ${plural(site.stack.length - maxFrames, 'more frame')}`);
  if (site.stack.length === 0 && site.locationKind === 'callback' && site.location) {
    lines.push(`    at ${site.callbackHint ?? '<callback>'} (${formatLocation(site.location, root)}) [callback: created before attach]`);
  }
  return lines;
}

function formatEvidence(site: SiteReport): string[] {
  const evidence = [`trend ${site.growth.trend.join(' → ')}`, `created ${site.recentCreated} recently, ${site.recentEnded} ended`];
  if (site.meanEndedLifetimeMs !== undefined) evidence.push(`ended ones lived ${formatDuration(site.meanEndedLifetimeMs)}`);
  if (site.delayMs !== undefined) evidence.push(`${site.type === 'Interval' ? 'every' : 'after'} ${formatDuration(site.delayMs)}`);
  if (site.ownerKnownCount > 0) evidence.push(`owner gone ${site.ownerGoneCount} of ${site.ownerKnownCount}`);
  if (site.preexisting) evidence.push('created before attach');
  if (site.sampledCount < site.count) evidence.push(`${site.sampledCount} with a stack`);
  return evidence;
}

function formatFrame(frame: StackFrame, root: string | undefined): string {
  const text = `${frame.functionName} (${formatLocation(frame, root)})`;
  return frame.mapped ? text : `${text} [unmapped: ${frame.reason ?? 'no source map'}]`;
}

function formatTotals(report: AsyncSnapshotReport): string {
  const totals = Object.entries(report.totalsByType).filter(([, count]) => count > 0);
  return totals.length > 0 ? totals.map(([type, count]) => `${type} ${count}`).join(', ') : 'no live resources';
}
