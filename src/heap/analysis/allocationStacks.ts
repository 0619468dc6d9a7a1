/**
 * Who allocated an object, from V8's allocation stacks (a snapshot taken while allocation
 * tracking ran): the frames of the program's own code, innermost first. Node's internals
 * (`node:` scripts), V8's builtins and evaluated snippets (no script name) and the agent's
 * script are skipped: an entry a program puts in its Map is "allocated by" the program's
 * function that called into them, not by `EventEmitter.emit` or the agent's wrapper.
 */
import { AGENT_SCRIPT_URL } from '../../agent/stacks';
import type { HeapAllocationFrame, HeapAllocationSite } from '../../protocol/heap';
import type { AllocationTrace } from '../parser/parseSnapshot';
import type { HeapGraph } from './heapGraph';

/** Frames kept per stack: enough for the engine to look past a library's frames to the program's. */
const MAX_FRAMES = 6;
/** Sites reported per group of objects, most first. */
const MAX_SITES = 5;

export class AllocationStacks {
  /** Per function of the trace: 1 when it is the program's own code, 0 when not, -1 not decided yet. */
  private readonly own: Int8Array;
  /** Per trace node id: its stack of the program's frames (function indexes), computed once. */
  private readonly stacks = new Map<number, readonly number[]>();
  private readonly frames = new Map<number, HeapAllocationFrame>();

  private constructor(
    private readonly graph: HeapGraph,
    private readonly trace: AllocationTrace,
    private readonly nodeTraceIds: Uint32Array | null,
  ) {
    this.own = new Int8Array(trace.functionNames.length).fill(-1);
  }

  /** Undefined when the snapshot has no allocation stacks (tracking was off). */
  static of(graph: HeapGraph): AllocationStacks | undefined {
    const { allocationTrace, nodeTraceIds } = graph.raw;
    return allocationTrace ? new AllocationStacks(graph, allocationTrace, nodeTraceIds) : undefined;
  }

  /** The program's frames of the stack that allocated `node`, innermost first; empty when V8 has none or only others' frames. */
  stackOf(node: number): readonly number[] {
    const traceId = this.nodeTraceIds?.[node] ?? 0;
    if (traceId === 0) return [];
    let stack = this.stacks.get(traceId);
    if (!stack) {
      const found: number[] = [];
      for (let id = traceId; id !== 0 && found.length < MAX_FRAMES; id = this.trace.parentIds[id]) {
        const fn = this.trace.functionIndexes[id];
        if (this.isOwn(fn)) found.push(fn);
      }
      this.stacks.set(traceId, (stack = found));
    }
    return stack;
  }

  /** A function of the trace as a frame of the report. */
  frame(fn: number): HeapAllocationFrame {
    let frame = this.frames.get(fn);
    if (!frame) {
      const { functionNames, scriptNames, scriptIds, lines, columns } = this.trace;
      frame = {
        functionName: this.graph.string(functionNames[fn]) || '(anonymous)',
        scriptName: this.graph.string(scriptNames[fn]),
        location: { scriptId: scriptIds[fn], line: Math.max(0, lines[fn]), column: Math.max(0, columns[fn]) },
      };
      this.frames.set(fn, frame);
    }
    return frame;
  }

  private isOwn(fn: number): boolean {
    if (this.own[fn] === -1) {
      const script = this.graph.string(this.trace.scriptNames[fn]);
      const agent = script === AGENT_SCRIPT_URL || script.endsWith(`/${AGENT_SCRIPT_URL}`);
      this.own[fn] = script !== '' && !script.startsWith('node:') && !agent && this.trace.scriptIds[fn] !== 0 && this.trace.lines[fn] >= 0 ? 1 : 0;
    }
    return this.own[fn] === 1;
  }
}

/** Counts a group's objects by the stack that allocated them. */
export class AllocationSiteCounter {
  private readonly counts = new Map<string, { stack: readonly number[]; count: number }>();

  constructor(private readonly stacks: AllocationStacks) {}

  add(node: number): void {
    const stack = this.stacks.stackOf(node);
    if (stack.length === 0) return;
    const key = stack.join(',');
    const site = this.counts.get(key);
    if (site) site.count++;
    else this.counts.set(key, { stack, count: 1 });
  }

  top(): HeapAllocationSite[] {
    return [...this.counts.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, MAX_SITES)
      .map(({ stack: [innermost, ...callers], count }) => ({ ...this.stacks.frame(innermost), callers: callers.map((fn) => this.stacks.frame(fn)), count }));
  }
}
