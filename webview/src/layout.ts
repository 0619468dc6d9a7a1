/**
 * The packed tree (frames in pre-order as typed arrays) plus what drawing and hit-testing need:
 * each frame's left edge, depth, parent and subtree end. A subtree is the index range
 * [i, end[i]), so skipping one is a jump, and 100,000 frames are laid out in a few ms.
 */
import { FRAME_KINDS, type FlameNode, type PackedFlameGraph } from '../../src/protocol/flameGraph';

export interface Layout extends PackedFlameGraph {
  count: number;
  /** Left edge in value units (count or bytes) from the root's left edge. */
  start: Float64Array;
  depth: Uint16Array;
  /** One past the last index of the subtree. */
  end: Int32Array;
  parent: Int32Array;
  maxDepth: number;
  /** Per depth, frame indices left to right, for hit-testing by binary search. */
  rows: Int32Array[];
}

/** One frame, as the tooltip and the messages need it: a tree node without its children. */
export type Frame = Omit<FlameNode, 'children'>;

export function layoutTree(packed: PackedFlameGraph): Layout {
  const count = packed.total.length;
  const start = new Float64Array(count);
  const depth = new Uint16Array(count);
  const end = new Int32Array(count);
  const parent = new Int32Array(count);
  /** Where the next child of each frame starts: children fill a frame from its left edge. */
  const nextChild = new Float64Array(count);
  const open: number[] = [];
  const rowSizes: number[] = [];
  let maxDepth = 0;
  for (let i = 0; i < count; i++) {
    end[i] = i + Math.max(1, packed.size[i]!);
    while (open.length > 0 && end[open[open.length - 1]!]! <= i) open.pop();
    const up = open.length > 0 ? open[open.length - 1]! : -1;
    parent[i] = up;
    depth[i] = open.length;
    if (up >= 0) {
      start[i] = nextChild[up]!;
      nextChild[up] += packed.total[i]!;
    }
    nextChild[i] = start[i]!;
    open.push(i);
    rowSizes[open.length - 1] = (rowSizes[open.length - 1] ?? 0) + 1;
    if (open.length - 1 > maxDepth) maxDepth = open.length - 1;
  }
  const rows = rowSizes.map((size) => new Int32Array(size));
  const filled = new Int32Array(rows.length);
  for (let i = 0; i < count; i++) rows[depth[i]!]![filled[depth[i]!]!++] = i;
  return { ...packed, count, start, depth, end, parent, maxDepth, rows };
}

export function frameOf(layout: Layout, i: number): Frame {
  const frame: Frame = {
    name: layout.strings[layout.name[i]!]!,
    path: layout.strings[layout.path[i]!]!,
    line: layout.line[i]!,
    column: layout.column[i]!,
    kind: FRAME_KINDS[layout.kind[i]!] ?? 'native',
    self: layout.self[i]!,
    total: layout.total[i]!,
  };
  if (layout.type[i]) frame.type = layout.strings[layout.type[i]!];
  if (layout.score[i]! >= 0) frame.score = layout.score[i];
  if (layout.before) frame.before = layout.before[i];
  return frame;
}

export function nameOf(layout: Layout, i: number): string {
  return layout.strings[layout.name[i]!]!;
}

/** The frame at value `x` in row `depth`, or -1. */
export function frameAt(layout: Layout, depth: number, x: number): number {
  const row = layout.rows[depth];
  if (!row) return -1;
  let low = 0;
  let high = row.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const index = row[mid]!;
    if (x < layout.start[index]!) high = mid - 1;
    else if (x >= layout.start[index]! + layout.total[index]!) low = mid + 1;
    else return index;
  }
  return -1;
}

/** A frame's identity, as the builders merge frames, for finding it again after a refresh. */
function keyOf(layout: Layout, i: number): string {
  return `${layout.strings[layout.name[i]!]}\0${layout.strings[layout.path[i]!]}\0${layout.line[i]}\0${layout.column[i]}`;
}

/** Keys from the root's first child down to `index` (the root itself is []). */
export function pathOf(layout: Layout, index: number): string[] {
  const keys: string[] = [];
  for (let i = index; i > 0; i = layout.parent[i]!) keys.push(keyOf(layout, i));
  return keys.reverse();
}

/** The deepest frame along `path` that still exists (the root when none does). */
export function findPath(layout: Layout, path: readonly string[]): number {
  let index = 0;
  for (const key of path) {
    let found = -1;
    for (let child = index + 1; child < layout.end[index]!; child = layout.end[child]!) {
      if (keyOf(layout, child) === key) {
        found = child;
        break;
      }
    }
    if (found < 0) break;
    index = found;
  }
  return index;
}
