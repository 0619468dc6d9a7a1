/**
 * Pending promises, sampled. `v8.promiseHooks` (not async_hooks, whose init hook costs every
 * promise far more) reports creation and settlement; only creations within the stack budget are
 * recorded, each standing for `1 / sampling probability` promises. A recorded promise that is
 * still pending and still reachable at snapshot time is live; one the GC collected is not a leak.
 */
import type { OwnershipTracker } from './ownership';
import type { Registry, ResourceRecord } from './registry';
import type { StackSampler } from './stacks';

interface PromiseHooks {
  createHook(hooks: { init?: (promise: Promise<unknown>) => void; settled?: (promise: Promise<unknown>) => void }): () => void;
}

export class PromiseTracking {
  private readonly pending = new Map<ResourceRecord, WeakRef<Promise<unknown>>>();
  private stop: (() => void) | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly sampler: StackSampler,
    private readonly ownership: OwnershipTracker,
  ) {}

  install(getBuiltin: (id: string) => unknown): void {
    const hooks = (getBuiltin('v8') as { promiseHooks?: PromiseHooks }).promiseHooks;
    if (!hooks) return;
    const { registry, sampler, ownership, pending } = this;
    const init = (promise: Promise<unknown>) => {
      const weight = sampler.interval;
      const holder = sampler.capture(init);
      if (!holder) return;
      const record = registry.add(promise, {
        type: 'Promise',
        createdAt: Date.now(),
        owner: ownership.capture(),
        holder,
        frames: undefined,
        siteKey: undefined,
        weight,
        endedAt: undefined,
        delayMs: undefined,
      });
      pending.set(record, new WeakRef(promise));
    };
    const settled = (promise: Promise<unknown>) => {
      const record = registry.get(promise);
      if (!record) return;
      record.endedAt = Date.now();
      pending.delete(record);
    };
    this.stop = hooks.createHook({ init, settled });
  }

  /** Live pending recorded promises; forgets those the GC has collected. */
  *live(): Generator<{ promise: Promise<unknown>; record: ResourceRecord }> {
    for (const [record, ref] of this.pending) {
      const promise = ref.deref();
      if (promise) yield { promise, record };
      else this.pending.delete(record);
    }
  }

  uninstall(): void {
    this.stop?.();
    this.stop = undefined;
    this.pending.clear();
  }
}
