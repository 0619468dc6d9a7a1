/**
 * Pending promises, sampled twice over. Any promise hook makes V8 leave its fast paths for
 * every promise and `await`, so `v8.promiseHooks` (far lighter than `async_hooks`) is switched
 * on only for short windows (`dutyCycle` of the time); within a window only creations the stack
 * sampler picks are recorded. Each record stands for `1 / (p × dutyCycle)` promises, so a leak
 * that keeps creating promises still shows, with unbiased counts, at a fraction of the cost.
 * A recorded promise may settle while the hooks are off: its state is checked at snapshot time.
 * Promises the GC collected are not leaks and are forgotten.
 */
import type { OwnershipTracker } from './ownership';
import { createdRecord, type Registry, type ResourceRecord } from './registry';
import type { StackSampler } from './stacks';

interface PromiseHooks {
  createHook(hooks: { init?: (promise: Promise<unknown>) => void; settled?: (promise: Promise<unknown>) => void }): () => void;
}

type Inspect = (value: unknown, options: { depth: number; customInspect: boolean }) => string;

/** Length of one tracking window; the hooks are on for `dutyCycle` of every period. */
const WINDOW_MS = 250;
/** Recorded pending promises kept at most; past it new ones are not recorded (and counted). */
const MAX_TRACKED = 20_000;

export class PromiseTracking {
  /** Recorded pending promises, with the window they were created in. */
  private readonly pending = new Map<ResourceRecord, { ref: WeakRef<Promise<unknown>>; window: number }>();
  private window = 0;
  dropped = 0;
  private hooks: PromiseHooks | undefined;
  private inspect: Inspect | undefined;
  private stop: (() => void) | undefined;
  private nextToggleAt = 0;

  constructor(
    private readonly registry: Registry,
    private readonly sampler: StackSampler,
    private readonly ownership: OwnershipTracker,
    /** Share of the time the hooks are on, 0..1. */
    private readonly dutyCycle: number,
  ) {}

  install(getBuiltin: (id: string) => unknown): void {
    this.hooks = (getBuiltin('v8') as { promiseHooks?: PromiseHooks }).promiseHooks;
    this.inspect = (getBuiltin('util') as { inspect: Inspect }).inspect;
    this.toggle(Date.now());
  }

  /** Called by the agent's housekeeping: opens and closes the tracking windows. */
  tick(now: number): void {
    if (now >= this.nextToggleAt) this.toggle(now);
  }

  /**
   * Live pending recorded promises; forgets those that settled or were collected, yielding
   * undefined for each so the caller counts them as work (see `runInSlices`): after a burst,
   * thousands may have settled, each checked with `util.inspect`.
   */
  *live(): Generator<{ promise: Promise<unknown>; record: ResourceRecord } | undefined> {
    for (const [record, { ref, window }] of this.pending) {
      const promise = ref.deref();
      // Settlement is seen by the hook only inside the window the promise was created in.
      const seenThroughout = this.stop !== undefined && window === this.window;
      if (promise && (seenThroughout || this.isPending(promise))) yield { promise, record };
      else {
        this.forget(record);
        yield undefined;
      }
    }
  }

  uninstall(): void {
    this.stop?.();
    this.stop = undefined;
    this.hooks = undefined;
    this.pending.clear();
  }

  private toggle(now: number): void {
    if (!this.hooks || this.dutyCycle <= 0) return;
    if (this.stop) {
      this.stop();
      this.stop = undefined;
      this.nextToggleAt = now + (WINDOW_MS * (1 - this.dutyCycle)) / this.dutyCycle;
      return;
    }
    const { registry, sampler, ownership, pending } = this;
    const window = ++this.window;
    const weightFactor = 1 / Math.min(1, this.dutyCycle);
    const init = (promise: Promise<unknown>) => {
      const weight = sampler.interval * weightFactor;
      const holder = sampler.capture(init);
      if (!holder) return;
      if (pending.size >= MAX_TRACKED) {
        this.dropped++;
        return;
      }
      const record = registry.add(promise, createdRecord('Promise', holder, ownership.capture(), weight));
      pending.set(record, { ref: new WeakRef(promise), window });
    };
    const settled = (promise: Promise<unknown>) => {
      const record = registry.get(promise);
      if (record && pending.delete(record)) record.endedAt = Date.now();
    };
    this.stop = this.hooks.createHook({ init, settled });
    this.nextToggleAt = this.dutyCycle >= 1 ? Infinity : now + WINDOW_MS;
  }

  /** While the hooks are off, settlement goes unseen: ask the promise itself. */
  private isPending(promise: Promise<unknown>): boolean {
    return this.inspect!(promise, { depth: 0, customInspect: false }).startsWith('Promise { <pending>');
  }

  private forget(record: ResourceRecord): void {
    this.pending.delete(record);
    record.endedAt ??= Date.now();
  }
}
