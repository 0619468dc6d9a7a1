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
  taken = 0;

  constructor(
    readonly budgetPerSecond: number,
    private readonly maxFrames: number,
    private readonly windowMs: number,
    /**
     * Counted, not weighted: the live resources are enumerated anyway and a stack only locates
     * them. Then the first half-budget of creations of every window all get their stack, so a
     * small burst right after a busy window keeps its lines; a coin sized for the other half
     * decides past that (about `budget` stacks in all, not twice it). A
     * sampler whose records stand for `1 / p` creations (promises) must stay uniform: false.
     */
    private readonly budgetFirst = false,
  ) {}

  /** 1 / p: how many creations one sampled record stands for right now. */
  get interval(): number {
    return 1 / this.probability;
  }

  /** What a snapshot reports of this sampler (timers' and listeners' alike). */
  figures(): { budgetPerSecond: number; currentInterval: number; dropped: number; taken: number } {
    return { budgetPerSecond: this.budgetPerSecond, currentInterval: Math.round(this.interval * 100) / 100, dropped: this.dropped, taken: this.taken };
  }

  /** Called once per housekeeping window. */
  refill(): void {
    const coinBudget = this.coinBudget();
    const target = this.createdThisWindow > coinBudget ? coinBudget / this.createdThisWindow : 1;
    // Down smoothly, so one burst does not swing the rate; back up at once, so after a burst the
    // next quiet creations all get their stack (halving the gap never reached 1 for seconds). A
    // burst right after is still bounded by the hard cap in `capture`.
    this.probability = target >= this.probability ? target : Math.max(1e-4, (this.probability + target) / 2);
    this.createdThisWindow = this.takenThisWindow = 0;
  }

  /**
   * A raw (unformatted) stack above `above`, or undefined when this creation is not sampled.
   * `wanted`: the caller knows this creation is worth a stack (a listener that crowds its
   * emitter): it skips the coin, not the hard cap.
   */
  capture(above: StackFunction, wanted = false): StackHolder | undefined {
    this.createdThisWindow++;
    const budget = this.windowBudget();
    // First come within half the budget (budgetFirst), then the coin, sized for the other half.
    const chosen = wanted || (this.budgetFirst && this.createdThisWindow <= budget / 2) || this.probability >= 1 || Math.random() < this.probability;
    // The hard cap keeps a sudden burst within twice the budget (or MIN_BURST) before the next re-estimate.
    if (!chosen || this.takenThisWindow >= Math.max(2 * budget, MIN_BURST)) {
      this.dropped++;
      return undefined;
    }
    this.takenThisWindow++;
    this.taken++;
    const holder: StackHolder = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = this.maxFrames;
    Error.captureStackTrace(holder, above);
    Error.stackTraceLimit = limit;
    return holder;
  }

  private windowBudget(): number {
    return (this.budgetPerSecond * this.windowMs) / 1000;
  }

  /** What the coin should take per window: the whole budget, or the half that first-come does not. */
  private coinBudget(): number {
    return this.budgetFirst ? this.windowBudget() / 2 : this.windowBudget();
  }
}

/** The injected agent's script name (its `//# sourceURL`), so its own frames can be dropped. */
export const AGENT_SCRIPT_URL = 'leak-inspector-agent.js';

/** Frames that say nothing about who created the resource: ours, hooks, native builtins. */
function isNoiseUrl(url: string): boolean {
  return url === '' || url === AGENT_SCRIPT_URL || url === 'node:internal/promise_hooks';
}

function urlOf(site: NodeJS.CallSite): string {
  return site.getFileName() ?? site.getScriptNameOrSourceURL() ?? '';
}

/** A formatted stack: its frames and their key (url:line:column of each), shared by every stack with that key. */
export interface StackRead {
  key: string;
  frames: RawFrame[];
}

/**
 * Stacks formatted so far, by key. Almost every sampled stack repeats one seen before (a site
 * creates thousands of resources), so a repeat costs three position getters per frame and no
 * names. Bounded, for code that creates sites without end (eval); cleared with the agent.
 */
const knownStacks = new Map<string, StackRead>();
const MAX_KNOWN_STACKS = 10_000;

export function forgetKnownStacks(): void {
  knownStacks.clear();
}

/** The one shared read of `frames` under `key`. */
function shareStack(key: string, frames: RawFrame[]): StackRead {
  let known = knownStacks.get(key);
  if (!known) {
    known = { key, frames };
    if (knownStacks.size < MAX_KNOWN_STACKS) knownStacks.set(key, known);
  }
  return known;
}

/** `Error.prepareStackTrace` while we read: positions first, names only for a stack not seen yet. */
function prepareStackRead(_error: Error, callSites: NodeJS.CallSite[]): StackRead | undefined {
  let key = '';
  for (const site of callSites) {
    const url = urlOf(site);
    if (!isNoiseUrl(url)) key += `${url}:${site.getLineNumber() ?? 0}:${site.getColumnNumber() ?? 0};`;
  }
  if (key === '') return undefined;
  return knownStacks.get(key) ?? shareStack(key, callSites.filter((site) => !isNoiseUrl(urlOf(site))).map(toRawFrame));
}

/**
 * Formats a captured stack once (V8 calls `prepareStackTrace` on first access only); undefined
 * when it holds no frame of the program (Node or the agent only). If something read the stack
 * before us, it is already V8's text: an inspector preview of the holder does that (a debugger
 * expanding the agent's objects), and so would any other reader.
 */
export function readStack(holder: StackHolder): StackRead | undefined {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = prepareStackRead;
  try {
    const read = holder.stack;
    if (typeof read === 'string') {
      stackReads.fromText++;
      const frames = parseStackText(read);
      return frames.length > 0 ? shareStack(stackKey(frames), frames) : undefined;
    }
    if (read !== null && typeof read === 'object') return read as StackRead;
    stackReads.empty++;
    return undefined;
  } catch {
    stackReads.failed++;
    return undefined;
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
    if (!isNoiseUrl(frame.url)) frames.push(frame);
  }
  return frames;
}

/** Runs for every frame of a stack not seen before: the costly call-site getters only when needed. */
function toRawFrame(site: NodeJS.CallSite): RawFrame {
  // getMethodName searches the receiver's prototype chain: only for anonymous functions.
  const method = site.getFunctionName() ?? site.getMethodName();
  const typeName = method && !site.isToplevel() ? site.getTypeName() : null;
  const functionName = method ? (typeName && !method.startsWith(typeName) && !site.isConstructor() ? `${typeName}.${method}` : method) : '<anonymous>';
  return {
    functionName: site.isAsync() ? `async ${functionName}` : functionName,
    url: urlOf(site),
    line: site.getLineNumber() ?? 0,
    column: site.getColumnNumber() ?? 0,
  };
}

export function stackKey(frames: readonly RawFrame[]): string {
  let key = '';
  for (const frame of frames) key += `${frame.url}:${frame.line}:${frame.column};`;
  return key;
}
