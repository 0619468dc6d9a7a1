/**
 * The agent injected into the target with `Runtime.evaluate`. Self-contained: it imports no
 * module at run time (built-ins come from `process.getBuiltinModule`), so it works in CommonJS
 * and ESM servers alike. Evaluating it defines a factory on `globalThis`; the engine then calls
 * `install(config, internals)`, which reuses a running agent of the same version (a second
 * attach) and hands out a lease; `release(lease)` on detach removes the agent with the last
 * lease: every wrapped function restored, all state dropped (see `AgentHandle`).
 */
import { publishAgent } from './lease';
import { AGENT_PROTOCOL_VERSION, type AgentConfig, type AgentListenerCensus, type AgentSnapshot, type ResourceType, type TimelineRead } from '../protocol/agentSnapshot';
import { capabilityWarnings } from './capabilities';
import type { AsyncHooksModule } from './context';
import { HandleTracking } from './handles';
import { ListenerTracking } from './listeners';
import { OwnershipTracker } from './ownership';
import { Patcher } from './patcher';
import { PromiseTracking } from './promises';
import { Registry, siteKeyOf, type ResourceRecord } from './registry';
import { callbackKey, SiteBuilder, SnapshotObjects } from './sites';
import { ITEMS_PER_STEP, runInSlices, type YieldToLoop } from './slices';
import { forgetKnownStacks, StackSampler, stackReads } from './stacks';
import { Timeline } from './timeline';
import { TimerTracking, type NodeTimer, type TimerInternals } from './timers';

/** The minor version changes with the handle's interface (1.1: leases, 1.2: timeline, 1.3: listener census, 1.4: snapshots in slices, a promise), so a stale agent is replaced. */
export const AGENT_VERSION = `${AGENT_PROTOCOL_VERSION}.4.0`;
export const AGENT_GLOBAL = Symbol.for('leak-inspector.agent');

const HOUSEKEEPING_MS = 100;
/** Stacks formatted ahead of snapshots per housekeeping tick, so snapshots rarely format. */
const MAX_FORMAT_PER_TICK = 200;
/** The longest a snapshot holds the target's event loop at once, in ms (a slice overshoots by one step). */
const SLICE_MS = 8;

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

type GetBuiltin = (id: string) => unknown;

export class Agent {
  readonly version = AGENT_VERSION;
  readonly installedAt = Date.now();
  private readonly patcher = new Patcher();
  private readonly toFormat: ResourceRecord[] = [];
  private readonly registry = new Registry(this.toFormat);
  private readonly sampler: StackSampler;
  private readonly promiseSampler: StackSampler;
  private readonly listeners: ListenerTracking;
  private readonly ownership: OwnershipTracker;
  private readonly timers: TimerTracking;
  private readonly handles: HandleTracking;
  private readonly promises: PromiseTracking;
  /** Started by the first session that reads it (`watch`), stopped with the agent. */
  readonly timeline = new Timeline();
  private readonly siteIds = new Map<string, string>();
  private readonly callbackKeys = new WeakMap<object, string>();
  private housekeeping: ReturnType<typeof setInterval> | undefined;
  private readonly originalSetTimeout: typeof setTimeout;
  /** Between two slices of a snapshot: the original `setImmediate`, never our wrapper. */
  private readonly yieldToLoop: YieldToLoop;
  /** The snapshot in flight (if any): the next one starts after it. */
  private snapshotQueue: Promise<void> = Promise.resolve();
  private removed = false;
  private snapshots = 0;
  private lastSnapshotAt = this.installedAt;
  /** The last snapshot's representative callbacks (and listeners, emitters), read by the engine over CDP; weak. */
  callbacks = new SnapshotObjects();

  readonly timerListsFound: boolean;

