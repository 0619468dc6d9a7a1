/**
 * Paints the flame graph on a 2D canvas, root at the top. Only what is on screen is visited:
 * subtrees narrower than a fraction of a pixel, off to the side or below the fold are skipped
 * in one jump, frames are filled one colour at a time, and labels are drawn only where they fit.
 */
import type { Coloring } from './colors';
import { nameOf, type Layout } from './layout';
import type { Theme } from './theme';

export interface Viewport {
  /** Visible value range, in the layout's units. */
  x0: number;
  x1: number;
  /** Pixels scrolled down from the root row. */
  scrollY: number;
  /** CSS pixels. */
  width: number;
  height: number;
}

export interface Marks {
  /** Per frame: 1 if it matches the search; null when there is no search. */
  matches: Uint8Array | null;
  selected: number;
  hovered: number;
}

/** Subtrees narrower than this (CSS px) are not drawn: their frames could not be seen or hit. */
const MIN_WIDTH = 0.3;
const LABEL_PADDING = 4;
const MIN_LABEL_CHARS = 2;

export class Renderer {
  private readonly context: CanvasRenderingContext2D;
  private charWidth = 7;
  private font = '';
  /** Rectangles per palette colour, reused between paints: x, y, w, h flattened. */
  private buckets: Float32Array[] = [];
  private bucketSizes: number[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    const context = canvas.getContext('2d', { alpha: false });
    if (!context) throw new Error('no 2D canvas');
    this.context = context;
  }

  rowHeight(theme: Theme): number {
    return Math.round(theme.fontSize * 1.5);
  }

  /** Sizes the backing store for the device pixel ratio; call when the element resizes. */
  resize(width: number, height: number): void {
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.max(1, Math.round(height * ratio));
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    // Resizing resets the context's state, the font included.
    this.font = '';
  }

  paint(layout: Layout, coloring: Coloring, view: Viewport, marks: Marks, theme: Theme): void {
    const ctx = this.context;
    const ratio = this.canvas.width / Math.max(1, view.width);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, view.width, view.height);
    this.setFont(theme);

    const rowHeight = this.rowHeight(theme);
    const scale = view.width / (view.x1 - view.x0);
    const firstRow = Math.floor(view.scrollY / rowHeight);
    const lastRow = Math.ceil((view.scrollY + view.height) / rowHeight);
    const { start, total, depth, end } = layout;
    const labels: number[] = [];
    const minLabelWidth = this.charWidth * MIN_LABEL_CHARS + LABEL_PADDING * 2;
    this.resetBuckets(coloring.fill.length * 2);

    for (let i = 0; i < start.length; ) {
      const row = depth[i]!;
      const left = (start[i]! - view.x0) * scale;
      const width = total[i]! * scale;
      if (row > lastRow || width < MIN_WIDTH || left >= view.width || left + width <= 0) {
        i = end[i]!;
        continue;
      }
      if (row >= firstRow) {
        // Clamp to the screen so zoomed-in ancestors do not become huge rectangles.
        const x = Math.max(left, -1);
        const w = Math.min(left + width, view.width + 1) - x;
        const dimmed = marks.matches !== null && marks.matches[i] === 0;
        const bucket = coloring.index[i]! * 2 + (dimmed ? 1 : 0);
        this.push(bucket, x, row * rowHeight - view.scrollY, w > 2 ? w - 1 : w, rowHeight - 1);
        if (w >= minLabelWidth) labels.push(i);
      }
      i++;
    }

    // High contrast: every frame gets a border, drawn as the frame filled in the border colour
    // under its fill inset by a pixel (crisp, unlike a stroke on the pixel grid).
    const inset = theme.contrastBorder ? 1 : 0;
    if (inset) {
      ctx.fillStyle = theme.contrastBorder;
      ctx.beginPath();
      this.eachRect((x, y, w, h) => ctx.rect(x, y, w, h));
      ctx.fill();
    }
    for (let bucket = 0; bucket < this.bucketSizes.length; bucket++) {
      const size = this.bucketSizes[bucket]!;
      if (size === 0) continue;
      const rects = this.buckets[bucket]!;
      ctx.fillStyle = bucket % 2 === 0 ? coloring.fill[bucket >> 1]! : coloring.dim[bucket >> 1]!;
      ctx.beginPath();
      for (let r = 0; r < size; r += 4) {
        const w = rects[r + 2]! - 2 * inset;
        if (w > 0) ctx.rect(rects[r]! + inset, rects[r + 1]! + inset, w, rects[r + 3]! - 2 * inset);
      }
      ctx.fill();
    }

