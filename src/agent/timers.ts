/**
 * Timers and immediates. Creation goes through wrapped `setTimeout`/`setInterval`/
 * `setImmediate` (global, `timers` and `timers/promises`), which record stack, context and
 * owner. Enumeration walks Node's own timer lists (`timerListMap`, `immediateQueue`, handed to
 * the agent by the engine from the closure of `setTimeout`), so timers created before the
 * attach are found too, with no heap walk and no GC.
 */
import type { ResourceType } from '../protocol/agentSnapshot';
import type { OwnershipTracker } from './ownership';
import type { Patcher } from './patcher';
import { createdRecord, type Registry } from './registry';
import type { StackSampler } from './stacks';

/** A Node Timeout or Immediate, seen through the fields Node itself uses. */
export interface NodeTimer {
  _idleTimeout: number;
  _idleNext: NodeTimer | null;
  _idlePrev: NodeTimer | null;
  _onTimeout?: unknown;
  _onImmediate?: unknown;
  _repeat: number | null;
  _destroyed: boolean;
}

/** Whether `timer` still belongs to `list`: a timer re-armed with another duration moves to that duration's list. */
function isIn(timer: NodeTimer, list: NodeTimer): boolean {
  const msecs = (list as unknown as { msecs?: unknown }).msecs;
  return typeof msecs !== 'number' || timer._idleTimeout === msecs;
}

/** Timers walked between two yields of `walkLive`. */
const WALK_STEP = 256;

interface TimerList {
  _idleNext: NodeTimer;
}

export interface TimerInternals {
  timerListMap?: Record<string, TimerList>;
  immediateQueue?: { head: NodeTimer | null };
}

const TIMEOUT_MAX = 2 ** 31 - 1;

export class TimerTracking {
  /** Without Node's lists (another Node version), timers we saw created, swept when done. */
  private readonly fallback = new Set<NodeTimer>();
  private fallbackSweepAt = 1024;

  constructor(
    private readonly internals: TimerInternals,
    private readonly registry: Registry,
    private readonly sampler: StackSampler,
    private readonly ownership: OwnershipTracker,
  ) {}

  /** The agent's own housekeeping timer, never reported. */
  ownTimer: unknown;

  install(patcher: Patcher, getBuiltin: (id: string) => unknown): void {
    const timers = getBuiltin('timers') as Record<string, unknown>;
    const promises = getBuiltin('timers/promises') as Record<string, unknown>;
    for (const target of [globalThis, timers]) {
      this.wrapCreate(patcher, target, 'setTimeout', 'Timeout');
      this.wrapCreate(patcher, target, 'setInterval', 'Interval');
      this.wrapCreate(patcher, target, 'setImmediate', 'Immediate');
      for (const clear of ['clearTimeout', 'clearInterval', 'clearImmediate']) {
        patcher.wrap(target, clear, (original) => {
          const registry = this.registry;
          return function (this: unknown, timer: unknown) {
            if (timer !== null && typeof timer === 'object') registry.markEnded(timer);
            return (original as (t: unknown) => unknown).call(this, timer);
          } as never;
        });
      }
    }
    this.wrapPromiseSleep(patcher, promises);
  }

  /**
   * Calls `visit` for every live timer and immediate in the process, yielding every few hundred
   * (see `runInSlices`: walking 100,000 timers takes ~40 ms). Between two slices the program may
   * unlink timers (fired, cleared): a walk whose next timer was unlinked starts its list again
   * from the head and skips the timers it already visited, so none is lost or counted twice.
   */
  *walkLive(visit: (timer: NodeTimer, type: ResourceType) => void): Generator<void> {
    const { timerListMap, immediateQueue } = this.internals;
    if (timerListMap) {
      for (const key in timerListMap) {
        const list = timerListMap[key] as unknown as NodeTimer | undefined;
        if (!list) continue;
        const visited = new Set<NodeTimer>();
        let timer = list._idleNext;
        while (timer && timer !== list) {
          visited.add(timer);
          if (timer !== this.ownTimer) visit(timer, timer._repeat ? 'Interval' : 'Timeout');
          let next: NodeTimer | null = timer._idleNext;
          if (visited.size % WALK_STEP === 0) {
            yield;
            // The next timer is read after the pause: it may have fired or been cleared meanwhile.
            // This one too, or re-armed into another list: then this list again from its head.
            next = timer._idleNext !== null && isIn(timer, list) ? timer._idleNext : list._idleNext;
          }
          while (next && next !== list && visited.has(next)) next = next._idleNext;
          timer = next;
        }
      }
    }
    if (immediateQueue) {
      // Immediates run at the end of this loop turn: few are ever queued, so they are read in one go.
      for (let immediate = immediateQueue.head; immediate; immediate = immediate._idleNext) visit(immediate, 'Immediate');
    }
    if (!timerListMap || !immediateQueue) {
      this.sweepFallback();
      for (const timer of this.fallback) {
        const immediate = '_onImmediate' in timer;
        if ((immediate && immediateQueue) || (!immediate && timerListMap)) continue;
        visit(timer, immediate ? 'Immediate' : timer._repeat ? 'Interval' : 'Timeout');
      }
    }
  }

