/** Numbers and locations as the tooltip, status line and SVG export show them. */
import type { FlameGraphData } from '../../src/protocol/flameGraph';
import { formatBytes } from '../../src/presentation/bytes';
import type { Frame } from './layout';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatValue(value: number, unit: FlameGraphData['unit']): string {
  return unit === 'count' ? integer.format(value) : formatBytes(value);
}

export function formatShare(value: number, whole: number): string {
  return whole > 0 ? `${((value / whole) * 100).toFixed(1)}%` : '–';
}

export function formatDelta(node: Frame, unit: FlameGraphData['unit']): string {
  const before = node.before ?? 0;
  const delta = node.total - before;
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  const relative = before > 0 ? ` (${sign}${Math.abs((delta / before) * 100).toFixed(0)}%)` : delta > 0 ? ' (new)' : '';
  return `${sign}${formatValue(Math.abs(delta), unit)}${relative}`;
}

/** `file.ts:12` with the full path kept for the title; '' for frames without a location. */
export function formatLocation(node: Pick<Frame, 'path' | 'line'>): string {
  if (!node.path) return '';
  const file = node.path.split(/[\\/]/).pop() ?? node.path;
  return node.line > 0 ? `${file}:${node.line}` : file;
}
