/**
 * The words editors show for a leak site: diagnostic messages, code lens titles and hover
 * Markdown. One place, so every surface says the same thing.
 */
import type { ResourceType } from '../protocol/agentSnapshot';
import type { SiteReport, StackFrame } from '../protocol/asyncSnapshot';
import { formatDuration } from './duration';
import { baseName } from './paths';

const TYPE_NAMES: Record<ResourceType, [singular: string, plural: string]> = {
  Timeout: ['timeout', 'timeouts'],
  Interval: ['interval', 'intervals'],
  Immediate: ['immediate', 'immediates'],
  Promise: ['pending promise', 'pending promises'],
  TCPSocket: ['TCP socket', 'TCP sockets'],
  TCPServer: ['TCP server', 'TCP servers'],
  PipeSocket: ['pipe', 'pipes'],
  PipeServer: ['pipe server', 'pipe servers'],
  UDPSocket: ['UDP socket', 'UDP sockets'],
  ChildProcess: ['child process', 'child processes'],
  Worker: ['worker', 'workers'],
  Other: ['resource', 'resources'],
};

export function typeName(type: ResourceType, count: number): string {
  const [singular, plural] = TYPE_NAMES[type] ?? TYPE_NAMES.Other;
  return count === 1 ? singular : plural;
}

/** `playerId` → `players`: context keys as a reader says them. */
function keyName(key: string): string {
  return /.Id$/.test(key) ? `${key.slice(0, -2)}s` : key;
}

/** `owner-gone 30, growth 25, age 20`: the factors that gave points, largest first. */
export function scoreReasons(site: SiteReport): string {
  const reasons = site.factors.filter((factor) => factor.points > 0).sort((a, b) => b.points - a.points);
  return reasons.map((factor) => `${factor.name} ${factor.points}`).join(', ');
}

/** `players: 15 (15 gone), rooms: 8 (8 gone)`. */
export function contextSummary(site: SiteReport): string {
  return Object.entries(site.context.keys)
    .map(([key, summary]) => `${keyName(key)}: ${summary.distinct}${summary.gone !== undefined ? ` (${summary.gone} gone)` : ''}`)
    .join(', ');
}

/** Tags for tree views: `players: 15 (15 gone)`, `owner gone`, `↑ +4`. */
export function trendArrow(site: SiteReport): string {
  const delta = site.growth.delta;
  if (delta === null || delta === 0) return '';
  return delta > 0 ? `↑ +${delta}` : `↓ ${delta}`;
}

function oldest(site: SiteReport): string {
  return `oldest ${site.preexisting ? '≥ ' : ''}${formatDuration(site.oldestAgeMs)}`;
}

/** `15 live intervals created here · oldest 4m12s · score 92 (owner-gone 30, …) · players: 15 (15 gone)`. */
export function diagnosticMessage(site: SiteReport, where?: string): string {
  const parts = [
    `${site.count} live ${typeName(site.type, site.count)} created here${where ? ` (${where})` : ''}`,
    oldest(site),
    `score ${site.score}${scoreReasons(site) ? ` (${scoreReasons(site)})` : ''}`,
  ];
  const trend = trendArrow(site);
  if (trend) parts.push(`trend ${trend}`);
  const context = contextSummary(site);
  if (context) parts.push(context);
  return parts.join(' · ');
}

/** `15 live intervals created here · oldest 4m12s · score 92`. */
export function lensTitle(site: SiteReport): string {
  return `${site.count} live ${typeName(site.type, site.count)} created here · ${oldest(site)} · score ${site.score}`;
}

export function frameText(frame: StackFrame): string {
  const where = `${baseName(frame.path)}:${frame.line}:${frame.column}`;
  return `${frame.functionName} (${where})${frame.mapped ? '' : ` [unmapped: ${frame.reason ?? 'no source map'}]`}`;
}

/**
 * Markdown for every site created at one line, each with its own creation stack: sites at the
 * same line reached from different callers stay apart, like goroutines in a dump.
 */
export function hoverMarkdown(sites: readonly { site: SiteReport; threadLabel: string }[]): string {
  return sites
    .map(({ site, threadLabel }) => {
      const lines = [
        `**Leak Inspector** · score **${site.score}** (${site.severity}) · ${site.count} live ${typeName(site.type, site.count)} · ${oldest(site)} · ${threadLabel}`,
        '',
      ];
      const reasons = site.factors.filter((factor) => factor.points > 0).sort((a, b) => b.points - a.points);
      for (const factor of reasons) lines.push(`- ${factor.name} ${factor.points}/${factor.weight}: ${factor.explanation}`);
      const context = contextSummary(site);
      if (context) lines.push(`- context: ${context}`);
      if (site.growth.trend.length > 1) lines.push(`- trend: ${site.growth.trend.join(' → ')}`);
      lines.push('', 'Created at:', '```', ...site.stack.map((frame) => `at ${frameText(frame)}`));
      if (site.stack.length === 0) lines.push(`(created before attach; callback ${site.callbackHint ?? 'here'})`);
      lines.push('```');
      return lines.join('\n');
    })
    .join('\n\n---\n\n');
}

/** `player-session.ts:53` (or the callback for resources created before the attach). */
export function siteLabel(site: SiteReport): string {
  if (site.location) return `${baseName(site.location.path)}:${site.location.line}`;
  return site.callbackHint ? `callback ${site.callbackHint}` : `${site.type} (unknown site)`;
}

/** `15 live intervals · oldest 4m12s · score 92`: the end-of-line hint at a creation line. */
export function siteHint(site: SiteReport): string {
  return `${site.count} live ${typeName(site.type, site.count)} · oldest ${formatDuration(site.oldestAgeMs)} · score ${site.score}`;
}

/** `main`, `worker-3`: a thread as metrics labels, reports and suspects name it. */
export function threadName(threadId: number): string {
  return threadId === 0 ? 'main' : `worker-${threadId}`;
}
