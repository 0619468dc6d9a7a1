/**
 * Live allocations by stack from a sampling heap profile (`HeapProfiler.getSamplingProfile`),
 * each frame source-mapped once. V8 reports where a function starts, not the allocating line,
 * so frames are functions; call paths that map to the same function merge.
 */
import type { Protocol } from 'devtools-protocol';
import type { FlameGraphData } from '../protocol/flameGraph';
import type { GeneratedFrame, ResolvedLocation } from '../sourcemap/frames';
import { frameKind } from './frameKind';
import { childFor, createNode, finish, type BuildNode, type FrameInfo } from './tree';

type ProfileNode = Protocol.HeapProfiler.SamplingHeapProfileNode;

/** `SourceMapResolver#resolve` fits; tests can pass a plain function. */
export type ResolveFrame = (frame: GeneratedFrame) => Promise<ResolvedLocation>;

export async function buildAllocationFlameGraph(
  profile: Protocol.HeapProfiler.SamplingHeapProfile,
  resolve: ResolveFrame,
  title = 'Live allocations (sampled)',
): Promise<FlameGraphData> {
  const frames = await resolveFrames(profile.head, resolve);
  const root = createNode({ name: 'all', path: '', line: 0, column: 0, kind: 'root' });
  // Iterative: allocation stacks can be deeper than is comfortable for recursion.
  const pending: Array<[ProfileNode, BuildNode]> = profile.head.children.map((child) => [child, root]);
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [node, parent] = item;
    const built = childFor(parent, frames.get(callFrameKey(node.callFrame))!);
    built.self += node.selfSize;
    for (const child of node.children) pending.push([child, built]);
  }
  return { mode: 'allocations', unit: 'bytes', title, root: finish(root), heapProfileAvailable: true };
}

async function resolveFrames(head: ProfileNode, resolve: ResolveFrame): Promise<Map<string, FrameInfo>> {
  const unique = new Map<string, Protocol.Runtime.CallFrame>();
  const stack = [...head.children];
  for (let node = stack.pop(); node; node = stack.pop()) {
    unique.set(callFrameKey(node.callFrame), node.callFrame);
    for (const child of node.children) stack.push(child);
  }
  const entries = await Promise.all(
    [...unique].map(async ([key, callFrame]): Promise<[string, FrameInfo]> => [key, await toFrame(callFrame, resolve)]),
  );
  return new Map(entries);
}

async function toFrame(callFrame: Protocol.Runtime.CallFrame, resolve: ResolveFrame): Promise<FrameInfo> {
  const name = callFrame.functionName || (callFrame.url ? '(anonymous)' : '(native)');
  // Native entries ("(garbage collector)", "(V8 API)") have no script to map.
  if (callFrame.url === '') return { name, path: '', line: 0, column: 0, kind: 'native' };
  const location = await resolve({
    url: callFrame.url,
    lineNumber: callFrame.lineNumber,
    columnNumber: callFrame.columnNumber,
    functionName: callFrame.functionName,
  });
  return { name, path: location.path, line: location.line, column: location.column, kind: frameKind(location.path) };
}

function callFrameKey(frame: Protocol.Runtime.CallFrame): string {
  return `${frame.functionName}\0${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}`;
}
