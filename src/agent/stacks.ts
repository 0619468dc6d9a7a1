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

export class StackSampler {
  private tokens: number;
  /** Creations skipped since the budget last refilled; drives the reported sampling interval. */
  private skippedThisWindow = 0;
  private takenThisWindow = 0;
  lastInterval = 1;
  dropped = 0;

  constructor(
    readonly budgetPerSecond: number,
    private readonly maxFrames: number,
  ) {
    this.tokens = budgetPerSecond / 10;
  }

  /** Called every 100 ms by the agent's housekeeping timer. */
  refill(): void {
    const seen = this.takenThisWindow + this.skippedThisWindow;
    this.lastInterval = this.takenThisWindow ? seen / this.takenThisWindow : seen ? Infinity : 1;
    this.tokens = this.budgetPerSecond / 10;
    this.takenThisWindow = this.skippedThisWindow = 0;
  }

  /** A raw (unformatted) stack above `above`, or undefined when over budget. */
  capture(above: StackFunction): StackHolder | undefined {
    if (this.tokens < 1) {
      this.skippedThisWindow++;
      this.dropped++;
      return undefined;
    }
    this.tokens--;
    this.takenThisWindow++;
    const holder: StackHolder = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = this.maxFrames;
    Error.captureStackTrace(holder, above);
    Error.stackTraceLimit = limit;
    return holder;
  }
}

/** Formats a captured stack into frames; V8 calls `prepareStackTrace` on first access only. */
export function formatStack(holder: StackHolder): RawFrame[] {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, callSites) => callSites.map(toRawFrame);
  try {
    const frames = holder.stack;
    return Array.isArray(frames) ? (frames as RawFrame[]) : [];
  } catch {
    return [];
  } finally {
    Error.prepareStackTrace = previous;
  }
}

function toRawFrame(site: NodeJS.CallSite): RawFrame {
  const typeName = site.isToplevel() ? null : site.getTypeName();
  const method = site.getFunctionName() ?? site.getMethodName();
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