  constructor(
    readonly config: AgentConfig,
    internals: TimerInternals,
    getBuiltin: GetBuiltin,
  ) {
    this.timerListsFound = internals.timerListMap !== undefined && internals.immediateQueue !== undefined;
    const asyncHooks = getBuiltin('async_hooks') as AsyncHooksModule;
    this.sampler = new StackSampler(config.stackBudgetPerSecond, config.maxFrames, HOUSEKEEPING_MS, true);
    this.promiseSampler = new StackSampler(config.promiseBudgetPerSecond, config.maxFrames, HOUSEKEEPING_MS);
    this.ownership = new OwnershipTracker(config.contextKeys, config.ownerKeys, asyncHooks, (resource) => this.registry.get(resource)?.owner.owner);
    this.timers = new TimerTracking(internals, this.registry, this.sampler, this.ownership);
    this.handles = new HandleTracking(this.registry, this.sampler, this.ownership);
    this.promises = new PromiseTracking(this.registry, this.promiseSampler, this.ownership, config.promiseDutyCycle);
    this.listeners = new ListenerTracking(new StackSampler(config.listenerBudgetPerSecond ?? config.stackBudgetPerSecond, config.maxFrames, HOUSEKEEPING_MS, true), this.ownership, this.installedAt);

    // Our own timers come from the original functions, before the wrappers exist.
    this.originalSetTimeout = setTimeout;
    const originalSetImmediate = setImmediate;
    this.yieldToLoop = (later) => originalSetImmediate(later);
    this.housekeeping = setInterval(() => this.tick(), HOUSEKEEPING_MS);
    this.housekeeping.unref();
    this.timers.ownTimer = this.housekeeping;
    this.timers.install(this.patcher, getBuiltin);
    this.handles.install(this.patcher, getBuiltin);
    this.listeners.install(this.patcher, getBuiltin);
    if (config.promiseBudgetPerSecond > 0) this.promises.install(getBuiltin);
    syncEsmExports(getBuiltin);
  }

