/** Tree nodes for a leak site: the site (count, trend, age, score, context), its evidence and its creation stack. */
import * as vscode from 'vscode';
import type { ScoreFactor, Severity, SiteReport, StackFrame } from '../../protocol/asyncSnapshot';
import { baseName, contextSummary, formatDuration, hoverMarkdown, siteLabel, trendArrow, typeName } from '../../presentation';
import { branch, leaf, type Node } from './nodeTree';

export const OPEN_SOURCE_COMMAND = 'leakInspector.openSource';

const SEVERITY_ICONS: Record<Severity, vscode.ThemeIcon> = {
  high: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.errorForeground')),
  medium: new vscode.ThemeIcon('info', new vscode.ThemeColor('list.warningForeground')),
  low: new vscode.ThemeIcon('circle-outline'),
};

/** By the agent's site id: unique within a thread's report (two sites may share a stable key). */
export function siteNodeId(scope: string, targetId: string, threadId: number, site: SiteReport): string {
  return `${scope}/${targetId}/${threadId}/${site.id}`;
}

export function siteNode(id: string, site: SiteReport, threadLabel: string, prefix = ''): Node {
  const tags = [
    `${site.count} ${typeName(site.type, site.count)}`,
    trendArrow(site),
    `oldest ${formatDuration(site.oldestAgeMs)}`,
    `score ${site.score}`,
    contextSummary(site),
  ].filter(Boolean);
  const children: Node[] = whyBranch(id, site.factors);
  site.stack.forEach((frame, index) => children.push(frameNode(`${id}/frame/${index}`, frame)));
  const tooltip = new vscode.MarkdownString(hoverMarkdown([{ site, threadLabel }]));
  const node = branch(id, `${prefix}${siteLabel(site)}`, children, {
    description: tags.join(' · '),
    tooltip,
    iconPath: SEVERITY_ICONS[site.severity],
    contextValue: 'site',
    command: site.location ? { command: OPEN_SOURCE_COMMAND, title: 'Open Source', arguments: [site.location.path, site.location.line, site.location.column] } : undefined,
  });
  return { ...node, siteKey: site.key };
}

/** A stack frame: a click opens its line. */
export function frameNode(id: string, frame: StackFrame): Node {
  return leaf(id, frame.functionName, {
    description: `${baseName(frame.path)}:${frame.line}:${frame.column}${frame.mapped ? '' : ' (unmapped)'}`,
    tooltip: frame.mapped ? `${frame.path}:${frame.line}:${frame.column}` : `${frame.path}:${frame.line}:${frame.column}\n${frame.reason ?? ''}`,
    iconPath: new vscode.ThemeIcon('debug-stackframe'),
    command: { command: OPEN_SOURCE_COMMAND, title: 'Open Source', arguments: [frame.path, frame.line, frame.column] },
  });
}

/** "Why" and the score's factors that gave points, largest first; nothing when none did. */
export function whyBranch(id: string, factors: readonly ScoreFactor[]): Node[] {
  const reasons = factors.filter((factor) => factor.points > 0).sort((a, b) => b.points - a.points);
  if (reasons.length === 0) return [];
  return [
    branch(
      `${id}/why`,
      'Why',
      reasons.map((factor) => leaf(`${id}/why/${factor.name}`, `${factor.name} ${factor.points}/${factor.weight}`, { description: factor.explanation, tooltip: factor.explanation })),
    ),
  ];
}
