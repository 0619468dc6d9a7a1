/**
 * Building flame trees: stacks are added root → leaf, identical frames under the same parent
 * merge, and `finish` computes totals and sorts children largest first (left-heavy), so the
 * widest paths line up on the left whatever order the samples came in.
 */
import type { FlameNode, FrameKind } from '../protocol/flameGraph';

export interface FrameInfo {
  name: string;
  path: string;
  line: number;
  column: number;
  kind: FrameKind;
}

/** A node while building: children indexed by frame identity for merging. */
export interface BuildNode extends FlameNode {
  children: BuildNode[];
  byKey: Map<string, BuildNode>;
  /** Async: value per resource type, for the dominant `type`. */
  types?: Map<string, number>;
}

export function createNode(frame: FrameInfo): BuildNode {
  return { ...frame, self: 0, total: 0, children: [], byKey: new Map() };
}

export function frameKey(frame: Pick<FrameInfo, 'name' | 'path' | 'line' | 'column'>): string {
  return `${frame.name}\0${frame.path}\0${frame.line}\0${frame.column}`;
}

/** The child of `parent` for `frame`, created on first use. */
export function childFor(parent: BuildNode, frame: FrameInfo): BuildNode {
  const key = frameKey(frame);
  let child = parent.byKey.get(key);
  if (!child) {
    child = createNode(frame);
    parent.byKey.set(key, child);
    parent.children.push(child);
  }
  return child;
}

/**
 * Turns a built tree into plain `FlameNode`s: totals from self values, empty subtrees dropped,
 * children sorted by total (ties by name, so the layout is stable across refreshes).
 */
export function finish(node: BuildNode): FlameNode {
  const children = node.children.map(finish).filter((child) => child.total > 0);
  children.sort((a, b) => b.total - a.total || a.name.localeCompare(b.name) || a.path.localeCompare(b.path) || a.line - b.line);
  const total = node.self + children.reduce((sum, child) => sum + child.total, 0);
  const result: FlameNode = {
    name: node.name,
    path: node.path,
    line: node.line,
    column: node.column,
    kind: node.kind,
    self: node.self,
    total,
    children,
  };
  if (node.types && node.types.size > 0) result.type = dominant(node.types);
  if (node.score !== undefined) result.score = node.score;
  return result;
}

function dominant(values: Map<string, number>): string {
  let best = '';
  let bestValue = -Infinity;
  for (const [key, value] of values) {
    if (value > bestValue || (value === bestValue && key < best)) [best, bestValue] = [key, value];
  }
  return best;
}
