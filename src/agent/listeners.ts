/**
 * The listener census. Live listeners are read from the emitters' own lists at snapshot time
 * (`_events` of an EventEmitter, Node's `kEvents` map of an EventTarget or AbortSignal), so the
 * counts are exact and a removed listener is simply gone. What the agent must learn on the way
 * is which emitters exist: the wrapped `addListener`/`on`/`prependListener` (`once` and
 * `prependOnceListener` go through them) and `addEventListener` remember each emitter they see
 * (weakly, bounded), and the engine hands over the emitters that had listeners before the attach
 * (found once with `Runtime.queryObjects`, see `adoptEmitters`). Removal needs no wrapper, and
 * `emit` is never touched: the hot path is one WeakSet lookup plus the sampler's coin flip.
 *
 * A sampled share of registrations (a `StackSampler` budget) records its stack, time and owner
 * (`OwnershipTracker.capture`), keyed weakly by the listener function. Unsampled listeners join
 * the group of a sampled one with the same code on the same kind of emitter and event, as timers
 * without a stack join their callback's site. Groups piling on one emitter also hand over a few
 * listeners picked at random, whose closures the engine reads for the connection they hold.
 */
import type { AgentListenerCensus, AgentListenerGroup, RawFrame } from '../protocol/agentSnapshot';
import type { OwnerInfo, OwnershipTracker } from './ownership';
import type { Patcher } from './patcher';
import { callbackKey } from './sites';
import { ITEMS_PER_STEP } from './slices';
import { readStack, type StackHolder, type StackSampler } from './stacks';

interface Registration {
  /** Raw stack until formatted (ahead of snapshots by `tick`, or by the census). */
  holder: StackHolder | undefined;
  frames: RawFrame[] | undefined;
  key: string | undefined;
  at: number;
  owner: OwnerInfo;
}

interface EmitterEntry {
  ref: WeakRef<object>;
  seenAt: number;
  /** Existed before the attach: adopted from the engine's scan, or `process`. */
  preexisting: boolean;
  /** Filled by the first census that reads the emitter. */
  label: string | undefined;
}

interface GroupAccumulator {
  id: string;
  emitter: string;
  emitterKind: AgentListenerGroup['emitterKind'];
  event: string;
  frames: RawFrame[];
  listener: unknown;
  count: number;
  sampled: number;
  oldest: number;
  newest: number;
  ownerGone: number;
  ownerKnown: number;
  perEmitter: Map<EmitterEntry, number>;
  /** A uniform random sample of the group's listeners (reservoir), for the engine's closure check. */
  samples: object[];
}

/** Beyond this many known emitters new ones are counted as dropped, not tracked. */
const MAX_EMITTERS = 200_000;
/** Emitters first seen within one tick, at most (a burst past it is counted as dropped). */
const MAX_FRESH = 50_000;
const MAX_FORMAT_PER_TICK = 200;
const HINT_LENGTH = 80;
/** Listeners per group handed over for the engine's owner check (a few CDP calls each). */
const OWNER_SAMPLES = 5;

type AnyFunction = (...args: never[]) => unknown;

export class ListenerTracking {
  private emitters: EmitterEntry[] = [];
  /**
   * Emitters first seen since the last tick, held strongly until then (one tick at most): most
   * belong to a request or a connection that is over by then and never cost a `WeakRef`.
   */
  private fresh: object[] = [];
  private seen = new WeakSet<object>();
  private records = new WeakMap<object, Registration>();
  private toFormat: Registration[] = [];
  private readonly codeKeys = new WeakMap<object, string>();
  /** Listener function → a short id of its code (`callbackKey`), so the census never hashes source text per listener. */
  private codeIds = new WeakMap<object, number>();
  private readonly codeIdOfKey = new Map<string, number>();
  private readonly groupIds = new Map<string, string>();
  private sweepAt = 1024;
  private dropped = 0;
  private scannedAt: number | undefined;
  /** Node's private `kEvents` symbol of EventTarget, read from the first one seen. */
  private kEvents: symbol | undefined;

  constructor(
    private readonly sampler: StackSampler,
    private readonly ownership: OwnershipTracker,
    private readonly installedAt: number,
  ) {}

