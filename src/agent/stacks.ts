/**
 * Creation stacks on a budget. Capturing a stack costs microseconds (formatting it, more), so
 * the agent captures raw stacks for at most `budgetPerSecond` creations and formats them only
 * when a snapshot needs them, once per record.
 */
import type { RawFrame } from '../protocol/agentSnapshot';

export interface StackHolder {
  stack?: unknown;
}

type StackFunction = (...args: never[]) => unknown;

/**
 * Which creations get a stack. Each is sampled with probability `p`, re-estimated every
 * housekeeping window from the creation rate so that about `budgetPerSecond` stacks are taken;
 * a sampled record stands for `1 / p` creations, so per-site counts stay unbiased estimates.
 * (A first-come token bucket would favour whatever runs first in each window.)
 */
/** Stacks a window may always take in a burst (a few µs each): a program's startup or a test's setup keeps its lines. */
const MIN_BURST = 64;

export class StackSampler {
  private probability = 1;
  private createdThisWindow = 0;
  private takenThisWindow = 0;
  dropped = 0;

  constructor(
    readonly budgetPerSecond: number,
    private readonly maxFrames: number,
    private readonly windowMs: number,
    /**
     * Counted, not weighted: the live resources are enumerated anyway and a stack only locates
     * them. Then the first `budget` creations of every window all get their stack, so a small
     * burst right after a busy window keeps its lines; the coin decides only past that. A
     * sampler whose records stand for `1 / p` creations (promises) must stay uniform: false.
     */
    private readonly budgetFirst = false,
  ) {}

  /** 1 / p: how many creations one sampled record stands for right now. */
  get interval(): number {
    return 1 / this.probability;
  }

  /** Called once per housekeeping window. */
  refill(): void {
    const budget = (this.budgetPerSecond * this.windowMs) / 1000;
    const target = this.createdThisWindow > budget ? budget / this.createdThisWindow : 1;
    // Down smoothly, so one burst does not swing the rate; back up at once, so after a burst the
    // next quiet creations all get their stack (halving the gap never reached 1 for seconds). A
    // burst right after is still bounded by the hard cap in `capture`.
    this.probability = target >= this.probability ? target : Math.max(1e-4, (this.probability + target) / 2);
    this.createdThisWindow = this.takenThisWindow = 0;
  }

  /** A raw (unformatted) stack above `above`, or undefined when this creation is not sampled. */
  capture(above: StackFunction): StackHolder | undefined {
    this.createdThisWindow++;
    const budget = (this.budgetPerSecond * this.windowMs) / 1000;
    // The hard cap keeps a sudden burst within twice the budget (or MIN_BURST) before the next re-estimate.
    const withinBudget = this.budgetFirst && this.createdThisWindow <= budget;
    if (!withinBudget && ((this.probability < 1 && Math.random() >= this.probability) || this.takenThisWindow >= Math.max(2 * budget, MIN_BURST))) {
      this.dropped++;
      return undefined;
    }
    this.takenThisWindow++;
    const holder: StackHolder = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = this.maxFrames;
    Error.captureStackTrace(holder, above);
    Error.stackTraceLimit = limit;
    return holder;
  }
}

/** The injected agent's script name (its `//# sourceURL`), so its own frames can be dropped. */
export const AGENT_SCRIPT_URL = 'leak-inspector-agent.js';

/** Frames that say nothing about who created the resource: ours, hooks, native builtins. */
function isNoise(frame: RawFrame): boolean {
  return frame.url === '' || frame.url === AGENT_SCRIPT_URL || frame.url === 'node:internal/promise_hooks';
}

/**
 * Formats a captured stack into frames; V8 calls `prepareStackTrace` on first access only. If
 * something read the stack before us, it is already V8's text: an inspector preview of the
 * holder does that (a debugger expanding the agent's objects), and so would any other reader.
 */
export function formatStack(holder: StackHolder): RawFrame[] {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, callSites) => callSites.map(toRawFrame).filter((frame) => !isNoise(frame));
  try {
    const frames = holder.stack;
    if (typeof frames === 'string') {
      stackReads.fromText++;
      return parseStackText(frames);
    }
    if (Array.isArray(frames) && frames.length > 0) return frames as RawFrame[];
    stackReads.empty++;
    return [];
  } catch {
    stackReads.failed++;
    return [];
  } finally {
    Error.prepareStackTrace = previous;
  }
}

/**
 * How captured stacks read back, for the snapshot: `fromText` were already V8's text (parsed),
 * `empty` had no frame of the program (Node or the agent only), `failed` threw while formatting.
 */
export const stackReads = { fromText: 0, empty: 0, failed: 0 };

/** `    at [async ][name (]url:line:column[)]`, V8's default stack line. */
const STACK_LINE = /^\s*at (?:(async )?(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

/** Frames from V8's default stack text (name, url, line, column are all it keeps). */
export function parseStackText(text: string): RawFrame[] {
  const frames: RawFrame[] = [];
  for (const line of text.split('\n')) {
    const match = STACK_LINE.exec(line);
    if (!match) continue;
    const [, isAsync, name, url, lineNumber, column] = match;
    // As `toRawFrame` names it: no `new `, no `[as method]`.
    const functionName = (name ?? '').replace(/^new /, '').replace(/ \[as [^\]]+\]$/, '') || '<anonymous>';
    const frame: RawFrame = { functionName: isAsync ? `async ${functionName}` : functionName, url, line: Number(lineNumber), column: Number(column) };
    if (!isNoise(frame)) frames.push(frame);
  }
  return frames;
}

/** Runs for every frame of every sampled stack: the costly call-site getters only when needed. */
function toRawFrame(site: NodeJS.CallSite): RawFrame {
  // getMethodName searches the receiver's prototype chain: only for anonymous functions.
  const method = site.getFunctionName() ?? site.getMethodName();
  const typeName = method && !site.isToplevel() ? site.getTypeName() : null;
  const functionName = method ? (typeName && !method.startsWith(typeName) && !site.isConstructor() ? `${typeName}.${method}` : method) : '<anonymous>';
  return {
    functionName: site.isAsync() ? `async ${functionName}` : functionName,
    url: site.getFileName() ?? site.getScriptNameOrSourceURL() ?? '',
    line: site.getLineNumber() ?? 0,
    column: site.getColumnNumber() ?? 0,
  };
}

export function stackKey(frames: readonly RawFrame[]): string {
  let key = '';
  for (const frame of frames) key += `${frame.url}:${frame.line}:${frame.column};`;
  return key;
}
