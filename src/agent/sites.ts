/** Aggregation of live resources into creation sites, the payload of a snapshot. */
import type { AgentSite, RawFrame, ResourceType } from '../protocol/agentSnapshot';
import type { ContextValues, OwnershipTracker } from './ownership';
import type { ResourceRecord } from './registry';

const TOP_CONTEXT_VALUES = 5;
/** Callbacks kept per timer site for the engine to look into their closures (see `callbackSamples`). */
const CALLBACK_SAMPLES = 5;
/** Only the largest ownerless timer sites keep samples: the engine inspects a few at most. */
const SAMPLED_SITES = 20;
/** Timers carry the program's own callbacks; a handle's stands for its server (the same for all). */
const CLOSURE_SAMPLED_TYPES: ReadonlySet<ResourceType> = new Set(['Interval', 'Timeout']);
/** Handles whose `bytesWritten` tells whether live code still uses them. */
const WRITABLE_TYPES: ReadonlySet<ResourceType> = new Set(['TCPSocket', 'PipeSocket']);

interface SiteAccumulator {
  id: string;
  type: ResourceType;
  frames: RawFrame[];
  callback: unknown;
  preexisting: boolean;
  weight: number;
  sampled: number;
  createdAt: number[];
  delayMs: number | undefined;
  contextCounts: Array<Map<string, number>>;
  ownerGone: number;
  ownerKnown: number;
  ownerShared: number;
  /** A uniform random sample (reservoir) of the callbacks seen, and how many were seen. */
  samples: unknown[];
  callbacksSeen: number;
}

export class SiteBuilder {
  private readonly sites = new Map<string, SiteAccumulator>();
  private readonly referencedBindings = new Set<string>();
  /** Per snapshot: whether each identity value is gone, computed once. */
  private readonly goneByBinding = new Map<string, boolean>();

  constructor(
    private readonly siteIds: Map<string, string>,
    private readonly contextKeys: readonly string[],
    private readonly ownership: OwnershipTracker,
    private readonly liveOwnerHandles: ReadonlySet<object>,
  ) {}

  has(key: string): boolean {
    return this.sites.has(key);
  }

  add(key: string, type: ResourceType, record: ResourceRecord, callback: unknown, preexisting: boolean, resource?: object): void {
    let site = this.sites.get(key);
    if (!site) {
      let id = this.siteIds.get(key);
      if (!id) this.siteIds.set(key, (id = `s${this.siteIds.size + 1}`));
      site = {
        id,
        type,
        frames: record.frames ?? [],
        callback,
        preexisting,
        weight: 0,
        sampled: 0,
        createdAt: [],
        delayMs: record.delayMs,
        contextCounts: this.contextKeys.map(() => new Map()),
        ownerGone: 0,
        ownerKnown: 0,
        ownerShared: 0,
        samples: [],
        callbacksSeen: 0,
      };
      this.sites.set(key, site);
    }
    site.weight += record.weight;
    if (record.frames) site.sampled++;
    site.createdAt.push(record.createdAt);
    if (typeof callback === 'function' && CLOSURE_SAMPLED_TYPES.has(type)) sampleCallback(site, callback);
    if (record.owner.context) this.countContext(site, record.owner.context);
    let gone = record.owner.owner || record.owner.context ? this.ownership.isGone(record.owner, this.liveOwnerHandles) : undefined;
    if (gone && WRITABLE_TYPES.has(type) && resource && isSharedAfterOwner(record, resource)) {
      gone = false;
      site.ownerShared++;
    }
    if (gone !== undefined) {
      site.ownerKnown++;
      if (gone) site.ownerGone++;
    }
  }