  install(patcher: Patcher, getBuiltin: (id: string) => unknown): void {
    const events = getBuiltin('events') as { prototype: object };
    for (const key of ['addListener', 'on', 'prependListener']) this.wrapAdd(patcher, events.prototype, key);
    const eventTarget = (globalThis as { EventTarget?: { prototype: object } }).EventTarget;
    if (eventTarget) this.wrapAdd(patcher, eventTarget.prototype, 'addEventListener');
    this.remember(process, true);
  }

  /** Emitters that existed before the attach (the engine's `queryObjects` result); returns how many were new. */
  adoptEmitters(candidates: unknown): number {
    this.scannedAt = Date.now();
    if (!Array.isArray(candidates)) return 0;
    let adopted = 0;
    for (const candidate of candidates) {
      if (candidate === null || typeof candidate !== 'object' || this.seen.has(candidate)) continue;
      if (!this.hasListeners(candidate)) continue;
      this.remember(candidate, true);
      adopted++;
    }
    return adopted;
  }

  /** Per housekeeping tick: sampler budget, stacks formatted ahead, dead emitters dropped. */
  tick(): void {
    this.adoptFresh();
    this.sampler.refill();
    for (const record of this.toFormat.splice(0, MAX_FORMAT_PER_TICK)) this.keyOf(record);
    if (this.toFormat.length > MAX_FORMAT_PER_TICK * 10) this.toFormat.length = 0;
    if (this.emitters.length >= this.sweepAt) this.sweep();
  }

  status(): AgentListenerCensus {
    const status: AgentListenerCensus = { emitters: this.emitters.length, dropped: this.dropped, sampling: this.sampler.figures() };
    if (this.scannedAt !== undefined) status.scannedAt = this.scannedAt;
    return status;
  }

  /**
   * Every live listener on every known emitter, grouped. Representative listeners and emitters
   * are appended to `objects` (the snapshot's objects the engine reads over CDP).
   */
  *census(liveOwnerHandles: ReadonlySet<object>, objects: unknown[]): Generator<void, AgentListenerGroup[]> {
    this.adoptFresh();
    const groups = new Map<string, GroupAccumulator>();
    /** "label|event|code" → the stack group of a sampled listener with that code. */
    const stackGroupOfCode = new Map<string, GroupAccumulator>();
    const unattributed: Array<{ entry: EmitterEntry; kind: AgentListenerGroup['emitterKind']; event: string; fn: object; codeKey: string; record: Registration | undefined }> = [];

    let work = 0;
    const visit = (entry: EmitterEntry, kind: AgentListenerGroup['emitterKind'], event: string, listener: unknown) => {
      work++;
      const fn = unwrap(listener);
      if (fn === undefined) return;
      const record = this.records.get(fn);
      const codeKey = `${entry.label}|${event}|${this.codeIdOf(fn)}`;
      const stack = record ? this.keyOf(record) : undefined;
      if (record && stack !== undefined) {
        const group = this.group(groups, `${entry.label}|${event}|${stack}`, entry, kind, event, fn, record.frames ?? []);
        stackGroupOfCode.set(codeKey, group);
        this.count(group, entry, record, liveOwnerHandles, fn);
        return;
      }
      // Unsampled, or sampled with a stack that could not be read: join the stack group of the same code.
      const sampledGroup = stackGroupOfCode.get(codeKey);
      if (sampledGroup) this.count(sampledGroup, entry, record, liveOwnerHandles, fn);
      else unattributed.push({ entry, kind, event, fn, codeKey, record });
    };

    // The census runs in slices (see `runInSlices`): emitters tracked meanwhile go to a new list,
    // joined to the survivors at the end.
    const visiting = this.emitters;
    this.emitters = [];
    const kept: EmitterEntry[] = [];
    // Every emitter costs a little and every listener more: a step is ITEMS_PER_STEP of either.
    let nextStep = ITEMS_PER_STEP;
    let index = 0;
    try {
      for (; index < visiting.length; index++) {
        const entry = visiting[index];
        const emitter = entry.ref.deref();
        if (emitter === undefined) continue;
        kept.push(entry);
        work++;
        try {
          yield* this.visitEmitter(emitter, entry, visit);
        } catch {
          // An emitter with hostile getters is skipped, never a failed snapshot.
        }
        if (work >= nextStep) {
          nextStep = work + ITEMS_PER_STEP;
          yield;
        }
      }
    } finally {
      // Also when the census fails midway: no emitter is forgotten.
      this.emitters = kept.concat(visiting.slice(index + 1), this.emitters);
    }
    this.sweepAt = Math.max(1024, this.emitters.length * 2);
    yield;

    let items = 0;
    for (const { entry, kind, event, fn, codeKey, record } of unattributed) {
      const group = stackGroupOfCode.get(codeKey) ?? this.group(groups, codeKey, entry, kind, event, fn, []);
      this.count(group, entry, record, liveOwnerHandles, fn);
      if (++items % ITEMS_PER_STEP === 0) yield;
    }
    const finished: AgentListenerGroup[] = [];
    for (const group of groups.values()) {
      finished.push(this.finish(group, objects));
      yield;
    }
    return finished;
  }

