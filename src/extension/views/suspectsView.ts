/**
 * Leak Suspects: suspects of every kind (async sites, listeners, growing holders, reactions on
 * a pending promise, promises that can never settle, heap classes) at or above the diagnostic
 * threshold, over every target, ranked by score. Each row: an icon for its kind in its
 * severity's colour, the title, score, holder and line; expanded: why it scored (factors), the
 * kind's details and its paths (creation or registration stacks). A click opens the line.
 */
import * as vscode from 'vscode';
import type { Severity } from '../../protocol/asyncSnapshot';
import type { LeakInspectorState, Suspect } from '../../protocol/lsp';
import type { SuspectKind } from '../../protocol/report';
import { SUSPECT_KIND_NAMES, suspectHoverMarkdown, suspectLabel } from '../../presentation';
import { branch, leaf, type Node } from './nodeTree';
import { frameNode, OPEN_SOURCE_COMMAND, whyBranch } from './siteNodes';

export const SUSPECT_SCOPE = 'suspect';

const KIND_ICONS: Record<SuspectKind, string> = {
  async: 'watch',
  listener: 'radio-tower',
  holder: 'symbol-array',
  'promise-reactions': 'references',
  'stuck-promise': 'debug-pause',
  'orphaned-promise': 'debug-disconnect',
  'heap-class': 'symbol-class',
};

const SEVERITY_COLORS: Record<Severity, vscode.ThemeColor | undefined> = {
  high: new vscode.ThemeColor('list.errorForeground'),
  medium: new vscode.ThemeColor('list.warningForeground'),
  low: undefined,
};

/** By target, thread and the suspect's stable key (one per kind and line within a report). */
export function suspectNodeId(entry: Pick<Suspect, 'targetId' | 'threadId'> & { suspect: { key: string } }): string {
  return `${SUSPECT_SCOPE}/${entry.targetId}/${entry.threadId}/${entry.suspect.key}`;
}

export function suspectNodes(state: LeakInspectorState): Node[] {
  return state.suspects.map((entry, rank) => suspectNode(entry, rank));
}

function suspectNode(entry: Suspect, rank: number): Node {
  const { suspect, threadLabel } = entry;
  const id = suspectNodeId(entry);
  const description = [
    `score ${suspect.score}`,
    suspect.holder && !suspect.title.includes(suspect.holder) ? `held by ${suspect.holder}` : '',
    suspect.location ? suspectLabel(suspect) : '(no source line)',
    entry.threadId !== 0 ? threadLabel : '',
  ].filter(Boolean);
  const children: Node[] = whyBranch(id, suspect.factors);
  if (suspect.holder) children.push(leaf(`${id}/holder`, 'held by', { description: suspect.holder, tooltip: suspect.holder }));
  suspect.details.forEach(({ label, value }, index) => children.push(leaf(`${id}/detail/${index}`, label, { description: value, tooltip: value })));
  if (suspect.paths.length === 1) {
    suspect.paths[0].stack.forEach((frame, index) => children.push(frameNode(`${id}/frame/${index}`, frame)));
  } else {
    suspect.paths.forEach((path, p) =>
      children.push(branch(`${id}/path/${p}`, `Path ${p + 1}`, path.stack.map((frame, index) => frameNode(`${id}/path/${p}/${index}`, frame)), { description: `×${path.count}` })),
    );
  }
  const node = branch(id, `${rank + 1}. ${suspect.title}`, children, {
    description: description.join(' · '),
    tooltip: new vscode.MarkdownString(`*${SUSPECT_KIND_NAMES[suspect.kind]}*\n\n${suspectHoverMarkdown([{ suspect, threadLabel }])}`),
    iconPath: new vscode.ThemeIcon(KIND_ICONS[suspect.kind] ?? 'warning', SEVERITY_COLORS[suspect.severity]),
    contextValue: `suspect.${suspect.kind}`,
    command: suspect.location ? { command: OPEN_SOURCE_COMMAND, title: 'Open Source', arguments: [suspect.location.path, suspect.location.line, suspect.location.column] } : undefined,
  });
  return { ...node, suspectKey: suspect.key };
}
