/**
 * The interactive flame graph: owns the canvas, the current tree and viewport, and turns
 * pointer and keyboard input into hover, selection, zoom and pan. Paints at most once per
 * animation frame, and only when something changed.
 */
import type { PackedFlameGraph } from '../../src/protocol/flameGraph';
import { colorFrames, type ColorBy, type Coloring, type Scheme } from './colors';
import { exportSvg } from './exportSvg';
import { formatLocation, formatShare, formatValue } from './format';
import { findPath, frameAt, frameOf, layoutTree, pathOf, type Frame, type Layout } from './layout';
import { Renderer, type Viewport } from './renderer';
import { readTheme, watchTheme, type Theme } from './theme';
import { Tooltip } from './tooltip';

export interface FlameViewEvents {
  /** A frame with a source location was clicked (or Space was pressed on it). */
  openSource(frame: Frame): void;
  /** Zoom, selection or scroll changed: time to save the state. */
  changed(): void;
}

export interface ViewPosition {
  zoom: string[][];
  selected: string[] | null;
  scrollY: number;
}

const ZOOM_MS = 240;
/** Pointer travel (px) below which a press is a click, not a drag. */
const DRAG_THRESHOLD = 4;

export class FlameView {
  readonly canvas: HTMLCanvasElement;
  private readonly renderer: Renderer;
  private readonly tooltip: Tooltip;
  private readonly status: HTMLElement;
  private theme: Theme = readTheme();
  private layout: Layout | undefined;
  private coloring: Coloring | undefined;
  private colorBy: ColorBy = 'score';
  private query = '';
  private matches: Uint8Array | null = null;
  private view: Viewport = { x0: 0, x1: 1, scrollY: 0, width: 1, height: 1 };
  /** Zoomed frames, innermost last; empty = the whole tree. */
  private zoomStack: number[] = [];
  private selected = -1;
  private hovered = -1;
  private animation: { from: [number, number]; to: [number, number]; startedAt: number } | undefined;
  private frameRequested = false;
  private paints = 0;
  private drag: { x: number; y: number; x0: number; x1: number; scrollY: number; moved: boolean } | undefined;

  constructor(
    private readonly container: HTMLElement,
    private readonly events: FlameViewEvents,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'flame-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'application');
    this.canvas.setAttribute('aria-roledescription', 'flame graph');
    this.canvas.setAttribute(
      'aria-label',
      'Flame graph. Arrow keys move between frames, Enter zooms into a frame, Escape zooms back, Space opens its source.',
    );
    this.status = document.createElement('div');
    this.status.className = 'visually-hidden';
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');
    container.append(this.canvas, this.status);
    this.renderer = new Renderer(this.canvas);
    this.tooltip = new Tooltip(this.canvas);
    this.listen();
    new ResizeObserver(() => this.resize()).observe(container);
    watchTheme(() => {
      this.theme = readTheme();
      this.recolor();
    });
    this.resize();
  }

  /** Shows a new tree, finding the previous zoom and selection in it (a refresh keeps them). */
  setData(data: PackedFlameGraph, position: ViewPosition): void {
    this.layout = layoutTree(data);
    this.zoomStack = [];
    for (const path of position.zoom) {
      const index = findPath(this.layout, path);
      if (index > 0 && index !== this.zoomStack.at(-1)) this.zoomStack.push(index);
    }
    this.selected = position.selected ? findPath(this.layout, position.selected) : -1;
    this.hovered = -1;
    this.tooltip.hide();
    this.animation = undefined;
    [this.view.x0, this.view.x1] = this.zoomRange();
    this.view.scrollY = position.scrollY;
    this.clampScroll();
    this.recolor();
    this.applyQuery(this.query);
  }

  position(): ViewPosition {
    const layout = this.layout;
    if (!layout) return { zoom: [], selected: null, scrollY: 0 };
    return {
      zoom: this.zoomStack.map((index) => pathOf(layout, index)),
      selected: this.selected >= 0 ? pathOf(layout, this.selected) : null,
      scrollY: this.view.scrollY,
    };
  }

