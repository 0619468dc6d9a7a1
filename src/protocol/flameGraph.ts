/**
 * The flame graph's data and the messages between the extension and its webview. Plain JSON
 * data, shared by the engine's builders (src/flame), the language server, the panel and the
 * browser code (webview/), so nothing here imports Node or the editor API.
 *
 * The webview is untrusted input: every message it posts goes through `parseWebviewMessage`,
 * which returns undefined for anything malformed.
 */
import { isRecord } from '../common/guards';

/**
 * - `async`: live async resources by creation stack (width = count).
 * - `allocations`: live sampled heap bytes by allocation stack (width = bytes).
 * - `diff`: the later of two snapshots (width), coloured by growth or shrinkage per frame.
 */
export type FlameMode = 'async' | 'allocations' | 'diff';
export const FLAME_MODES: readonly FlameMode[] = ['async', 'allocations', 'diff'];

/** What a frame is, for colouring and for telling the user how far to trust its location. */
export type FrameKind =
  | 'root'
  /** The program's own code (an absolute path outside node_modules). */
  | 'user'
  | 'dependency'
  /** Node's own JavaScript (`node:internal/…`). */
  | 'node'
  /** No script: native code, the GC, `(program)`. */
  | 'native'
  /** A grouping frame with no location: a thread, `(created before attach)`. */
  | 'group'
  /** The leaf of an async stack: the resource type itself (`Interval`, `TCPSocket`, …). */
  | 'resource';

export interface FlameNode {
  name: string;
  /** Original (source-mapped) path when known, else the generated script's; '' for none. */
  path: string;
  /** 1-based; 0 when unknown. */
  line: number;
  /** 1-based; 0 when unknown. */
  column: number;
  kind: FrameKind;
  /** Value in this frame itself, not in its children (count or bytes: `FlameGraphData.unit`). */
  self: number;
  /** Self plus every descendant's total; the frame's width. */
  total: number;
  /** Async: the resource type contributing most to this frame's total. */
  type?: string;
  /** Async: the highest leak score (0–100) among the sites through this frame. */
  score?: number;
  /** Diff: this frame's total in the earlier tree (0 when new). `total - before` is the growth. */
  before?: number;
  /** Largest total first (left-heavy): builders sort, the renderer keeps the order. */
  children: FlameNode[];
}

export interface FlameGraphData {
  mode: FlameMode;
  unit: 'count' | 'bytes';
  /** What the tree shows, e.g. `game-server (pid 4242), 12:03:41`. */
  title: string;
  root: FlameNode;
  /** Diff: the earlier tree's root total (frames that vanished are not drawn but counted here). */
  beforeTotal?: number;
  /** Allocations: the extension can export the raw profile as `.heapprofile`. */
  heapProfileAvailable?: boolean;
}

/** `FrameKind`s by their index in `PackedFlameGraph.kind`. */
export const FRAME_KINDS: readonly FrameKind[] = ['root', 'user', 'dependency', 'node', 'native', 'group', 'resource'];

/**
 * A `FlameGraphData` as the panel posts it to the webview: frames in pre-order as parallel
 * typed arrays, strings interned. Structured-cloning 100,000 frame objects takes ~250 ms; these
 * arrays are copied in a few, and they are already the layout the renderer walks.
 */
export interface PackedFlameGraph {
  mode: FlameMode;
  unit: FlameGraphData['unit'];
  title: string;
  beforeTotal?: number;
  heapProfileAvailable?: boolean;
  /** Names, paths and types; index 0 is ''. */
  strings: string[];
  name: Int32Array;
  path: Int32Array;
  line: Int32Array;
  column: Int32Array;
  /** Index into `FRAME_KINDS`. */
  kind: Uint8Array;
  self: Float64Array;
  total: Float64Array;
  /** Frames in the subtree, the frame itself included: with pre-order, this is the tree. */
  size: Int32Array;
  /** Index into `strings`; 0 when none. */
  type: Int32Array;
  /** -1 when none. */
  score: Int16Array;
  /** Diff only. */
  before?: Float64Array;
}

