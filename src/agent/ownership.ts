/**
 * Who a resource belongs to, read at creation without changing the target's code:
 * - its AsyncLocalStorage context (player, room, protocol): the configured keys read from every
 *   store of the running code (see `ContextReader` for where Node keeps them);
 * - its owner connection: the socket handle whose callback was running (or, transitively, the
 *   owner of the timer/promise whose callback was running).
 * A resource is "owner gone" when that connection has closed, or when its context values are
 * bound to no open connection any more (a heartbeat of a player who left).
 */
import type { CapabilityWarning } from '../protocol/report';
import { ContextReader, type AsyncHooksModule } from './context';

export type ContextValues = ReadonlyArray<string | undefined>;

export interface OwnerInfo {
  context: ContextValues | undefined;
  owner: WeakRef<object> | undefined;
}

const MAX_BINDINGS_PER_VALUE = 4;
/** Field names kept from a store that has none of the configured keys, to say what it has instead. */
const MAX_FIELDS_SHOWN = 8;

export class OwnershipTracker {
  private readonly contextReader: ContextReader | undefined;
  private readonly executionAsyncResource: () => object;
  /** Sampled creations that ran with object stores, and how many of those had a configured key. */
  private withStores = 0;
  private withValues = 0;
  private otherFields: string[] | undefined;
  private readonly keysOfContext = new WeakMap<ContextValues, string[]>();
  private readonly ownerRefs = new WeakMap<object, WeakRef<object>>();
  /** "playerId=p42" → handles of connections on which that value was seen. */
  private readonly bindings = new Map<string, Array<WeakRef<object>>>();

  private readonly ownerKeyIndexes: number[];

  constructor(
    private readonly contextKeys: readonly string[],
    /** The context keys that identify an owner (player, room); `protocol` does not. */
    ownerKeys: readonly string[],
    asyncHooks: AsyncHooksModule,
    /** The owner recorded for an already tracked resource (timer, promise) or undefined. */
    private readonly ownerOfTracked: (resource: object) => WeakRef<object> | undefined,
  ) {
    this.ownerKeyIndexes = ownerKeys.map((key) => contextKeys.indexOf(key)).filter((i) => i >= 0);
    this.executionAsyncResource = asyncHooks.executionAsyncResource;
    // No keys, no reading (and no probe store run in the target).
    this.contextReader = contextKeys.length > 0 ? new ContextReader(asyncHooks) : undefined;
  }

  /** What context reading cannot do on this target, for the snapshot's `warnings`. */
  warnings(): CapabilityWarning[] {
    if (!this.contextReader) return [];
    const keys = this.contextKeys.join(', ');
    if (this.contextReader.mode === 'unavailable') {
      return [{ code: 'context-unavailable', message: `AsyncLocalStorage stores cannot be read on Node ${process.versions.node} (neither an AsyncContextFrame nor stores on async resources were found): no ${keys} context, and owner-gone only from connections` }];
    }
    if (this.withStores > 0 && this.withValues === 0) {
      return [{ code: 'context-keys-not-found', message: `${this.withStores} sampled creations ran with AsyncLocalStorage stores, none holding ${keys}${this.otherFields?.length ? ` (their fields: ${this.otherFields.join(', ')})` : ''}: choose the context keys` }];
    }
    return [];
  }

  /** Runs for every sampled creation. */
  capture(): OwnerInfo {
    const resource = this.executionAsyncResource();
    const context = this.readContext();
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

  private readContext(): ContextValues | undefined {
    if (!this.contextReader) return undefined;
    const stores = this.contextReader.stores();
    if (stores.length === 0) return undefined;
    this.withStores++;
    // Keys are filled from the stores in order: one store may hold the player, another the protocol.
    let values: Array<string | undefined> | undefined;
    for (const store of stores) values = this.valuesOf(store as Record<string, unknown>, values);
    if (values) this.withValues++;
    else if (this.withValues === 0 && !this.otherFields) this.otherFields = Object.keys(stores[0]).slice(0, MAX_FIELDS_SHOWN);
    return values;
  }

  /** `values` with the configured keys it lacks filled from `store`; undefined while no key was found. */
  private valuesOf(store: Record<string, unknown>, values: Array<string | undefined> | undefined): Array<string | undefined> | undefined {
    for (let i = 0; i < this.contextKeys.length; i++) {
      if (values?.[i] !== undefined) continue;
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