  /** Finishes the sites, one step each (see `runInSlices`); representative callbacks are appended to `callbacks`. */
  *build(recent: Map<string, { created: number; ended: number; lifetimeSum: number; lifetimes: number }>, callbacks: unknown[]): Generator<void, AgentSite[]> {
    const result: AgentSite[] = [];
    const sampled = new Set(
      [...this.sites.values()]
        .filter((site) => site.ownerKnown === 0 && site.samples.length > 0)
        .sort((a, b) => b.weight - a.weight)
        .slice(0, SAMPLED_SITES),
    );
    for (const [key, site] of this.sites) {
      yield;
      const created = Float64Array.from(site.createdAt).sort();
      const stats = recent.get(key);
      const context: AgentSite['context'] = {};
      site.contextCounts.forEach((counts, i) => {
        if (counts.size === 0) return;
        const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, TOP_CONTEXT_VALUES);
        context[this.contextKeys[i]] = { distinct: counts.size, top, gone: this.goneValues(i, counts) };
      });
      let callbackIndex: number | undefined;
      if (site.frames.length === 0 && typeof site.callback === 'function') callbackIndex = callbacks.push(site.callback) - 1;
      const callbackSamples = sampled.has(site) ? [...new Set(site.samples)].map((callback) => callbacks.push(callback) - 1) : undefined;
      result.push({
        id: site.id,
        type: site.type,
        frames: site.frames,
        callbackIndex,
        callbackHint: callbackHint(site.callback),
        callbackSamples,
        count: Math.round(site.weight),
        sampledCount: site.sampled,
        oldestCreatedAt: created[0],
        medianCreatedAt: created[created.length >> 1],
        newestCreatedAt: created[created.length - 1],
        recentCreated: stats?.created ?? 0,
        recentEnded: stats?.ended ?? 0,
        meanEndedLifetimeMs: stats && stats.lifetimes ? Math.round(stats.lifetimeSum / stats.lifetimes) : undefined,
        preexisting: site.preexisting,
        delayMs: site.delayMs,
        context,
        ownerGoneCount: site.ownerGone,
        ownerKnownCount: site.ownerKnown,
      });
      if (site.ownerShared > 0) result[result.length - 1].ownerSharedCount = site.ownerShared;
    }
    return result;
  }

  /** Context binding keys still referenced by live resources (kept by `OwnershipTracker.prune`). */
  get referencedBindingKeys(): ReadonlySet<string> {
    return this.referencedBindings;
  }

  /** Owner keys only: how many of the distinct values (players, rooms) have no open connection. */
  private goneValues(index: number, counts: Map<string, number>): number | undefined {
    if (!this.ownership.isOwnerKey(index)) return undefined;
    let gone = 0;
    for (const value of counts.keys()) {
      const bindingKey = `${this.contextKeys[index]}=${value}`;
      let isGone = this.goneByBinding.get(bindingKey);
      if (isGone === undefined) this.goneByBinding.set(bindingKey, (isGone = this.ownership.isValueGone(bindingKey, this.liveOwnerHandles) === true));
      if (isGone) gone++;
    }
    return gone;
  }

  private countContext(site: SiteAccumulator, context: ContextValues): void {
    for (let i = 0; i < context.length; i++) {
      const value = context[i];
      if (value === undefined) continue;
      site.contextCounts[i].set(value, (site.contextCounts[i].get(value) ?? 0) + 1);
    }
    for (const key of this.ownership.bindingKeys(context)) this.referencedBindings.add(key);
  }
}

/**
 * The objects of one snapshot that the engine reads over CDP afterwards (representative and
 * sampled callbacks, listeners, emitters), by the index the snapshot gives them. Held weakly:
 * a strong array kept them, and through their closures the program's sessions and sockets,
 * alive until the next snapshot, so a heap snapshot taken after a scenario found them "leaked".
 * A live resource holds its own callback, so what the engine asks for is still there; what was
 * collected meanwhile reads as `undefined`, which is no evidence of anything.
 */
export class SnapshotObjects {
  private readonly refs: Array<WeakRef<object> | undefined>;

  constructor(objects: readonly unknown[] = []) {
    this.refs = objects.map((value) => ((typeof value === 'object' && value !== null) || typeof value === 'function' ? new WeakRef(value) : undefined));
  }

  /** The objects still alive, in index order (`undefined` where one was collected). */
  values(): unknown[] {
    return this.refs.map((ref) => ref?.deref());
  }
}

/** Reservoir sampling: every callback seen has the same chance to be among the samples. */
function sampleCallback(site: SiteAccumulator, callback: unknown): void {
  const seen = ++site.callbacksSeen;
  if (site.samples.length < CALLBACK_SAMPLES) site.samples.push(callback);
  else {
    const slot = Math.floor(Math.random() * seen);
    if (slot < CALLBACK_SAMPLES) site.samples[slot] = callback;
  }
}

function callbackHint(callback: unknown): string | undefined {
  if (typeof callback !== 'function') return undefined;
  if (callback.name) return callback.name;
  return Function.prototype.toString.call(callback).slice(0, 80).replace(/\s+/g, ' ');
}

/** Groups callbacks created by the same code: name plus a prefix of their source text. */
/**
 * A socket opened while serving a player who has left is that player's leak only if nobody uses
 * it any more: one written to after its owner left serves others (a store pool's connection, a
 * shared client), by design. The first snapshot that sees the owner gone notes `bytesWritten`;
 * any later write marks the socket shared for good. Reads do not count: a forgotten
 * subscription keeps receiving.
 */
function isSharedAfterOwner(record: ResourceRecord, resource: object): boolean {
  if (record.sharedAfterOwner) return true;
  let written: unknown;
  try {
    written = (resource as { bytesWritten?: unknown }).bytesWritten;
  } catch {
    return false;
  }
  if (typeof written !== 'number') return false;
  if (record.writtenWhenOwnerGone === undefined) {
    record.writtenWhenOwnerGone = written;
    return false;
  }
  if (written <= record.writtenWhenOwnerGone) return false;
  record.sharedAfterOwner = true;
  return true;
}

export function callbackKey(callback: unknown, cache: WeakMap<object, string>): string {
  if (typeof callback !== 'function') return 'none';
  let key = cache.get(callback);
  if (key === undefined) {
    key = `${callback.name}|${Function.prototype.toString.call(callback).slice(0, 200)}`;
    cache.set(callback, key);
  }
  return key;
}
