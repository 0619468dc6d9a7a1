/**
 * The lease protocol of the injected agent: what the engine talks to on
 * `globalThis[Symbol.for('leak-inspector.agent')]`. Several inspector sessions share one agent;
 * each holds a lease, and the last release removes the agent (see `AgentHandle`).
 */
import type { AgentConfig, AgentSnapshot, TimelineRead } from '../protocol/agentSnapshot';
import type { Agent } from './agent';
import type { SnapshotObjects } from './sites';
import type { TimerInternals } from './timers';

type GetBuiltin = (id: string) => unknown;

/** Builds the agent on the first install; passed in so this module needs only the Agent's type. */
export type AgentFactory = (config: AgentConfig, internals: TimerInternals, getBuiltin: GetBuiltin) => Agent;

export interface InstallReply {
  reused: boolean;
  version: string;
  installedAt: number;
  /** Node's timer lists were handed over: timers created before the attach are visible. */
  timerListsFound: boolean;
  /** This installation's lease, for `snapshot`, `callbacksOf` and `release`. */
  lease: number;
  /** Leases held now, this one included: more than 1 when other sessions share the agent. */
  leases: number;
}

/**
 * What the engine talks to, published on `globalThis[globalKey]`.
 *
 * Several inspector sessions may be attached at once (two CLIs, the editor and a CLI); they share
 * one agent. Each `install` takes a lease and each detach `release`s its own: the agent stays
 * while any lease is held and is removed, originals restored, with the last one. `install`
 * returns the lease as an object that the engine keeps referenced from its CDP session (an
 * object group) and the agent holds only weakly, so a session that ends without detaching (a
 * killed CLI) drops its lease at a later GC; the agent then removes itself once no lease is left.
 * `uninstall()` removes the agent whatever the leases (a different agent version replacing it).
 */
export interface AgentHandle {
  version: string;
  install(config: AgentConfig, timerListMap?: object, immediateQueue?: object): InstallReply;
  /** `lease` keeps the snapshot's representative callbacks apart from other sessions'. Taken in slices: a promise. */
  snapshot(lease?: number): Promise<AgentSnapshot>;
  /** The representative callbacks of the last snapshot taken with `lease`. */
  callbacksOf(lease?: number): unknown[];
  /**
   * Timeline entries since this lease's previous read (the first read starts the timeline and
   * returns nothing yet). The timeline stops when no lease that read it is left.
   */
  timeline(lease: number): TimelineRead;
  /** Releases a lease; true when that removed the agent (it was the last one). */
  release(lease: number): boolean;
  uninstall(): boolean;
  readonly agent: Agent | undefined;
  /** Leases held now (sessions that may still use the agent). */
  readonly leases: number;
}

/** Publishes the handle unless an agent of this version already runs; replaces one of another version. */
export function publishAgent(version: string, globalKey: symbol, createAgent: AgentFactory): void {
  const getBuiltin = (id: string) => process.getBuiltinModule(id);
  const slot = globalThis as unknown as Record<symbol, AgentHandle | undefined>;
  const existing = slot[globalKey];
  if (existing?.version === version) return;
  existing?.uninstall();
  let agent: Agent | undefined;
  // Random start: a lease id of a replaced agent (another version) cannot release one of ours.
  let nextLease = 1 + Math.floor(Math.random() * 2 ** 30);
  const leases = new Map<number, { token: WeakRef<object>; callbacks: SnapshotObjects | undefined; timelineCursor?: number }>();
  const remove = () => {
    if (!agent) return false;
    agent.uninstall(getBuiltin);
    agent = undefined;
    leases.clear();
    if (slot[globalKey] === handle) delete slot[globalKey];
    return true;
  };
  /** Leases whose session let go of them without releasing them (it ended) no longer count. */
  const pruneLeases = () => {
    for (const [id, lease] of leases) if (lease.token.deref() === undefined) leases.delete(id);
    stopUnreadTimeline();
  };
  const stopUnreadTimeline = () => {
    if (agent?.timeline.running && ![...leases.values()].some((lease) => lease.timelineCursor !== undefined)) agent.timeline.stop();
  };
  const collected = new FinalizationRegistry<number>((id) => {
    if (leases.delete(id) && leases.size === 0) remove();
    else stopUnreadTimeline();
  });
  const handle: AgentHandle = {
    version,
    install(config, timerListMap, immediateQueue) {
      const reused = agent !== undefined;
      agent ??= createAgent(config, { timerListMap: timerListMap as TimerInternals['timerListMap'], immediateQueue: immediateQueue as TimerInternals['immediateQueue'] }, getBuiltin);
      pruneLeases();
      const lease = nextLease++;
      const token: InstallReply = { reused, version, installedAt: agent.installedAt, timerListsFound: agent.timerListsFound, lease, leases: leases.size + 1 };
      leases.set(lease, { token: new WeakRef(token), callbacks: undefined });
      collected.register(token, lease);
      return token;
    },
    async snapshot(lease) {
      if (!agent) throw new Error('leak-inspector agent is not installed');
      const { snapshot, callbacks } = await agent.snapshot();
      const held = lease === undefined ? undefined : leases.get(lease);
      if (held) held.callbacks = callbacks;
      return snapshot;
    },
    callbacksOf(lease) {
      return ((lease === undefined ? undefined : leases.get(lease)?.callbacks) ?? agent?.callbacks)?.values() ?? [];
    },
    timeline(lease) {
      const held = leases.get(lease);
      if (!agent || !held) throw new Error('leak-inspector agent is not installed for this session');
      const read = agent.readTimeline(held.timelineCursor, getBuiltin);
      held.timelineCursor = read.cursor;
      return read;
    },
    release(lease) {
      if (!agent) return false;
      leases.delete(lease);
      pruneLeases();
      return leases.size === 0 ? remove() : false;
    },
    uninstall: remove,
    get agent() {
      return agent;
    },
    get leases() {
      return leases.size;
    },
  };
  slot[globalKey] = handle;
}