  /** Cached per function; ids of one installation (cleared with it). */
  private codeIdOf(fn: object): number {
    let id = this.codeIds.get(fn);
    if (id === undefined) {
      const key = callbackKey(typeof fn === 'function' ? fn : (fn as { handleEvent?: unknown }).handleEvent, this.codeKeys);
      id = this.codeIdOfKey.get(key);
      if (id === undefined) this.codeIdOfKey.set(key, (id = this.codeIdOfKey.size));
      this.codeIds.set(fn, id);
    }
    return id;
  }

  clear(): void {
    this.codeIds = new WeakMap();
    this.codeIdOfKey.clear();
    this.emitters = [];
    this.fresh = [];
    this.seen = new WeakSet();
    this.records = new WeakMap();
    this.toFormat = [];
    this.groupIds.clear();
  }

  /** Runs on every registration in the process: keep it to a lookup, a length and a coin flip. */
  private registered(emitter: unknown, event: unknown, listener: unknown, above: AnyFunction): void {
    if (emitter === null || typeof emitter !== 'object') return;
    if (!this.seen.has(emitter)) this.remember(emitter, false);
    const holder = this.sampler.capture(above, this.crowds(emitter, event));
    if (!holder) return;
    const fn = unwrap(listener);
    if (fn === undefined) return;
    const record: Registration = { holder, frames: undefined, key: undefined, at: Date.now(), owner: this.ownership.capture() };
    this.records.set(fn, record);
    this.toFormat.push(record);
  }

  /**
   * Whether this registration just brought its event's listeners on this emitter to 8, 16, 32 …
   * or a multiple of 256. Stacks go where listeners pile up: a listener leak grows one emitter's
   * list, and a few of its registrations then carry their line whatever the coin says, while the
   * many emitters with a listener or two each (a connection's) stay on the coin.
   */
  private crowds(emitter: object, event: unknown): boolean {
    let count = 0;
    const events = (emitter as { _events?: Record<PropertyKey, unknown> })._events;
    if (events !== null && typeof events === 'object') {
      if (typeof event !== 'string' && typeof event !== 'symbol') return false;
      const listeners = events[event];
      count = Array.isArray(listeners) ? listeners.length : 0;
    } else {
      // An EventTarget: Node keeps each type's listener count on the list's root.
      const root = this.eventTargetMap(emitter)?.get(event) as { size?: unknown } | undefined;
      count = typeof root?.size === 'number' ? root.size : 0;
    }
    return count >= 8 && ((count & (count - 1)) === 0 || count % 256 === 0);
  }

  /** Every wrapped method takes (event, listener, …). */
  private wrapAdd(patcher: Patcher, prototype: object, key: string): void {
    patcher.wrap(prototype, key, (original) => {
      const registered = (emitter: unknown, event: unknown, listener: unknown) => this.registered(emitter, event, listener, wrapper);
      const wrapper = function (this: unknown, ...args: unknown[]) {
        const result = (original as (...a: unknown[]) => unknown).apply(this, args);
        registered(this, args[0], args[1]);
        return result;
      };
      return wrapper as never;
    });
  }

  private remember(emitter: object, preexisting: boolean): void {
    this.seen.add(emitter);
    if (preexisting) this.track(emitter, true);
    else if (this.fresh.length < MAX_FRESH) this.fresh.push(emitter);
    else this.dropped++;
  }

  /** Tracks the fresh emitters still in use; one that has no listener now is seen anew at its next one. */
  private adoptFresh(): void {
    const fresh = this.fresh;
    if (fresh.length === 0) return;
    this.fresh = [];
    for (const emitter of fresh) {
      if ((emitter as { destroyed?: unknown }).destroyed === true) continue;
      if (this.hasListeners(emitter)) this.track(emitter, false);
      else this.seen.delete(emitter);
    }
  }