    this.paintLabels(layout, labels, view, marks, theme, scale, rowHeight);
    this.outline(layout, marks.hovered, view, scale, rowHeight, theme.foreground, 1);
    this.outline(layout, marks.selected, view, scale, rowHeight, theme.focusBorder, 2);
  }

  private paintLabels(layout: Layout, labels: number[], view: Viewport, marks: Marks, theme: Theme, scale: number, rowHeight: number): void {
    const ctx = this.context;
    ctx.textBaseline = 'middle';
    for (const i of labels) {
      const left = Math.max(0, (layout.start[i]! - view.x0) * scale);
      const right = Math.min(view.width, (layout.start[i]! + layout.total[i]! - view.x0) * scale);
      const fit = Math.floor((right - left - LABEL_PADDING * 2) / this.charWidth);
      if (fit < MIN_LABEL_CHARS) continue;
      const name = nameOf(layout, i);
      const text = name.length <= fit ? name : `${name.slice(0, fit - 1)}…`;
      const dimmed = marks.matches !== null && marks.matches[i] === 0;
      ctx.fillStyle = dimmed ? theme.foreground : theme.frameText;
      ctx.globalAlpha = dimmed ? 0.55 : 1;
      ctx.fillText(text, left + LABEL_PADDING, layout.depth[i]! * rowHeight - view.scrollY + rowHeight / 2);
    }
    ctx.globalAlpha = 1;
  }

  private outline(layout: Layout, i: number, view: Viewport, scale: number, rowHeight: number, color: string, lineWidth: number): void {
    if (i < 0 || i >= layout.count) return;
    const left = Math.max(0, (layout.start[i]! - view.x0) * scale);
    const right = Math.min(view.width, (layout.start[i]! + layout.total[i]! - view.x0) * scale);
    if (right <= left) return;
    const ctx = this.context;
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth;
    const inset = lineWidth / 2;
    ctx.strokeRect(left + inset, layout.depth[i]! * rowHeight - view.scrollY + inset, Math.max(1, right - left - lineWidth), rowHeight - 1 - lineWidth);
  }

  private setFont(theme: Theme): void {
    const font = `${theme.fontSize}px ${theme.fontFamily}`;
    if (font === this.font) return;
    this.font = font;
    this.context.font = font;
    // One average glyph width instead of measuring every label: labels get a safety margin.
    const sample = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_().';
    this.charWidth = (this.context.measureText(sample).width / sample.length) * 1.1;
  }

  private eachRect(callback: (x: number, y: number, w: number, h: number) => void): void {
    for (let bucket = 0; bucket < this.bucketSizes.length; bucket++) {
      const rects = this.buckets[bucket]!;
      for (let r = 0; r < this.bucketSizes[bucket]!; r += 4) callback(rects[r]!, rects[r + 1]!, rects[r + 2]!, rects[r + 3]!);
    }
  }

  private resetBuckets(count: number): void {
    while (this.buckets.length < count) this.buckets.push(new Float32Array(1024));
    this.bucketSizes = new Array<number>(count).fill(0);
  }

  private push(bucket: number, x: number, y: number, w: number, h: number): void {
    let rects = this.buckets[bucket]!;
    const size = this.bucketSizes[bucket]!;
    if (size + 4 > rects.length) {
      const grown = new Float32Array(rects.length * 2);
      grown.set(rects);
      this.buckets[bucket] = rects = grown;
    }
    rects[size] = x;
    rects[size + 1] = y;
    rects[size + 2] = w;
    rects[size + 3] = h;
    this.bucketSizes[bucket] = size + 4;
  }
}