  /**
   * A snapshot, taken in slices of at most ~`SLICE_MS` of the target's time with the event loop
   * given back in between (see `runInSlices`): its `pauseMs` is the longest slice. Snapshots of
   * several sessions run one after the other, never interleaved.
   */
  snapshot(): Promise<{ snapshot: AgentSnapshot; callbacks: SnapshotObjects }> {
    const run = this.snapshotQueue.then(() => this.sliced());
    this.snapshotQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async sliced(): Promise<{ snapshot: AgentSnapshot; callbacks: SnapshotObjects }> {
    if (this.removed) throw new Error('leak-inspector agent was removed');
    const { value, cost } = await runInSlices(this.snapshotSteps(), this.yieldToLoop, SLICE_MS);
    value.pauseMs = round2(cost.longestMs);
    value.workMs = round2(cost.workMs);
    value.slices = cost.slices;
    this.timeline.snapshotTaken(value.takenAt, cost.workMs, value.liveResources);
    return { snapshot: value, callbacks: this.callbacks };
  }

  private *snapshotSteps(): Generator<void, AgentSnapshot> {
    const now = Date.now();
    const firstSnapshot = this.snapshots++ === 0;
    const liveHandles = this.handles.live();
    const ownerHandles = this.handles.liveOwnerHandles(liveHandles);
    const builder = new SiteBuilder(this.siteIds, this.config.contextKeys, this.ownership, ownerHandles);
    const totals: Partial<Record<ResourceType, number>> = {};
    // Per type: callback code → the stack site of a sampled resource with that callback.
    const siteOfCallback = new Map<ResourceType, Map<string, string>>();
    const unattributed: Array<{ type: ResourceType; record: ResourceRecord; callback: unknown; code: string; resource: object }> = [];

    const loopNow = this.loopNow();
    // Runs for every live resource: no string building here, only cached lookups.
    const visit = (resource: object, type: ResourceType, callback: unknown) => {
      totals[type] = (totals[type] ?? 0) + 1;
      const record = this.registry.get(resource) ?? this.registry.add(resource, this.unseenRecord(resource, type, firstSnapshot, now, loopNow));
      const code = callbackKey(callback, this.callbackKeys);
      const key = siteKeyOf(record);
      let sites = siteOfCallback.get(type);
      if (!sites) siteOfCallback.set(type, (sites = new Map()));
      if (key) {
        builder.add(key, type, record, callback, false, resource);
        sites.set(code, key);
        return;
      }
      const sampledSite = sites.get(code);
      if (sampledSite) builder.add(sampledSite, type, record, callback, false, resource);
      else unattributed.push({ type, record, callback, code, resource });
    };
    let items = 0;
    yield* this.timers.walkLive((timer, type) => {
      visit(timer, type, type === 'Immediate' ? timer._onImmediate : timer._onTimeout);
      items++;
    });
    for (const { handle, type, server } of liveHandles) {
      visit(handle, type, this.handles.representativeCallback(handle, server));
      // A handle costs more than a timer (its listeners are looked through): smaller steps.
      if (++items % (ITEMS_PER_STEP / 4) === 0) yield;
    }
    let promises = 0;
    for (const live of this.promises.live()) {
      if (++items % ITEMS_PER_STEP === 0) yield;
      if (!live) continue;
      promises += live.record.weight;
      builder.add(siteKeyOf(live.record) ?? 'Promise@', 'Promise', live.record, undefined, false);
    }
    if (promises > 0) totals.Promise = Math.round(promises);
    // Resources without a stack join the stack site of their callback's code when one is known.
    for (const { type, record, callback, code, resource } of unattributed) {
      builder.add(siteOfCallback.get(type)?.get(code) ?? `${type}|${code}`, type, record, callback, record.preexisting === true, resource);
      if (++items % ITEMS_PER_STEP === 0) yield;
    }
    yield;

    const objects: unknown[] = [];
    const recent = this.recentStats();
    const sites = yield* builder.build(recent, objects);
    const listeners = yield* this.listeners.census(ownerHandles, objects);
    if (this.removed) throw new Error('leak-inspector agent was removed during the snapshot');
    this.callbacks = new SnapshotObjects(objects);
    this.ownership.prune(ownerHandles, builder.referencedBindingKeys);
    this.lastSnapshotAt = now;
    const live = Object.values(totals).reduce((sum, n) => sum + (n ?? 0), 0);
    return {
      agentVersion: this.version,
      pid: process.pid,
      threadId: threadIdOf(),
      takenAt: now,
      processUptimeMs: Math.round(process.uptime() * 1000),
      pauseMs: 0,
      liveResources: Math.round(live),
      totalsByType: totals,
      openConnections: liveHandles.reduce((open, { server }) => (server ? open + 1 : open), 0),
      sites,
      stackSampling: { ...this.sampler.figures(), reads: { ...stackReads } },
      warnings: capabilityWarnings(this.timerListsFound, this.ownership),
      listeners,
      listenerCensus: this.listeners.status(),
      nodeVersion: process.version,
    };
  }

  /** Emitters that had listeners before the attach (the engine's `queryObjects` scan); returns how many were new. */
  adoptEmitters(emitters: unknown): number {
    return this.listeners.adoptEmitters(emitters);
  }

  /** The listener census's state (whether the scan ran), without a snapshot. */
  listenerStatus(): AgentListenerCensus {
    return this.listeners.status();
  }

  /** What stays patched: 0 after `uninstall`. */
  get patchedFunctions(): number {
    return this.patcher.count;
  }

  /** Timeline entries this reader has not seen yet; the first read starts the timeline. */
  readTimeline(cursor: number | undefined, getBuiltin: GetBuiltin): TimelineRead {
    if (!this.timeline.running) this.timeline.start(getBuiltin, HOUSEKEEPING_MS);
    return { threadId: threadIdOf(), ...this.timeline.read(cursor ?? this.timeline.cursor) };
  }

  uninstall(getBuiltin: GetBuiltin): void {
    this.removed = true;
    clearInterval(this.housekeeping);
    this.housekeeping = undefined;
    this.timeline.stop();
    this.patcher.restoreAll();
    this.promises.uninstall();
    this.timers.clear();
    this.listeners.clear();
    this.registry.clear();
    forgetKnownStacks();
    this.siteIds.clear();
    this.toFormat.length = 0;
    this.callbacks = new SnapshotObjects();
    syncEsmExports(getBuiltin);
  }

  /** Refills the stack budgets and formats fresh stacks while the process is otherwise idle. */
  private tick(): void {
    const now = Date.now();
    this.timeline.tick(now);
    this.promises.tick(now);
    this.sampler.refill();
    this.promiseSampler.refill();
    this.listeners.tick();
    const batch = this.toFormat.splice(0, MAX_FORMAT_PER_TICK);
    for (const record of batch) siteKeyOf(record);
    // Stacks we fell behind on are dropped from the queue; snapshots format what is still live.
    if (this.toFormat.length > MAX_FORMAT_PER_TICK * 10) this.toFormat.length = 0;
  }

  /**
   * A record for a resource seen for the first time: created before the attach, or since by a
   * path we do not wrap (Node-internal timers, accepted sockets). A timeout's `_idleStart` (the
   * event loop's clock when it was armed) dates it; otherwise it is at least as old as the
   * previous snapshot, or the attach.
   */
  private unseenRecord(resource: object, type: ResourceType, firstSnapshot: boolean, now: number, loopNow: number | undefined): ResourceRecord {
    const timer = resource as Partial<NodeTimer> & { _idleStart?: number };
    let createdAt = firstSnapshot ? this.installedAt : this.lastSnapshotAt;
    let preexisting = firstSnapshot;
    if (type === 'Timeout' && typeof timer._idleStart === 'number' && loopNow !== undefined) {
      createdAt = now - (loopNow - timer._idleStart);
      preexisting = createdAt < this.installedAt;
    }
    return {
      type,
      createdAt,
      owner: { context: undefined, owner: undefined },
      holder: undefined,
      frames: undefined,
      siteKey: undefined,
      weight: 1,
      endedAt: undefined,
      delayMs: typeof timer._idleTimeout === 'number' && timer._idleTimeout >= 0 ? timer._idleTimeout : undefined,
      preexisting,
    };
  }

  /** The event loop's cached clock (the one `_idleStart` uses), read from a throwaway timer. */
  private loopNow(): number | undefined {
    const probe = this.originalSetTimeout(() => undefined, 2 ** 31 - 1) as unknown as { _idleStart?: number };
    clearTimeout(probe as never);
    return probe._idleStart;
  }

  private recentStats(): Map<string, { created: number; ended: number; lifetimeSum: number; lifetimes: number }> {
    const stats = new Map<string, { created: number; ended: number; lifetimeSum: number; lifetimes: number }>();
    const isEnded = (resource: object | undefined) => !resource || ('_destroyed' in resource && this.timers.isEnded(resource as NodeTimer)) || (resource as { destroyed?: boolean }).destroyed === true;
    for (const { record, ended } of this.registry.recent(isEnded)) {
      const key = record.siteKey;
      if (!key) continue;
      let entry = stats.get(key);
      if (!entry) stats.set(key, (entry = { created: 0, ended: 0, lifetimeSum: 0, lifetimes: 0 }));
      entry.created++;
      if (!ended) continue;
      entry.ended++;
      const lifetime = record.endedAt !== undefined ? record.endedAt - record.createdAt : record.type === 'Timeout' ? record.delayMs : undefined;
      if (lifetime !== undefined) {
        entry.lifetimeSum += lifetime;
        entry.lifetimes++;
      }
    }
    return stats;
  }
}

function threadIdOf(): number {
  const workerThreads = process.getBuiltinModule?.('worker_threads') as { threadId?: number } | undefined;
  return workerThreads?.threadId ?? 0;
}

/** ESM `import { setTimeout } from 'node:timers'` bindings follow the patched exports. */
function syncEsmExports(getBuiltin: GetBuiltin): void {
  (getBuiltin('module') as { syncBuiltinESMExports?: () => void }).syncBuiltinESMExports?.();
}

export type { AgentHandle, InstallReply } from './lease';

publishAgent(AGENT_VERSION, AGENT_GLOBAL, (config, internals, getBuiltin) => new Agent(config, internals, getBuiltin));
