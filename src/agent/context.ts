/**
 * Reads every AsyncLocalStorage store of the running code without knowing the instances (the
 * program's, a framework's, created before or after the attach). Node keeps them one of three
 * ways, depending on its version and flags:
 * - `frame`: an AsyncContextFrame (Node 24+ by default, Node 22 with
 *   `--experimental-async-context-frame`): a Map from each AsyncLocalStorage to its store, which
 *   V8 carries along with the running code. Its class is internal, but every AsyncResource
 *   records the frame it was created in, and the frame's class has a static `current()`;
 * - `resource`: on the current async resource, one `kResourceStore` symbol per storage (Node 20,
 *   and 22 by default);
 * - `resource`, nested: on the current async resource under one `kAsyncLocalStorageContext`
 *   symbol, an object of `kResourceStore` symbols (Node 24+ with `--no-async-context-frame`).
 * The way is found at install by running a store of our own and looking for it, so a Node that
 * keeps stores some other way is reported (`unavailable`) instead of read as empty.
 */

export type ContextMode = 'frame' | 'resource' | 'unavailable';

export interface AsyncHooksModule {
  AsyncLocalStorage: new () => { run<R>(store: unknown, fn: () => R): R; disable(): void };
  AsyncResource: new (type: string, options?: { requireManualDestroy?: boolean }) => object;
  executionAsyncResource(): object;
}

type Frame = Map<unknown, unknown>;
interface FrameClass {
  current(): Frame | undefined;
}

const STORE_SYMBOL = 'kResourceStore';
const STORES_HOLDER_SYMBOL = 'kAsyncLocalStorageContext';

export class ContextReader {
  readonly mode: ContextMode;
  private readonly frameClass: FrameClass | undefined;
  private readonly mapValues = Map.prototype.values;
  /** Reused by every read: the hot path allocates little. */
  private readonly found: object[] = [];

  constructor(private readonly asyncHooks: AsyncHooksModule) {
    this.frameClass = findFrameClass(asyncHooks);
    this.mode = this.frameClass ? 'frame' : this.probeResource() ? 'resource' : 'unavailable';
  }

  /** The object stores of the running code (a reused array: read it before the next call). */
  stores(): readonly object[] {
    const found = this.found;
    found.length = 0;
    if (this.frameClass) {
      const frame = this.frameClass.current();
      if (frame) for (const store of this.mapValues.call(frame)) pushObject(found, store);
      return found;
    }
    if (this.mode === 'unavailable') return found;
    // The resource's few symbols are listed on every read, so a storage created since is seen at once.
    const resource = this.asyncHooks.executionAsyncResource() as Record<symbol, unknown>;
    for (const symbol of Object.getOwnPropertySymbols(resource)) {
      const description = symbol.description;
      if (description === STORE_SYMBOL) pushObject(found, resource[symbol]);
      else if (description === STORES_HOLDER_SYMBOL) {
        const holder = resource[symbol] as Record<symbol, unknown> | null | undefined;
        if (holder === null || typeof holder !== 'object') continue;
        for (const storeSymbol of Object.getOwnPropertySymbols(holder)) pushObject(found, holder[storeSymbol]);
      }
    }
    return found;
  }

  /** Whether a store of our own shows up on the current async resource while it runs. */
  private probeResource(): boolean {
    const marker = {};
    return withProbeStore(this.asyncHooks, marker, () => this.stores().includes(marker)) === true;
  }
}

/** AsyncContextFrame's class, taken from the frame an AsyncResource records, if stores live in frames. */
function findFrameClass(asyncHooks: AsyncHooksModule): FrameClass | undefined {
  const marker = {};
  return withProbeStore(asyncHooks, marker, () => {
    const resource = new asyncHooks.AsyncResource('LEAK_INSPECTOR_PROBE', { requireManualDestroy: true }) as Record<symbol, unknown>;
    for (const symbol of Object.getOwnPropertySymbols(resource)) {
      const frame = resource[symbol] as Partial<Frame> | null | undefined;
      if (frame === null || typeof frame !== 'object' || typeof frame.get !== 'function') continue;
      const frameClass = frame.constructor as Partial<FrameClass> | undefined;
      if (typeof frameClass?.current !== 'function') continue;
      // The class is right if its current frame holds our store now.
      const current = frameClass.current();
      if (current && [...Map.prototype.values.call(current)].includes(marker)) return frameClass as FrameClass;
    }
    return undefined;
  });
}

/** Runs `body` inside a throwaway AsyncLocalStorage holding `marker`, then disables it (no hook left on). */
function withProbeStore<R>(asyncHooks: AsyncHooksModule, marker: object, body: () => R): R | undefined {
  let storage: InstanceType<AsyncHooksModule['AsyncLocalStorage']> | undefined;
  try {
    storage = new asyncHooks.AsyncLocalStorage();
    return storage.run(marker, body);
  } catch {
    return undefined;
  } finally {
    storage?.disable();
  }
}

function pushObject(found: object[], value: unknown): void {
  if (value !== null && typeof value === 'object') found.push(value);
}
