/** The current view (zoom range, every depth) as a standalone SVG with a <title> per frame. */
import type { Coloring } from './colors';
import { formatLocation, formatValue } from './format';
import { frameOf, type Layout } from './layout';
import type { Theme } from './theme';

/** Frames narrower than a pixel are left out: they would only bloat the file. */
const MIN_WIDTH = 1;

export function exportSvg(layout: Layout, coloring: Coloring, x0: number, x1: number, width: number, rowHeight: number, theme: Theme): string {
  const scale = width / (x1 - x0);
  const charWidth = theme.fontSize * 0.6;
  const parts: string[] = [];
  let maxRow = 0;
  for (let i = 0; i < layout.count; ) {
    const left = (layout.start[i]! - x0) * scale;
    const w = layout.total[i]! * scale;
    if (w < MIN_WIDTH || left >= width || left + w <= 0) {
      i = layout.end[i]!;
      continue;
    }
    const node = frameOf(layout, i);
    const x = Math.max(0, left);
    const clipped = Math.min(width, left + w) - x;
    const y = layout.depth[i]! * rowHeight;
    maxRow = Math.max(maxRow, layout.depth[i]!);
    const location = formatLocation(node);
    const title = `${node.name}${location ? ` (${location})` : ''}: ${formatValue(node.total, layout.unit)}`;
    const fit = Math.floor((clipped - 8) / charWidth);
    const label = fit < 2 ? '' : node.name.length <= fit ? node.name : `${node.name.slice(0, fit - 1)}…`;
    parts.push(
      `<g><title>${escape(title)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, clipped - 1).toFixed(1)}" height="${rowHeight - 1}" fill="${coloring.fill[coloring.index[i]!]}"/>` +
        (label ? `<text x="${(x + 4).toFixed(1)}" y="${y + rowHeight / 2}">${escape(label)}</text>` : '') +
        '</g>',
    );
    i++;
  }
  const height = (maxRow + 1) * rowHeight;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escape(theme.fontFamily)}" font-size="${theme.fontSize}">` +
    `<title>${escape(layout.title)}</title><rect width="100%" height="100%" fill="${escape(theme.background)}"/>` +
    `<g dominant-baseline="middle" fill="${escape(theme.frameText)}">${parts.join('')}</g></svg>`
  );
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
