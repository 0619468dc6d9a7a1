/**
 * Heap: per target, heap usage, the heap files taken, the latest heap snapshot's summary by
 * class and its diff against the previous snapshot (click a class for its retainer paths), and
 * the top allocation sites of the latest sampling.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HeapRetainers } from '../../protocol/heap';
import type { LeakInspectorState, SampleAllocationsResult } from '../../protocol/lsp';
import { SHOW_RETAINERS_COMMAND, type HeapAnalysis } from '../heapCommands';
import { branch, leaf, type Node } from './nodeTree';
import { OPEN_SOURCE_COMMAND } from './siteNodes';
import { formatBytes } from '../../presentation';

export interface HeapExtras {
  /** Latest allocation sampling per target id. */
  samplings: ReadonlyMap<string, SampleAllocationsResult>;
  /** Latest heap snapshot analysis per target id. */
  analyses: ReadonlyMap<string, HeapAnalysis>;
}

/** Classes shown per list: the rest are in the exported snapshot. */
const MAX_CLASSES = 30;

export function heapNodes(state: LeakInspectorState, extras: HeapExtras): Node[] {
  return state.targets.map((target) => {
    const id = `heap/${target.id}`;
    const children: Node[] = [];
    if (target.heapUsage) {
      children.push(
        leaf(`${id}/usage`, 'used', {
          description: `${formatBytes(target.heapUsage.usedSize)} of ${formatBytes(target.heapUsage.totalSize)} · ${new Date(target.heapUsage.takenAt).toLocaleTimeString()}`,
          iconPath: new vscode.ThemeIcon('database'),
        }),
      );
    }
    const files = target.heapFiles.map((file) =>
      leaf(`${id}/file/${file.file}`, path.basename(file.file), {
        description: `${formatBytes(file.bytes)} · ${new Date(file.takenAt).toLocaleTimeString()}`,
        tooltip: file.file,
        resourceUri: vscode.Uri.file(file.file),
        iconPath: new vscode.ThemeIcon(file.kind === 'heapsnapshot' ? 'file-binary' : 'graph'),
        command: { command: 'revealFileInOS', title: 'Reveal', arguments: [vscode.Uri.file(file.file)] },
      }),
    );
    children.push(branch(`${id}/files`, 'Heap files', files, { description: files.length === 0 ? 'none yet' : String(files.length) }, true));
    const sampling = extras.samplings.get(target.id);
    if (sampling) {
      const sites = sampling.topSites.map((site, index) =>
        leaf(`${id}/alloc/${index}`, site.functionName, {
          description: `${formatBytes(site.bytes)} · ${path.basename(site.path)}:${site.line}`,
          tooltip: `${site.path}:${site.line}:${site.column}`,
          command: { command: OPEN_SOURCE_COMMAND, title: 'Open Source', arguments: [site.path, site.line, site.column] },
        }),
      );
      children.push(branch(`${id}/allocations`, 'Top allocation sites (latest sampling)', sites, { iconPath: new vscode.ThemeIcon('graph') }, true));
    }
    const analysis = extras.analyses.get(target.id);
    if (analysis) children.push(...analysisNodes(`${id}/analysis`, target.id, analysis));
    return branch(id, target.pid ? `pid ${target.pid}` : target.label, children, { iconPath: new vscode.ThemeIcon('server-process') }, true);
  });
}

function analysisNodes(id: string, targetId: string, analysis: HeapAnalysis): Node[] {
  const { summary, diff } = analysis;
  const classNode = (scope: string, name: string, description: string) => {
    const retainers = analysis.retainers.get(name);
    const extra = {
      description,
      tooltip: `${name}: click for what keeps these objects alive`,
      command: { command: SHOW_RETAINERS_COMMAND, title: 'Show Retainers', arguments: [targetId, name] },
    };
    return retainers ? branch(`${id}/${scope}/${name}`, name, retainerNodes(`${id}/${scope}/${name}`, retainers), extra, true) : leaf(`${id}/${scope}/${name}`, name, extra);
  };
  const nodes = [
    branch(
      `${id}/summary`,
      'Summary by class (latest snapshot)',
      summary.constructors.slice(0, MAX_CLASSES).map((c) => classNode('summary', c.name, `×${c.count} · self ${formatBytes(c.selfSize)} · retained ${formatBytes(c.retainedSize)}`)),
      { description: `${summary.nodeCount.toLocaleString('en')} objects · ${formatBytes(summary.totalSize)} · ${path.basename(analysis.file)}`, iconPath: new vscode.ThemeIcon('symbol-class') },
    ),
  ];
  if (diff) {
    const changed = diff.constructors.filter((c) => c.newCount > 0 || c.deletedCount > 0).slice(0, MAX_CLASSES);
    nodes.push(
      branch(
        `${id}/diff`,
        'Diff since the previous snapshot',
        changed.map((c) => classNode('diff', c.name, `+${c.newCount} −${c.deletedCount} · ${c.sizeDelta >= 0 ? '+' : '−'}${formatBytes(Math.abs(c.sizeDelta))}`)),
        { description: `${formatBytes(diff.before.totalSize)} → ${formatBytes(diff.after.totalSize)}`, iconPath: new vscode.ThemeIcon('diff') },
        true,
      ),
    );
  }
  return nodes;
}

function retainerNodes(id: string, retainers: HeapRetainers): Node[] {
  if (retainers.paths.length === 0) return [leaf(`${id}/none`, `no ${retainers.className} object is retained`)];
  return retainers.paths.map((retainer) =>
    leaf(`${id}/path/${retainer.target.id}`, `@${retainer.target.id} retains ${formatBytes(retainer.target.retainedSize)}`, {
      description: retainer.text,
      tooltip: retainer.text,
      iconPath: new vscode.ThemeIcon('references'),
    }),
  );
}
