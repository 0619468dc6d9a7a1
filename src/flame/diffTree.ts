/**
 * Two trees compared frame by frame: the later tree's shape and widths, each frame carrying its
 * total in the earlier tree (`before`), so growth = `total - before` colours the leaking path.
 * Frames match by their path of frame identities from the root.
 */
import type { FlameGraphData, FlameNode } from '../protocol/flameGraph';
import { frameKey } from './tree';

export function diffFlameGraphs(before: FlameGraphData, after: FlameGraphData, title?: string): FlameGraphData {
  if (before.unit !== after.unit) throw new Error(`cannot diff ${before.unit} against ${after.unit}`);
  return {
    mode: 'diff',
    unit: after.unit,
    title: title ?? `Diff: ${after.title} vs ${before.title}`,
    root: diffNode(before.root, after.root),
    beforeTotal: before.root.total,
  };
}

function diffNode(before: FlameNode | undefined, after: FlameNode): FlameNode {
  const earlier = new Map(before?.children.map((child) => [frameKey(child), child]));
  return {
    ...after,
    before: before?.total ?? 0,
    children: after.children.map((child) => diffNode(earlier.get(frameKey(child)), child)),
  };
}
