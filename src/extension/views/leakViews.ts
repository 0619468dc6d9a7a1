/** The four sidebar views, redrawn from the server's state; plus revealing a site and opening sources. */
import * as vscode from 'vscode';
import { REVEAL_SITE_COMMAND, type RevealSiteArgs } from '../../protocol/lsp';
import type { HeapCommands } from '../heapCommands';
import { openSource } from '../sourceDocuments';
import type { StateStore } from '../stateStore';
import { ASYNC_SCOPE, asyncResourceNodes, type GroupBy } from './asyncResourcesView';
import { heapNodes } from './heapView';
import { NodeTree, type Node } from './nodeTree';
import { OPEN_SOURCE_COMMAND } from './siteNodes';
import { suspectNodeId, suspectNodes } from './suspectsView';
import { targetNodes } from './targetsView';

export function registerViews(store: StateStore, heap: HeapCommands): vscode.Disposable {
  const trees = { targets: new NodeTree(), asyncResources: new NodeTree(), suspects: new NodeTree(), heap: new NodeTree() };
  const views = Object.fromEntries(
    Object.entries(trees).map(([name, tree]) => [name, vscode.window.createTreeView(`leakInspector.${name}`, { treeDataProvider: tree, showCollapseAll: name !== 'targets' })]),
  ) as Record<keyof typeof trees, vscode.TreeView<Node>>;
  let groupBy: GroupBy = 'site';

  const redraw = () => {
    const state = store.state;
    trees.targets.setRoots(targetNodes(state));
    trees.asyncResources.setRoots(asyncResourceNodes(state, groupBy));
    trees.suspects.setRoots(suspectNodes(state));
    trees.heap.setRoots(heapNodes(state, { samplings: heap.samplings, analyses: heap.analyses }));
    const live = state.targets.reduce((sum, target) => sum + (target.liveTrend.at(-1) ?? 0), 0);
    views.asyncResources.description = state.targets.length > 0 ? `${live} live` : undefined;
    views.suspects.badge = state.suspects.length > 0 ? { value: state.suspects.length, tooltip: `${state.suspects.length} leak suspects` } : undefined;
  };
  const setGroupBy = (value: GroupBy) => {
    groupBy = value;
    void vscode.commands.executeCommand('setContext', 'leakInspector.groupBy', value);
    redraw();
  };
  redraw();

  return vscode.Disposable.from(
    ...Object.values(trees),
    ...Object.values(views),
    store.onDidChange(redraw),
    heap.onDidChange(redraw),
    vscode.commands.registerCommand('leakInspector.groupByType', () => setGroupBy('type')),
    vscode.commands.registerCommand('leakInspector.groupBySite', () => setGroupBy('site')),
    vscode.commands.registerCommand(OPEN_SOURCE_COMMAND, (path: string, line: number, column?: number) => openSource(store, path, line, column)),
    // Code lenses run this: show the suspect, expanded, in Leak Suspects (or an async site in Async Resources).
    vscode.commands.registerCommand(REVEAL_SITE_COMMAND, async (args: RevealSiteArgs) => {
      if (args.suspectKey !== undefined) {
        const id = suspectNodeId({ targetId: args.targetId, threadId: args.threadId, suspect: { key: args.suspectKey } });
        const suspect = trees.suspects.find((candidate) => candidate.item.id === id);
        if (suspect) return views.suspects.reveal(suspect, { select: true, focus: true, expand: true });
      }
      const prefix = `${ASYNC_SCOPE}/${args.targetId}/${args.threadId}/`;
      const node = trees.asyncResources.find((candidate) => candidate.siteKey === args.siteKey && candidate.item.id.startsWith(prefix));
      if (node) await views.asyncResources.reveal(node, { select: true, focus: true, expand: true });
    }),
  );
}
