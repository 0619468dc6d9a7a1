/**
 * Frame colours. Each frame gets a small palette index, so the renderer fills every frame of a
 * colour in one path: a few dozen fills per paint instead of one per frame.
 */
import { FRAME_KINDS } from '../../src/protocol/flameGraph';
import type { Layout } from './layout';
import type { Theme } from './theme';

/** Async frames can be coloured by resource type or by leak score; other modes have one scheme. */
export type ColorBy = 'type' | 'score';
export type Scheme = 'type' | 'score' | 'kind' | 'diff';

export interface Coloring {
  /** Per frame, an index into `fill`/`dim`. */
  index: Uint8Array;
  fill: string[];
  /** The same colours faded, for frames that do not match the search. */
  dim: string[];
}

interface Hsl {
  h: number;
  s: number;
  /** -1..1: darker or lighter than the theme's base lightness. */
  shade: number;
}

const NEUTRAL: Hsl = { h: 220, s: 6, shade: 0 };
const TYPE_HUES: Record<string, number> = {
  Interval: 0,
  Timeout: 28,
  Immediate: 48,
  Promise: 275,
  TCPSocket: 205,
  TCPServer: 185,
  PipeSocket: 160,
  PipeServer: 140,
  UDPSocket: 225,
  ChildProcess: 310,
  Worker: 100,
};
const TYPES = Object.keys(TYPE_HUES);
/** Variants per hue, picked by name hash so neighbouring frames of one colour stay apart. */
const SHADES = [-0.5, 0, 0.5];
const KIND_HUES: Record<string, Hsl> = {
  user: { h: 24, s: 75, shade: 0 },
  dependency: { h: 48, s: 60, shade: 0 },
  node: { h: 200, s: 25, shade: 0 },
  native: { h: 0, s: 0, shade: 0 },
};
const KINDS = Object.keys(KIND_HUES);
/** Diff buckets each side of zero. */
const DIFF_STEPS = 10;

/** The palette and per-frame indices for a scheme. */
export function colorFrames(layout: Layout, scheme: Scheme, theme: Theme): Coloring {
  const palette = paletteFor(scheme);
  const index = new Uint8Array(layout.count);
  const typeIndex = layout.strings.map((text) => TYPES.indexOf(text));
  const nameHash = layout.strings.map(hash);
  for (let i = 0; i < layout.count; i++) index[i] = paletteIndex(layout, i, scheme, typeIndex, nameHash);
  return { index, fill: palette.map((hsl) => css(hsl, theme, false)), dim: palette.map((hsl) => css(hsl, theme, true)) };
}

function paletteFor(scheme: Scheme): Hsl[] {
  switch (scheme) {
    case 'type':
      return [NEUTRAL, ...TYPES.flatMap((type) => SHADES.map((shade) => ({ h: TYPE_HUES[type]!, s: 70, shade })))];
    case 'score':
      // 0 → pale yellow, 100 → saturated red: the likely leaks stand out.
      return [NEUTRAL, ...Array.from({ length: 11 }, (_, step) => ({ h: 50 - step * 5, s: 30 + step * 6, shade: -step / 20 }))];
    case 'kind':
      return [NEUTRAL, ...KINDS.flatMap((kind) => SHADES.map((shade) => ({ ...KIND_HUES[kind]!, shade })))];
    case 'diff':
      // Shrinking (blue) … unchanged (grey) … growing (red), by the frame's relative change.
      return Array.from({ length: 2 * DIFF_STEPS + 1 }, (_, step) => {
        const r = (step - DIFF_STEPS) / DIFF_STEPS;
        return r === 0 ? NEUTRAL : { h: r > 0 ? 0 : 215, s: 25 + 60 * Math.abs(r), shade: -Math.abs(r) / 3 };
      });
  }
}

function paletteIndex(layout: Layout, i: number, scheme: Scheme, typeIndex: number[], nameHash: number[]): number {
  if (scheme === 'diff') return DIFF_STEPS + diffStep(layout.total[i]!, layout.before?.[i]);
  const kind = FRAME_KINDS[layout.kind[i]!];
  if (kind === 'root' || kind === 'group') return 0;
  const shade = nameHash[layout.name[i]!]! % SHADES.length;
  switch (scheme) {
    case 'type': {
      const type = typeIndex[layout.type[i]!]!;
      return type < 0 ? 0 : 1 + type * SHADES.length + shade;
    }
    case 'score':
      return 1 + Math.round(Math.min(100, Math.max(0, layout.score[i]!)) / 10);
    case 'kind': {
      const index = KINDS.indexOf(kind ?? '');
      return index < 0 ? 0 : 1 + index * SHADES.length + shade;
    }
  }
}

/** -10..10: growth relative to the larger of before and after, so a new frame is +10. */
function diffStep(total: number, before = total): number {
  const largest = Math.max(total, before);
  return largest === 0 ? 0 : Math.round(((total - before) / largest) * DIFF_STEPS);
}

function css({ h, s, shade }: Hsl, theme: Theme, dim: boolean): string {
  const light = theme.kind === 'light' || theme.kind === 'high-contrast-light';
  // Light themes: pale boxes under black text; dark themes: deep boxes under white text.
  const base = theme.kind === 'high-contrast' ? 24 : light ? 74 : 38;
  const lightness = base + shade * (light ? 10 : 8);
  return dim ? `hsla(${h}, ${Math.round(s / 4)}%, ${lightness}%, 0.35)` : `hsl(${h}, ${s}%, ${lightness}%)`;
}

function hash(text: string): number {
  let value = 0;
  for (let i = 0; i < text.length; i++) value = (value * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(value);
}
