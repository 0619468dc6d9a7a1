/**
 * Async Resources: every live site of every attached thread, by site (highest score first) or
 * grouped by resource type. Expanding a site shows why it scores and its creation stack.
 */
import * as vscode from 'vscode';
import type { LeakInspectorState, ThreadState } from '../../protocol/lsp';
import type { SiteReport } from '../../protocol/asyncSnapshot';
import { typeName } from '../../presentation';
import { branch, type Node } from './nodeTree';
import { siteNode, siteNodeId } from './siteNodes';

export type GroupBy = 'site' | 'type';
export const ASYNC_SCOPE = 'async';

interface ThreadSites {
  targetId: string;
  thread: ThreadState;
  sites: SiteReport[];
}

export function asyncResourceNodes(state: LeakInspectorState, groupBy: GroupBy): Node[] {
  const threads: ThreadSites[] = state.targets.flatMap((target) =>
    target.threads.map((thread) => ({ targetId: target.id, thread, sites: thread.report?.sites ?? [] })),
  );
  const perThread = threads.map((entry) => ({ entry, nodes: groupBy === 'type' ? byType(entry) : bySite(entry) }));
  if (perThread.length === 1) return perThread[0].nodes;
  // Several threads or processes: one branch each.
  return perThread.map(({ entry, nodes }) =>
    branch(`${ASYNC_SCOPE}/${entry.targetId}/${entry.thread.threadId}`, entry.thread.label, nodes, {
      description: `${entry.thread.report?.liveResources ?? 0} live`,
      iconPath: new vscode.ThemeIcon('server-process'),
    }, true),
  );
}

function bySite({ targetId, thread, sites }: ThreadSites): Node[] {
  return sites.map((site) => siteNode(siteNodeId(ASYNC_SCOPE, targetId, thread.threadId, site), site, thread.label));
}

function byType({ targetId, thread, sites }: ThreadSites): Node[] {
  const types = new Map<string, SiteReport[]>();
  for (const site of sites) types.set(site.type, [...(types.get(site.type) ?? []), site]);
  return [...types.entries()]
    .map(([type, list]) => ({ type, list, count: list.reduce((sum, site) => sum + site.count, 0) }))
    .sort((a, b) => b.count - a.count)
    .map(({ type, list, count }) =>
      branch(`${ASYNC_SCOPE}/${targetId}/${thread.threadId}/type/${type}`, type, list.map((site) => siteNode(siteNodeId(ASYNC_SCOPE, targetId, thread.threadId, site), site, thread.label)), {
        description: `${count} live ${typeName(list[0].type, count)} · ${list.length} sites · top score ${Math.max(...list.map((site) => site.score))}`,
        iconPath: new vscode.ThemeIcon('symbol-class'),
      }),
    );
}
