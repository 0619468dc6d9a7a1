/**
 * Who a resource belongs to, read at creation without changing the target's code:
 * - its AsyncLocalStorage context (player, room, protocol): Node keeps each store's value on the
 *   current async resource under a `kResourceStore` symbol, so every store can be read without
 *   knowing the instances;
 * - its owner connection: the socket handle whose callback was running (or, transitively, the
 *   owner of the timer/promise whose callback was running).
 * A resource is "owner gone" when that connection has closed, or when its context values are
 * bound to no open connection any more (a heartbeat of a player who left).
 */

export type ContextValues = ReadonlyArray<string | undefined>;

export interface OwnerInfo {
  context: ContextValues | undefined;
  owner: WeakRef<object> | undefined;
}

/** How often to rescan the current resource's symbols for new AsyncLocalStorage stores. */
const SYMBOL_RESCAN_EVERY = 256;
const MAX_BINDINGS_PER_VALUE = 4;

export class OwnershipTracker {
  private storeSymbols: symbol[] = [];
  private readonly keysOfContext = new WeakMap<ContextValues, string[]>();
  private untilRescan = 0;
  private readonly ownerRefs = new WeakMap<object, WeakRef<object>>();
  /** "playerId=p42" → handles of connections on which that value was seen. */
  private readonly bindings = new Map<string, Array<WeakRef<object>>>();

  private readonly ownerKeyIndexes: number[];

  constructor(
    private readonly contextKeys: readonly string[],
    /** The context keys that identify an owner (player, room); `protocol` does not. */
    ownerKeys: readonly string[],
    private readonly executionAsyncResource: () => object,
    /** The owner recorded for an already tracked resource (timer, promise) or undefined. */
    private readonly ownerOfTracked: (resource: object) => WeakRef<object> | undefined,
  ) {
    this.ownerKeyIndexes = ownerKeys.map((key) => contextKeys.indexOf(key)).filter((i) => i >= 0);
  }

  /** Runs for every sampled creation. */
  capture(): OwnerInfo {
    const resource = this.executionAsyncResource();
    const context = this.readContext(resource);
    const owner = this.ownerOf(resource);
    if (owner && context) this.bind(context, owner);
    return { context, owner };
  }

  /**
   * True when the owner connection has closed or the context's identity values (player, room)
   * are bound only to closed connections; undefined when nothing is known about the owner.
   */
  isGone(info: OwnerInfo, liveHandles: ReadonlySet<object>): boolean | undefined {
    const isLive = (ref: WeakRef<object>) => {
      const handle = ref.deref();
      return handle !== undefined && liveHandles.has(handle);
    };
    const ownerClosed = info.owner ? !isLive(info.owner) : undefined;
    if (ownerClosed) return true;
    let contextGone: boolean | undefined;
    if (info.context) {
      for (const key of this.bindingKeys(info.context)) {
        const bound = this.bindings.get(key);
        if (!bound) continue;
        if (bound.some(isLive)) return false;
        contextGone = true;
      }
    }
    return contextGone ?? ownerClosed;
  }

  /** Forgets bindings whose connections are all gone and unreferenced (called per snapshot). */
  prune(liveHandles: ReadonlySet<object>, referencedKeys: ReadonlySet<string>): void {
    for (const [key, refs] of this.bindings) {
      if (referencedKeys.has(key)) continue;
      if (!refs.some((ref) => { const handle = ref.deref(); return handle !== undefined && liveHandles.has(handle); })) this.bindings.delete(key);
    }
  }

  /** Whether context key `index` identifies an owner (a player, a room). */
  isOwnerKey(index: number): boolean {
    return this.ownerKeyIndexes.includes(index);
  }

  /** For one identity value ("playerId=p42"): true when all its connections are closed; undefined if unknown. */
  isValueGone(bindingKey: string, liveHandles: ReadonlySet<object>): boolean | undefined {
    const bound = this.bindings.get(bindingKey);
    if (!bound) return undefined;
    return !bound.some((ref) => {
      const handle = ref.deref();
      return handle !== undefined && liveHandles.has(handle);
    });
  }

  /** "playerId=p42"-style keys of the identity values (`ownerKeys`) in a context; cached per context. */
  bindingKeys(context: ContextValues): readonly string[] {
    let keys = this.keysOfContext.get(context);
    if (!keys) {
      keys = [];
      for (const i of this.ownerKeyIndexes) if (context[i] !== undefined) keys.push(`${this.contextKeys[i]}=${context[i]}`);
      this.keysOfContext.set(context, keys);
    }
    return keys;
  }

  private readContext(resource: object): ContextValues | undefined {
    if (this.contextKeys.length === 0) return undefined;
    if (--this.untilRescan <= 0) {
      this.untilRescan = SYMBOL_RESCAN_EVERY;
      for (const symbol of Object.getOwnPropertySymbols(resource)) {
        if (symbol.description === 'kResourceStore' && !this.storeSymbols.includes(symbol)) this.storeSymbols.push(symbol);
      }
    }
    for (const symbol of this.storeSymbols) {
      const store = (resource as Record<symbol, unknown>)[symbol];
      if (store === null || typeof store !== 'object') continue;
      const values = this.valuesOf(store as Record<string, unknown>);
      if (values) return values;
    }
    return undefined;
  }

  /** The store's values of the configured keys, or undefined when it has none of them. */
  private valuesOf(store: Record<string, unknown>): ContextValues | undefined {
    let values: Array<string | undefined> | undefined;
    for (let i = 0; i < this.contextKeys.length; i++) {
      const value = store[this.contextKeys[i]];
      if (value === undefined || value === null) continue;
      values ??= new Array<string | undefined>(this.contextKeys.length);
      values[i] = String(value).slice(0, 64);
    }
    return values;
  }

  private ownerOf(resource: object): WeakRef<object> | undefined {
    const name = resource.constructor?.name;
    if (name === 'TCP' || name === 'Pipe' || name === 'TLSWrap') {
      let ref = this.ownerRefs.get(resource);
      if (!ref) this.ownerRefs.set(resource, (ref = new WeakRef(resource)));
      return ref;
    }
    return this.ownerOfTracked(resource);
  }

  private bind(context: ContextValues, owner: WeakRef<object>): void {
    for (const key of this.bindingKeys(context)) {
      const refs = this.bindings.get(key);
      if (!refs) this.bindings.set(key, [owner]);
      else if (!refs.includes(owner)) {
        refs.push(owner);
        if (refs.length > MAX_BINDINGS_PER_VALUE) refs.shift();
      }
    }
  }
}