  private track(emitter: object, preexisting: boolean): void {
    if (this.emitters.length >= this.sweepAt) this.sweep();
    if (this.emitters.length >= MAX_EMITTERS) {
      this.dropped++;
      return;
    }
    this.emitters.push({ ref: new WeakRef(emitter), seenAt: preexisting ? this.installedAt : Date.now(), preexisting, label: undefined });
  }

  private sweep(): void {
    this.emitters = this.emitters.filter((entry) => entry.ref.deref() !== undefined);
    this.sweepAt = Math.max(1024, this.emitters.length * 2);
  }

  private hasListeners(candidate: object): boolean {
    const events = (candidate as { _events?: unknown })._events;
    if (events !== null && typeof events === 'object') return Reflect.ownKeys(events).length > 0;
    const map = this.eventTargetMap(candidate);
    return map !== undefined && map.size > 0;
  }

  /** Visits the emitter's listeners, a step every ITEMS_PER_STEP (a leak's emitter holds thousands). */
  private *visitEmitter(emitter: object, entry: EmitterEntry, visit: (entry: EmitterEntry, kind: AgentListenerGroup['emitterKind'], event: string, listener: unknown) => void): Generator<void> {
    // A destroyed stream or socket is garbage the GC has not collected yet: its listeners go with it.
    if ((emitter as { destroyed?: unknown }).destroyed === true) return;
    entry.label ??= labelOf(emitter);
    let visited = 0;
    const events = (emitter as { _events?: unknown })._events;
    if (events !== null && typeof events === 'object') {
      for (const type of Reflect.ownKeys(events)) {
        const listeners = (events as Record<PropertyKey, unknown>)[type];
        const event = eventName(type);
        if (typeof listeners === 'function') visit(entry, 'EventEmitter', event, listeners);
        else if (Array.isArray(listeners)) {
          // Our own reference: a listener removed meanwhile leaves this array as it was, or shifts it by one.
          for (const listener of listeners) {
            visit(entry, 'EventEmitter', event, listener);
            if (++visited % ITEMS_PER_STEP === 0) yield;
          }
        }
      }
      return;
    }
    const map = this.eventTargetMap(emitter);
    if (!map) return;
    for (const [type, root] of map) {
      const event = eventName(type);
      // A node removed meanwhile is flagged and keeps its `next`: the walk goes on past it.
      for (let node = (root as ListenerNode).next; node; node = node.next) {
        if (node.removed) continue;
        const listener = node.weak && typeof (node.listener as WeakRef<object>)?.deref === 'function' ? (node.listener as WeakRef<object>).deref() : node.listener;
        visit(entry, 'EventTarget', event, listener);
        if (++visited % ITEMS_PER_STEP === 0) yield;
      }
    }
  }

  /** Node's `kEvents` map of an EventTarget (type → linked list of listeners): a primordials `SafeMap`, not `instanceof Map`. */
  private eventTargetMap(target: object): Map<unknown, unknown> | undefined {
    this.kEvents ??= Object.getOwnPropertySymbols(target).find((symbol) => symbol.description === 'kEvents');
    const map = this.kEvents ? (target as Record<symbol, unknown>)[this.kEvents] : undefined;
    const isMap = map !== null && typeof map === 'object' && typeof (map as Map<unknown, unknown>).size === 'number' && typeof (map as Map<unknown, unknown>)[Symbol.iterator] === 'function';
    return isMap ? (map as Map<unknown, unknown>) : undefined;
  }

  private group(groups: Map<string, GroupAccumulator>, key: string, entry: EmitterEntry, kind: AgentListenerGroup['emitterKind'], event: string, fn: object, frames: RawFrame[]): GroupAccumulator {
    let group = groups.get(key);
    if (!group) {
      let id = this.groupIds.get(key);
      if (!id) this.groupIds.set(key, (id = `l${this.groupIds.size + 1}`));
      group = { id, emitter: entry.label ?? 'EventEmitter', emitterKind: kind, event, frames, listener: fn, count: 0, sampled: 0, oldest: Infinity, newest: -Infinity, ownerGone: 0, ownerKnown: 0, perEmitter: new Map(), samples: [] };
      groups.set(key, group);
    }
    return group;
  }

