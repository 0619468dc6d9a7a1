/** Heap analyses as text: DevTools' Summary, Comparison and retainer paths, for the CLI. */
import type { HeapDiff, HeapRetainers, HeapSummary, RetainerPath } from '../protocol/heap';
import { formatBytes } from './bytes';

/** Rows shown before `… N more`. */
const TOP = 25;

export function formatSummary(summary: HeapSummary): string {
  const rows = summary.constructors.slice(0, TOP).map((c) => `${formatBytes(c.retainedSize).padStart(12)} ${formatBytes(c.selfSize).padStart(12)} ${String(c.count).padStart(9)}  ${c.name}`);
  return [
    `${summary.nodeCount} objects, ${summary.edgeCount} references, ${formatBytes(summary.totalSize)} in total`,
    `${'retained'.padStart(12)} ${'self'.padStart(12)} ${'count'.padStart(9)}  constructor`,
    ...rows,
    summary.constructors.length > TOP ? `… ${summary.constructors.length - TOP} more (--json lists all)` : '',
  ].filter(Boolean).join('\n');
}

export function formatDiff(diff: HeapDiff): string {
  const sign = (n: number) => (n > 0 ? `+${n}` : String(n));
  const rows = diff.constructors.slice(0, TOP).map((c) => `${sign(c.deltaCount).padStart(9)} ${String(c.newCount).padStart(8)} ${String(c.deletedCount).padStart(8)} ${formatBytes(c.sizeDelta).padStart(12)}  ${c.name}`);
  return [
    `${diff.before.nodeCount} → ${diff.after.nodeCount} objects, ${formatBytes(diff.before.totalSize)} → ${formatBytes(diff.after.totalSize)}`,
    `${'# delta'.padStart(9)} ${'# new'.padStart(8)} ${'# deleted'.padStart(8)} ${'size delta'.padStart(12)}  constructor`,
    ...rows,
    diff.constructors.length > TOP ? `… ${diff.constructors.length - TOP} more (--json lists all)` : '',
  ].filter(Boolean).join('\n');
}

export function formatRetainers(retainers: HeapRetainers): string {
  if (retainers.count === 0) return `no objects of class "${retainers.className}" in the snapshot`;
  const paths = retainers.paths.map(formatRetainerPath);
  return [`${retainers.count} objects of class "${retainers.className}"; shortest retainer paths of the ${retainers.paths.length} retaining the most:`, ...paths].join('\n');
}

export function formatRetainerPath(path: RetainerPath): string {
  return `${path.target.className} @${path.target.id} retains ${formatBytes(path.target.retainedSize)}:\n  ${path.steps.length > 0 ? path.text : '(not reachable from the GC roots)'}`;
}