  setColorBy(colorBy: ColorBy): void {
    this.colorBy = colorBy;
    this.recolor();
  }

  /** Highlights frames whose name or location contains `query`; returns how many match and their share of the total. */
  applyQuery(query: string): { matches: number; share: string } {
    this.query = query;
    const layout = this.layout;
    const needle = query.trim().toLowerCase();
    if (!layout || !needle) {
      this.matches = null;
      this.invalidate();
      return { matches: 0, share: '' };
    }
    const matches = new Uint8Array(layout.count);
    // Names and paths repeat: test each string once.
    const matching = layout.strings.map((text) => text.toLowerCase().includes(needle));
    const withLine = needle.includes(':');
    let count = 0;
    let covered = 0;
    // Nested matches (recursion) count once towards the share: only the outermost adds its total.
    let coveredEnd = 0;
    for (let i = 0; i < layout.count; i++) {
      const path = layout.path[i]!;
      const hit =
        matching[layout.name[i]!] ||
        (path !== 0 && (matching[path] || (withLine && `${layout.strings[path]}:${layout.line[i]}`.toLowerCase().includes(needle))));
      if (!hit) continue;
      matches[i] = 1;
      count++;
      if (i >= coveredEnd) {
        covered += layout.total[i]!;
        coveredEnd = layout.end[i]!;
      }
    }
    this.matches = matches;
    this.invalidate();
    return { matches: count, share: formatShare(covered, layout.total[0]!) };
  }

  /** Zooms so `index` fills the width; pushes it on the zoom history. */
  zoomTo(index: number): void {
    if (!this.layout || index < 0) return;
    if (index === 0) this.zoomStack = [];
    else if (this.zoomStack.at(-1) !== index) this.zoomStack.push(index);
    this.select(index);
    this.animateTo(this.zoomRange());
    this.events.changed();
  }

  /** Back to the previous zoom level. */
  zoomOut(): void {
    if (this.zoomStack.length === 0) return;
    this.zoomStack.pop();
    this.animateTo(this.zoomRange());
    this.events.changed();
  }

  exportSvg(): string {
    if (!this.layout || !this.coloring) throw new Error('nothing to export');
    return exportSvg(this.layout, this.coloring, this.view.x0, this.view.x1, this.view.width, this.renderer.rowHeight(this.theme), this.theme);
  }

  exportPng(): string {
    this.paint();
    return this.canvas.toDataURL('image/png');
  }

  // ---- input ----

