/**
 * What the injected agent reports (as JSON over `Runtime.evaluate`/`callFunctionOn`). The agent
 * aggregates in the target, so a snapshot's size depends on the number of creation sites, not
 * on the number of live resources.
 */

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
}

export interface AgentSnapshot {
  agentVersion: string;
  pid: number;
  /** 0 for the main thread. */
  threadId: number;
  takenAt: number;
  processUptimeMs: number;
  /** Time the target spent inside the snapshot call. */
  pauseMs: number;
  liveResources: number;
  /** Live resources by type, exact (not sampled). */
  totalsByType: Partial<Record<ResourceType, number>>;
  sites: AgentSite[];
  /** How stacks were sampled: 1 means every resource has one. */
  stackSampling: { budgetPerSecond: number; currentInterval: number; dropped: number };
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
