import type { FrameKind } from '../protocol/flameGraph';
import { isUserFrame } from '../sourcemap/frames';

/** Classifies a (source-mapped) frame location for colouring. */
export function frameKind(path: string): Exclude<FrameKind, 'root' | 'group' | 'resource'> {
  if (path === '') return 'native';
  if (path.startsWith('node:')) return 'node';
  return isUserFrame({ path }) ? 'user' : 'dependency';
}
