/** Targets: each attached process (status, live resources and trend, heap) and its threads. */
import type { LeakInspectorState, TargetState } from '../../protocol/lsp';
import { formatBytes, formatDuration } from '../../presentation';
import * as vscode from 'vscode';
import { branch, leaf, type Node } from './nodeTree';

const STATUS_ICONS: Record<TargetState['status'], string> = { attached: 'plug', snapshotting: 'sync~spin', disconnected: 'debug-disconnect', report: 'file' };

export function targetNodes(state: LeakInspectorState): Node[] {
  return state.targets.map((target) => {
    const id = `target/${target.id}`;
    const threads = target.threads.map((thread) => {
      const report = thread.report;
      const description = report
        ? `${report.liveResources} live · ${report.sites.length} sites · ${report.summary.high} high, ${report.summary.medium} medium · pause ${formatDuration(report.pauseMs)}`
        : 'no snapshot yet';
      return leaf(`${id}/thread/${thread.threadId}`, thread.threadId === 0 ? 'main thread' : thread.label, {
        description,
        iconPath: new vscode.ThemeIcon(thread.threadId === 0 ? 'server-process' : 'layers'),
      });
    });
    const details = [...threads];
    if (target.heapUsage) {
      details.push(leaf(`${id}/heap`, 'heap', { description: `${formatBytes(target.heapUsage.usedSize)} used of ${formatBytes(target.heapUsage.totalSize)}`, iconPath: new vscode.ThemeIcon('database') }));
    }
    for (const warning of target.warnings ?? []) {
      details.push(leaf(`${id}/warning/${warning.code}/${warning.thread ?? ''}`, warning.message, { description: warning.thread, iconPath: new vscode.ThemeIcon('warning'), tooltip: `${warning.code}: ${warning.message}` }));
    }
    if (target.error) details.push(leaf(`${id}/error`, target.error, { iconPath: new vscode.ThemeIcon('error'), tooltip: target.error }));
    const name = target.pid ? `pid ${target.pid}` : target.label;
    return branch(id, target.status === 'report' ? `${name} (saved report)` : name, details, {
      description: targetDescription(target),
      tooltip: `${target.label}\nattached as ${target.target}\n${target.status}${target.error ? `: ${target.error}` : ''}`,
      iconPath: new vscode.ThemeIcon(STATUS_ICONS[target.status]),
      contextValue: 'target',
    }, true);
  });
}

function targetDescription(target: TargetState): string {
  const parts: string[] = [target.label];
  if (target.status !== 'attached') parts.push(target.status);
  const live = target.liveTrend.at(-1);
  if (live !== undefined) parts.push(`${live} live ${trendOf(target.liveTrend)}`.trim());
  return parts.join(' · ');
}

/** `↑12` / `↓3` against the previous snapshot. */
export function trendOf(trend: readonly number[]): string {
  if (trend.length < 2) return '';
  const delta = trend[trend.length - 1] - trend[trend.length - 2];
  return delta > 0 ? `↑${delta}` : delta < 0 ? `↓${-delta}` : '→';
}