  private count(group: GroupAccumulator, entry: EmitterEntry, record: Registration | undefined, liveOwnerHandles: ReadonlySet<object>, fn: object): void {
    group.count++;
    group.perEmitter.set(entry, (group.perEmitter.get(entry) ?? 0) + 1);
    if (group.samples.length < OWNER_SAMPLES) group.samples.push(fn);
    else {
      const slot = Math.floor(Math.random() * group.count);
      if (slot < OWNER_SAMPLES) group.samples[slot] = fn;
    }
    if (!record) return;
    group.sampled++;
    if (record.at < group.oldest) group.oldest = record.at;
    if (record.at > group.newest) group.newest = record.at;
    if (!record.owner.owner && !record.owner.context) return;
    const gone = this.ownership.isGone(record.owner, liveOwnerHandles);
    if (gone === undefined) return;
    group.ownerKnown++;
    if (gone) group.ownerGone++;
  }

  private finish(group: GroupAccumulator, objects: unknown[]): AgentListenerGroup {
    let top: EmitterEntry | undefined;
    let maxPerEmitter = 0;
    for (const [entry, count] of group.perEmitter) {
      if (count > maxPerEmitter) {
        maxPerEmitter = count;
        top = entry;
      }
    }
    const result: AgentListenerGroup = {
      id: group.id,
      emitter: group.emitter,
      emitterKind: group.emitterKind,
      event: group.event,
      frames: group.frames,
      count: group.count,
      sampledCount: group.sampled,
      emitters: group.perEmitter.size,
      maxPerEmitter,
      emitterSeenAt: top?.seenAt ?? this.installedAt,
      emitterPreexisting: top?.preexisting ?? false,
      ownerGoneCount: group.ownerGone,
      ownerKnownCount: group.ownerKnown,
    };
    const hint = listenerHint(group.listener);
    if (hint) result.listenerHint = hint;
    if (group.sampled > 0) {
      result.oldestRegisteredAt = group.oldest;
      result.newestRegisteredAt = group.newest;
    }
    const fn = typeof group.listener === 'function' ? group.listener : (group.listener as { handleEvent?: unknown }).handleEvent;
    if (typeof fn === 'function') result.listenerIndex = objects.push(fn) - 1;
    const emitter = top?.ref.deref();
    if (emitter) result.emitterIndex = objects.push(emitter) - 1;
    // Only a listener piling up on a shared emitter can outlive its owner: one per socket goes with the socket.
    if (maxPerEmitter > 1) result.listenerSampleIndexes = group.samples.map((sample) => objects.push(sample) - 1);
    return result;
  }

  /**
   * Formats the registration's stack once; frames are shared by registrations of one stack.
   * Undefined when there is no stack, or it came out empty (another tool's `prepareStackTrace`).
   */
  private keyOf(record: Registration): string | undefined {
    if (record.key === undefined && record.holder) {
      const read = readStack(record.holder);
      record.holder = undefined;
      if (!read) return undefined;
      record.frames = read.frames;
      record.key = read.key;
    }
    return record.key;
  }
}

interface ListenerNode {
  next: ListenerNode | undefined;
  listener: unknown;
  removed?: boolean;
  weak?: boolean;
}

/** The user's listener: `once` wraps it (`wrapper.listener`); EventTarget takes objects with `handleEvent`. */
function unwrap(listener: unknown): object | undefined {
  if (typeof listener === 'function') {
    const inner = (listener as { listener?: unknown }).listener;
    return typeof inner === 'function' ? inner : listener;
  }
  return listener !== null && typeof listener === 'object' ? listener : undefined;
}

function eventName(type: string | symbol | unknown): string {
  return typeof type === 'symbol' ? type.toString() : String(type);
}

/** What the agent can cheaply say about an emitter: `process`, or its constructor's name. */
function labelOf(emitter: object): string {
  if (emitter === process) return 'process';
  const name = (emitter as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name ? name.slice(0, 64) : 'EventEmitter';
}

function listenerHint(listener: unknown): string | undefined {
  const fn = typeof listener === 'function' ? listener : (listener as { handleEvent?: unknown } | undefined)?.handleEvent;
  if (typeof fn !== 'function') return undefined;
  if (fn.name) return fn.name;
  return Function.prototype.toString.call(fn).slice(0, HINT_LENGTH).replace(/\s+/g, ' ');
}
