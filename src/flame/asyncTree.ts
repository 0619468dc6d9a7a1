/**
 * Live async resources by creation stack, the Node form of a goroutine flame graph: each site's
 * stack from the outermost frame to the innermost, ending in a leaf for the resource type, with
 * the site's count as the leaf's value.
 */
import type { AsyncSnapshotReport, SiteReport } from '../protocol/asyncSnapshot';
import type { FlameGraphData } from '../protocol/flameGraph';
import { frameKind } from './frameKind';
import { childFor, createNode, finish, type BuildNode, type FrameInfo } from './tree';

/**
 * One tree for a process: a report per thread. With several threads, each gets a group frame
 * under the root (the first report is the main thread).
 */
export function buildAsyncFlameGraph(reports: readonly AsyncSnapshotReport[], title = asyncTitle(reports)): FlameGraphData {
  const root = createNode({ name: 'all', path: '', line: 0, column: 0, kind: 'root' });
  for (const report of reports) {
    const parent =
      reports.length > 1 ? childFor(root, { name: report.target.label, path: '', line: 0, column: 0, kind: 'group' }) : root;
    for (const site of report.sites) addSite(root, parent, site);
  }
  return { mode: 'async', unit: 'count', title, root: finish(root) };
}

function addSite(root: BuildNode, parent: BuildNode, site: SiteReport): void {
  if (site.count <= 0) return;
  const path: BuildNode[] = [root];
  if (parent !== root) path.push(parent);
  let node = parent;
  for (const frame of siteFrames(site)) {
    node = childFor(node, frame);
    path.push(node);
  }
  node = childFor(node, { name: site.type, path: '', line: 0, column: 0, kind: 'resource' });
  path.push(node);
  node.self += site.count;
  for (const visited of path) {
    visited.score = Math.max(visited.score ?? 0, site.score);
    visited.types ??= new Map();
    visited.types.set(site.type, (visited.types.get(site.type) ?? 0) + site.count);
  }
}

/** Outermost first. Without a stack (created before the attach), the callback's location under a group. */
function siteFrames(site: SiteReport): FrameInfo[] {
  if (site.stack.length > 0) {
    return site.stack
      .map((frame) => ({
        name: frame.functionName || '(anonymous)',
        path: frame.path,
        line: frame.line,
        column: frame.column,
        kind: frameKind(frame.path),
      }))
      .reverse();
  }
  const group: FrameInfo = {
    name: site.preexisting ? '(created before attach)' : '(no stack)',
    path: '',
    line: 0,
    column: 0,
    kind: 'group',
  };
  if (!site.location) return [group];
  const { path, line, column } = site.location;
  return [group, { name: site.callbackHint || '(callback)', path, line, column, kind: frameKind(path) }];
}

function asyncTitle(reports: readonly AsyncSnapshotReport[]): string {
  const first = reports[0];
  if (!first) return 'Async resources: no snapshot';
  const live = reports.reduce((sum, report) => sum + report.liveResources, 0);
  return `Async resources of ${first.target.label} (pid ${first.target.pid}): ${live} live, ${new Date(first.takenAt).toISOString()}`;
}
