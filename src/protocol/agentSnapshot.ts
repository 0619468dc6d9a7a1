/**
 * What the injected agent reports (as JSON over `Runtime.evaluate`/`callFunctionOn`). The agent
 * aggregates in the target, so a snapshot's size depends on the number of creation sites, not
 * on the number of live resources.
 */
import type { CapabilityWarning } from './report';

export const AGENT_PROTOCOL_VERSION = 1;

/** Settings of the agent, chosen by the engine at injection. */
export interface AgentConfig {
  /** AsyncLocalStorage store fields reported per resource, e.g. playerId, roomId, protocol. */
  contextKeys: string[];
  /** The subset of `contextKeys` that identifies an owner (a player, a room). */
  ownerKeys: string[];
  /** Creation stacks captured per second at most for timers, sockets and servers. */
  stackBudgetPerSecond: number;
  /** Creation stacks captured per second at most for promises; 0 turns promise tracking off. */
  promiseBudgetPerSecond: number;
  /**
   * Share of the time promise hooks are on (0..1). Any promise hook slows every promise and
   * await, so by default they run in short windows; 1 tracks all the time.
   */
  promiseDutyCycle: number;
  /** Frames kept per stack. */
  maxFrames: number;
  /** Listener registration stacks captured per second at most; absent: as `stackBudgetPerSecond`. */
  listenerBudgetPerSecond?: number;
}

/** Kinds of async resource the agent tracks; `Timeout` and `Interval` are told apart. */
export type ResourceType =
  | 'Timeout'
  | 'Interval'
  | 'Immediate'
  | 'Promise'
  | 'TCPSocket'
  | 'TCPServer'
  | 'PipeSocket'
  | 'PipeServer'
  | 'UDPSocket'
  | 'ChildProcess'
  | 'Worker'
  | 'Other';

/** A frame as V8 reports it in the target: a script URL or path, 1-based line and column. */
export interface RawFrame {
  functionName: string;
  url: string;
  line: number;
  column: number;
}

/**
 * One creation site in the target: live resources of one type created by the same stack (or,
 * for resources created before the agent was attached, with the same callback).
 */
export interface AgentSite {
  /** Stable within one agent installation: the same site keeps its id across snapshots. */
  id: string;
  type: ResourceType;
  /** Creation stack, innermost first; empty when only the callback location is known. */
  frames: RawFrame[];
  /**
   * For resources without a creation stack (created before the attach, or not sampled): index
   * of a representative callback in the agent's `callbacks` of this snapshot, which the engine
   * locates with `[[FunctionLocation]]` over CDP.
   */
  callbackIndex?: number;
  /** Callback name or source excerpt, for display when nothing better is known. */
  callbackHint?: string;
  /**
   * Timer sites with no known owner: indexes in `callbacks` of a few of the site's callbacks
   * (a random sample, distinct functions), whose closures the engine may inspect for a closed
   * connection (`[[Scopes]]` over CDP).
   */
  callbackSamples?: number[];
  /** Live resources now (an estimate when stacks are sampled: see `sampledCount`). */
  count: number;
  /** Live resources of this site that carry a captured stack. */
  sampledCount: number;
  /** Creation times (epoch ms) of the oldest and newest live resource, and the median. */
  oldestCreatedAt: number;
  medianCreatedAt: number;
  newestCreatedAt: number;
  /**
   * From the agent's ring buffer of recent sampled creations (bounded, so a window, not all
   * time): how many were created at this site, how many of those ended (fired, cleared,
   * settled, closed), and their mean lifetime in ms (undefined if none ended).
   */
  recentCreated: number;
  recentEnded: number;
  meanEndedLifetimeMs?: number;
  /** True when the resource existed before the attach (no creation stack). */
  preexisting: boolean;
  /** Intervals: repeat period. Timeouts: delay. */
  delayMs?: number;
  /**
   * Context at creation (from AsyncLocalStorage): per key, how many live resources carry each
   * value (the most frequent values only), the number of distinct values and, for owner keys,
   * how many of those values (players, rooms) have no open connection left.
   */
  context: Record<string, { distinct: number; top: Array<[string, number]>; gone?: number }>;
  /**
   * Live resources whose owner is gone: created while handling a connection that has since
   * closed, or tagged with context values (players, rooms) bound to no open connection.
   */
  ownerGoneCount: number;
  /** Live resources whose owner is known at all (the denominator for `ownerGoneCount`). */
  ownerKnownCount: number;
  /**
   * Sockets whose owner left but that were written to since: shared (a pool, a client), counted
   * in `ownerKnownCount` and not in `ownerGoneCount`. Absent when none.
   */
  ownerSharedCount?: number;
}