  isEnded(timer: NodeTimer): boolean {
    return timer._destroyed === true || ('_onImmediate' in timer && timer._onImmediate === null);
  }

  clear(): void {
    this.fallback.clear();
  }

  /**
   * Runs on every timer the program creates, so it does almost nothing unless the sampler picks
   * this creation: live timers are counted by walking Node's lists anyway, and unsampled ones
   * join the site of the sampled ones with the same callback code.
   */
  private record(timer: NodeTimer, type: ResourceType, above: (...args: never[]) => unknown): void {
    if (timer === null || typeof timer !== 'object') return;
    if (!this.internals.timerListMap || !this.internals.immediateQueue) {
      this.fallback.add(timer);
      if (this.fallback.size >= this.fallbackSweepAt) this.sweepFallback();
    }
    // A fresh timer is almost never known already: look it up only when it is sampled.
    const holder = this.sampler.capture(above);
    if (holder && !this.registry.get(timer)) this.registry.add(timer, createdRecord(type, holder, this.ownership.capture(), 1, type === 'Immediate' ? undefined : timer._idleTimeout));
  }

  private wrapCreate(patcher: Patcher, target: object, key: string, type: ResourceType): void {
    patcher.wrap(target, key, (original) => {
      const record = (timer: NodeTimer) => this.record(timer, type, wrapper);
      const wrapper = function (this: unknown, ...args: unknown[]) {
        const timer = (original as (...a: unknown[]) => NodeTimer).apply(this, args);
        record(timer);
        return timer;
      };
      return wrapper as never;
    });
  }

  /**
   * `timers/promises` creates its Timeout internally; Node links it in at the head of the list
   * of its (truncated) duration, so right after the call it is that list's `_idleNext`, unless
   * the call created none (an aborted signal, bad options): then the head has not changed.
   */
  private wrapPromiseSleep(patcher: Patcher, promises: Record<string, unknown>): void {
    const { timerListMap } = this.internals;
    if (!timerListMap) return;
    patcher.wrap(promises, 'setTimeout', (original) => {
      const record = (timer: NodeTimer) => this.record(timer, 'Timeout', wrapper);
      const wrapper = function (this: unknown, delay?: unknown, ...rest: unknown[]) {
        const ms = listKey(delay);
        const head = (timerListMap[ms] as unknown as NodeTimer | undefined)?._idleNext;
        const result = (original as (...a: unknown[]) => unknown).call(this, delay, ...rest);
        const list = timerListMap[ms] as unknown as NodeTimer | undefined;
        const newest = list?._idleNext;
        if (newest && newest !== list && newest !== head) record(newest);
        return result;
      };
      return wrapper as never;
    });
  }

  private sweepFallback(): void {
    for (const timer of this.fallback) if (this.isEnded(timer)) this.fallback.delete(timer);
    this.fallbackSweepAt = Math.max(1024, this.fallback.size * 2);
  }
}

/**
 * The timer list a delay lands in, as Node's Timeout computes it (`after *= 1`, out of range → 1,
 * truncated). Objects are not coerced: their `valueOf` could have side effects, and a miss only
 * leaves that sleep without a stack.
 */
function listKey(delay: unknown): number {
  let ms = typeof delay === 'number' || typeof delay === 'string' || typeof delay === 'bigint' ? Number(delay) : Number.NaN;
  if (!(ms >= 1 && ms <= TIMEOUT_MAX)) ms = 1;
  return Math.trunc(ms);
}