export type ExportFormat = 'svg' | 'png' | 'heapprofile';

// ---- webview → extension ----

export type WebviewMessage =
  /** The webview (re)loaded; `mode` is the view it restored from its saved state. */
  | { type: 'ready'; mode?: FlameMode }
  | { type: 'refresh' }
  | { type: 'selectMode'; mode: FlameMode }
  | { type: 'openSource'; path: string; line: number; column: number }
  | { type: 'export'; format: 'svg'; svg: string }
  /** A `data:image/png;base64,…` URL from `canvas.toDataURL`. */
  | { type: 'export'; format: 'png'; dataUrl: string }
  /** The extension holds the profile; the webview only asks. */
  | { type: 'export'; format: 'heapprofile' };

// ---- extension → webview ----

export type ExtensionMessage =
  | { type: 'setData'; data: PackedFlameGraph }
  | { type: 'loading'; mode: FlameMode }
  /** Loading failed or nothing is attached: shown in place of the graph. */
  | { type: 'error'; mode: FlameMode; message: string };

/** Caps on what a webview may send: a path, an SVG or a PNG of a graph is far below these. */
export const MAX_PATH_LENGTH = 4096;
export const MAX_EXPORT_CHARS = 64 * 1024 * 1024;
const PNG_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/;

/** The message if it is exactly one of `WebviewMessage`'s shapes (no extra keys), else undefined. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  if (!isRecord(value) || typeof value.type !== 'string') return undefined;
  switch (value.type) {
    case 'ready':
      if (!hasOnlyKeys(value, ['type', 'mode'])) return undefined;
      if (value.mode === undefined) return { type: 'ready' };
      return isMode(value.mode) ? { type: 'ready', mode: value.mode } : undefined;
    case 'refresh':
      return hasOnlyKeys(value, ['type']) ? { type: 'refresh' } : undefined;
    case 'selectMode':
      return hasOnlyKeys(value, ['type', 'mode']) && isMode(value.mode) ? { type: 'selectMode', mode: value.mode } : undefined;
    case 'openSource': {
      const { path, line, column } = value;
      if (!hasOnlyKeys(value, ['type', 'path', 'line', 'column'])) return undefined;
      if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_LENGTH || path.includes('\0')) return undefined;
      if (!isPosition(line) || !isPosition(column)) return undefined;
      return { type: 'openSource', path, line, column };
    }
    case 'export':
      return parseExport(value);
    default:
      return undefined;
  }
}

function parseExport(value: Record<string, unknown>): WebviewMessage | undefined {
  switch (value.format) {
    case 'svg':
      return hasOnlyKeys(value, ['type', 'format', 'svg']) &&
        typeof value.svg === 'string' &&
        value.svg.length <= MAX_EXPORT_CHARS &&
        value.svg.startsWith('<svg')
        ? { type: 'export', format: 'svg', svg: value.svg }
        : undefined;
    case 'png':
      return hasOnlyKeys(value, ['type', 'format', 'dataUrl']) &&
        typeof value.dataUrl === 'string' &&
        value.dataUrl.length <= MAX_EXPORT_CHARS &&
        PNG_DATA_URL.test(value.dataUrl)
        ? { type: 'export', format: 'png', dataUrl: value.dataUrl }
        : undefined;
    case 'heapprofile':
      return hasOnlyKeys(value, ['type', 'format']) ? { type: 'export', format: 'heapprofile' } : undefined;
    default:
      return undefined;
  }
}

export function isMode(value: unknown): value is FlameMode {
  return typeof value === 'string' && (FLAME_MODES as readonly string[]).includes(value);
}

function hasOnlyKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(value).every((key) => keys.includes(key));
}

/** 1-based line or column, as frames carry them; 0 (unknown) cannot be opened. */
function isPosition(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 10_000_000;
}