export interface AgentSnapshot {
  agentVersion: string;
  pid: number;
  /** 0 for the main thread. */
  threadId: number;
  takenAt: number;
  processUptimeMs: number;
  /**
   * The longest the snapshot held the target's event loop at once, in ms: the agent works in
   * slices (a few ms each) and gives the loop back in between.
   */
  pauseMs: number;
  /** The target's time spent on the snapshot in all, in ms, over `slices` slices; absent from older agents. */
  workMs?: number;
  slices?: number;
  liveResources: number;
  /** Live resources by type, exact (not sampled). */
  totalsByType: Partial<Record<ResourceType, number>>;
  /** Open connections accepted by the process's servers (players, clients); absent from older agents. */
  openConnections?: number;
  sites: AgentSite[];
  /** How stacks were sampled: 1 means every resource has one. */
  /**
   * Creation stacks: sampled 1 in `currentInterval`, `taken` captured and `dropped` not taken since the attach; `reads` says how the
   * taken ones read back (already text and parsed, empty, or failing), absent from older agents.
   */
  stackSampling: { budgetPerSecond: number; currentInterval: number; dropped: number; taken?: number; reads?: { fromText: number; empty: number; failed: number } };
  /** The listener census (agents from 1.3 on): listeners on known emitters, grouped. */
  listeners?: AgentListenerGroup[];
  /** How the census knows its emitters (see `AgentListenerCensus`). */
  listenerCensus?: AgentListenerCensus;
  /** `process.version` of the target (agents from 1.2.1 on). */
  nodeVersion?: string;
  /** Features that could not work on this target (say so rather than show empty data). */
  warnings?: CapabilityWarning[];
}

/**
 * Live listeners of one kind: on emitters of one label, for one event, registered by the same
 * stack (sampled registrations) or, without a stack, with the same listener code. Counts are
 * exact (read from the emitters' own listener lists); owner and ages come from the sampled
 * registrations only.
 */
export interface AgentListenerGroup {
  /** Stable within one agent installation. */
  id: string;
  /** `process`, `AbortSignal`, or the emitter's constructor name (`EventEmitter`, `Socket`…). */
  emitter: string;
  emitterKind: 'EventEmitter' | 'EventTarget';
  /** The event name (a symbol as `Symbol(name)`). */
  event: string;
  /** Registering stack (innermost first) of a sampled registration; empty when none was sampled. */
  frames: RawFrame[];
  /** Index, in the snapshot's objects (`callbacksOf`), of a representative listener function. */
  listenerIndex?: number;
  /** Index, in the snapshot's objects, of the emitter holding the most listeners of this group. */
  emitterIndex?: number;
  /**
   * Indexes, in the snapshot's objects, of a few listeners of the group picked at random (only
   * for groups with several on one emitter): the engine reads their closures for the connection
   * they hold (owner gone when it closed).
   */
  listenerSampleIndexes?: number[];
  /** Listener name or source excerpt. */
  listenerHint?: string;
  count: number;
  /** Listeners of the group whose registration was sampled (stack, time, owner). */
  sampledCount: number;
  /** Distinct emitters holding the group's listeners, and the most on one of them. */
  emitters: number;
  maxPerEmitter: number;
  /** Registration times (epoch ms) of the sampled listeners; undefined when none was sampled. */
  oldestRegisteredAt?: number;
  newestRegisteredAt?: number;
  /** When the agent first saw the emitter holding the most (the attach for emitters found by the scan). */
  emitterSeenAt: number;
  /** That emitter existed before the attach (found by the scan, or `process`). */
  emitterPreexisting: boolean;
  /** Sampled listeners whose registering connection closed or whose player/room has no open connection left. */
  ownerGoneCount: number;
  ownerKnownCount: number;
}

export interface AgentListenerCensus {
  /** Emitters the agent knows (got a listener since the attach, or adopted from a scan). */
  emitters: number;
  /** Epoch ms of the last scan for emitters that existed before the attach; undefined before any. */
  scannedAt?: number;
  /** Emitters not tracked because the agent's bound was reached. */
  dropped: number;
  /** How registration stacks were sampled (as `stackSampling`). */
  sampling: { budgetPerSecond: number; currentInterval: number; dropped: number; taken?: number };
}

/**
 * The agent's timeline (on while a session reads it): one `sample` per second, and events as
 * they happen. Times are epoch ms in the target's clock.
 */
export type TimelineEntry =
  | {
      kind: 'sample';
      at: number;
      /** Length of the window this sample covers. */
      durationMs: number;
      /** Event-loop delay over the window (ms); undefined if no timer could fire in it. */
      delayMs: { p50: number; p90: number; p99: number; max: number; mean: number } | undefined;
      /** Async resources Node created in the window (timers, sockets, requests; not promises). */
      created: number;
      heapUsed: number;
      heapTotal: number;
    }
  | { kind: 'gc'; at: number; durationMs: number; gc: string }
  /** The event loop did not get to the agent's housekeeping tick for this long. */
  | { kind: 'stall'; at: number; durationMs: number }
  /** A snapshot by the agent (ours or another session's): the pause it caused. */
  | { kind: 'snapshot'; at: number; durationMs: number; liveResources: number };

export interface TimelineRead {
  /** 0 for the main thread. */
  threadId: number;
  entries: TimelineEntry[];
  /** Pass back on the next read. */
  cursor: number;
  /** Entries overwritten in the ring before this reader got them. */
  dropped: number;
}