  private listen(): void {
    const canvas = this.canvas;
    canvas.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      canvas.setPointerCapture(event.pointerId);
      this.drag = { x: event.clientX, y: event.clientY, x0: this.view.x0, x1: this.view.x1, scrollY: this.view.scrollY, moved: false };
    });
    canvas.addEventListener('pointermove', (event) => {
      const drag = this.drag;
      if (drag && (drag.moved || Math.hypot(event.clientX - drag.x, event.clientY - drag.y) > DRAG_THRESHOLD)) {
        drag.moved = true;
        this.tooltip.hide();
        const perPixel = (drag.x1 - drag.x0) / this.view.width;
        this.pan(drag.x0 - (event.clientX - drag.x) * perPixel, drag.x1 - drag.x0);
        this.view.scrollY = drag.scrollY - (event.clientY - drag.y);
        this.clampScroll();
        this.invalidate();
        return;
      }
      this.hover(event.clientX, event.clientY);
    });
    canvas.addEventListener('pointerup', (event) => {
      const drag = this.drag;
      this.drag = undefined;
      if (!drag) return;
      if (drag.moved) return this.events.changed();
      const index = this.hitTest(event.clientX, event.clientY);
      if (index < 0) return;
      this.select(index);
      this.events.changed();
      const node = frameOf(this.layout!, index);
      if (node.path && node.line > 0) this.events.openSource(node);
    });
    canvas.addEventListener('dblclick', (event) => this.zoomTo(this.hitTest(event.clientX, event.clientY)));
    canvas.addEventListener('pointerleave', () => {
      this.hovered = -1;
      this.tooltip.hide();
      this.invalidate();
    });
    canvas.addEventListener('wheel', (event) => this.wheel(event), { passive: false });
    canvas.addEventListener('keydown', (event) => this.key(event));
  }

  private wheel(event: WheelEvent): void {
    if (!this.layout) return;
    event.preventDefault();
    this.animation = undefined;
    const width = this.view.x1 - this.view.x0;
    if (event.ctrlKey || event.metaKey) {
      // Zoom around the pointer.
      const anchor = this.view.x0 + (event.offsetX / this.view.width) * width;
      const next = Math.min(this.layout.total[0]!, Math.max(width * Math.exp(event.deltaY / 300), this.layout.total[0]! * 1e-9));
      this.pan(anchor - (anchor - this.view.x0) * (next / width), next);
    } else if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      this.pan(this.view.x0 + ((event.deltaX || event.deltaY) / this.view.width) * width, width);
    } else {
      this.view.scrollY += event.deltaY;
      this.clampScroll();
    }
    this.tooltip.hide();
    this.invalidate();
    this.events.changed();
  }

  private key(event: KeyboardEvent): void {
    const layout = this.layout;
    if (!layout) return;
    const current = this.selected >= 0 ? this.selected : (this.zoomStack.at(-1) ?? 0);
    let next = -1;
    switch (event.key) {
      case 'ArrowUp':
        next = current === 0 ? 0 : layout.parent[current]!;
        break;
      case 'ArrowDown':
        next = current + 1 < layout.end[current]! ? current + 1 : current;
        break;
      case 'ArrowLeft':
      case 'ArrowRight':
        next = this.neighbour(current, event.key === 'ArrowLeft' ? -1 : 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'Enter':
        this.zoomTo(current);
        break;
      case 'Escape':
        this.zoomOut();
        break;
      case ' ': {
        const node = frameOf(layout, current);
        if (node.path && node.line > 0) this.events.openSource(node);
        break;
      }
      default:
        return;
    }
    event.preventDefault();
    if (next >= 0) {
      this.select(next);
      this.revealSelected();
      this.events.changed();
    }
  }

  /** The frame left or right of `index` in its row; itself at the edges. */
  private neighbour(index: number, direction: -1 | 1): number {
    const layout = this.layout!;
    const row = layout.rows[layout.depth[index]!]!;
    let low = 0;
    let high = row.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (row[mid]! < index) low = mid + 1;
      else high = mid;
    }
    return row[Math.min(row.length - 1, Math.max(0, low + direction))]!;
  }

  private hover(clientX: number, clientY: number): void {
    const index = this.hitTest(clientX, clientY);
    if (index !== this.hovered) {
      this.hovered = index;
      this.invalidate();
    }
    if (index < 0) this.tooltip.hide();
    else this.tooltip.show(frameOf(this.layout!, index), this.layout!, this.view.x1 - this.view.x0, clientX, clientY);
  }

  private hitTest(clientX: number, clientY: number): number {
    const layout = this.layout;
    if (!layout) return -1;
    const bounds = this.canvas.getBoundingClientRect();
    const depth = Math.floor((clientY - bounds.top + this.view.scrollY) / this.renderer.rowHeight(this.theme));
    const x = this.view.x0 + ((clientX - bounds.left) / this.view.width) * (this.view.x1 - this.view.x0);
    return frameAt(layout, depth, x);
  }

  private select(index: number): void {
    this.selected = index;
    const layout = this.layout;
    if (!layout || index < 0) return;
    const node = frameOf(layout, index);
    const location = formatLocation(node);
    this.status.textContent = `${node.name}${location ? `, ${location}` : ''}: ${formatValue(node.total, layout.unit)}, ${formatShare(node.total, layout.total[0]!)}`;
    this.invalidate();
  }

  /** Scrolls the selected frame into view and shows its tooltip, for keyboard users. */
  private revealSelected(): void {
    const layout = this.layout!;
    const index = this.selected;
    const rowHeight = this.renderer.rowHeight(this.theme);
    const top = layout.depth[index]! * rowHeight;
    if (top < this.view.scrollY) this.view.scrollY = top;
    else if (top + rowHeight > this.view.scrollY + this.view.height) this.view.scrollY = top + rowHeight - this.view.height;
    const width = this.view.x1 - this.view.x0;
    if (layout.start[index]! + layout.total[index]! <= this.view.x0 || layout.start[index]! >= this.view.x1) {
      this.pan(layout.start[index]! + layout.total[index]! / 2 - width / 2, width);
    }
    const bounds = this.canvas.getBoundingClientRect();
    const left = Math.max(this.view.x0, layout.start[index]!);
    const x = bounds.left + ((left - this.view.x0) / width) * this.view.width;
    this.tooltip.show(frameOf(layout, index), layout, width, x, bounds.top + top - this.view.scrollY + rowHeight);
    this.invalidate();
  }

  // ---- viewport ----

  private zoomRange(): [number, number] {
    const layout = this.layout!;
    const index = this.zoomStack.at(-1) ?? 0;
    const total = layout.total[index]! || 1;
    return [layout.start[index]!, layout.start[index]! + total];
  }

  /** Moves the visible range, keeping it inside the tree. */
  private pan(x0: number, width: number): void {
    const total = this.layout?.total[0] || 1;
    const clamped = Math.min(Math.max(0, x0), total - width);
    this.view.x0 = Math.max(0, clamped);
    this.view.x1 = this.view.x0 + width;
  }

  private clampScroll(): void {
    const layout = this.layout;
    const contentHeight = layout ? (layout.maxDepth + 1) * this.renderer.rowHeight(this.theme) : 0;
    this.view.scrollY = Math.max(0, Math.min(this.view.scrollY, contentHeight - this.view.height));
  }

  private animateTo(to: [number, number]): void {
    if (matchMedia('(prefers-reduced-motion: reduce)').matches) {
      [this.view.x0, this.view.x1] = to;
      this.animation = undefined;
    } else {
      this.animation = { from: [this.view.x0, this.view.x1], to, startedAt: performance.now() };
    }
    this.invalidate();
  }

  private resize(): void {
    const { width, height } = this.container.getBoundingClientRect();
    this.view.width = Math.max(1, Math.floor(width));
    this.view.height = Math.max(1, Math.floor(height));
    this.renderer.resize(this.view.width, this.view.height);
    this.canvas.dataset.rowHeight = String(this.renderer.rowHeight(this.theme));
    this.clampScroll();
    this.paint();
  }

  private recolor(): void {
    if (!this.layout) return;
    const mode = this.layout.mode;
    const scheme: Scheme = mode === 'diff' ? 'diff' : mode === 'allocations' ? 'kind' : this.colorBy;
    this.coloring = colorFrames(this.layout, scheme, this.theme);
    this.canvas.dataset.rowHeight = String(this.renderer.rowHeight(this.theme));
    this.invalidate();
  }

  private invalidate(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame((now) => {
      this.frameRequested = false;
      this.step(now);
      this.paint();
    });
  }

  private step(now: number): void {
    const animation = this.animation;
    if (!animation) return;
    const t = Math.min(1, (now - animation.startedAt) / ZOOM_MS);
    const eased = t < 0.5 ? 4 * t * t * t : 1 - (-2 * t + 2) ** 3 / 2;
    this.view.x0 = animation.from[0] + (animation.to[0] - animation.from[0]) * eased;
    this.view.x1 = animation.from[1] + (animation.to[1] - animation.from[1]) * eased;
    if (t < 1) this.invalidate();
    else this.animation = undefined;
  }

  private paint(): void {
    if (!this.layout || !this.coloring) return;
    this.renderer.paint(this.layout, this.coloring, this.view, { matches: this.matches, selected: this.selected, hovered: this.hovered }, this.theme);
    // Lets tests and the benchmark see that (and how often) the canvas was painted.
    this.canvas.dataset.paints = String(++this.paints);
  }
}
