/**
 * An analysed async-resource snapshot: the agent's sites, mapped to original source, scored and
 * compared with earlier snapshots. Shared by the CLI's JSON output, the language server and the
 * webview, so everything here is plain JSON data.
 */
import type { ResourceType } from './agentSnapshot';
import type { CapabilityWarning, Suspect } from './report';

export type Severity = 'low' | 'medium' | 'high';

/** An original-source position, 1-based (as editors show it). */
export interface SourceLocation {
  path: string;
  line: number;
  column: number;
}

export interface StackFrame extends SourceLocation {
  functionName: string;
  /** False when the frame stays at its generated position; `reason` says why. */
  mapped: boolean;
  reason?: string;
}

/** Where `SiteReport.location` came from, so a reader knows how much to trust it. */
export type LocationKind = 'user-frame' | 'first-frame' | 'callback';

/** One term of a leak score: `points = round(weight * value)`, and the score is their sum. */
export interface ScoreFactor {
  name: string;
  /** The most points this factor can give. */
  weight: number;
  /** 0..1: how strongly the evidence points to a leak. */
  value: number;
  points: number;
  explanation: string;
}

export interface ContextKeySummary {
  distinct: number;
  /** The most frequent values and how many live resources carry each. */
  top: Array<{ value: string; count: number }>;
  /** Owner keys (players, rooms): how many of the distinct values have no open connection left. */
  gone?: number;
}

export interface SiteContext {
  /** Per context key (e.g. `playerId`, `roomId`). */
  keys: Record<string, ContextKeySummary>;
  /** Share of the resources with a known owner whose owner is gone; null when no owner is known. */
  goneShare: number | null;
}

export interface SiteGrowth {
  /** Count in the previous snapshot where this site was tracked; null on its first sighting. */
  previous: number | null;
  delta: number | null;
  /** Counts in recent snapshots, oldest → newest, ending with this one. */
  trend: number[];
}

/**
 * What the engine saw in the closures of a sample of a site's callbacks (timers with no known
 * owner, e.g. created before the attach): connections they hold, and whether those are closed.
 */
export interface ClosureEvidence {
  /** Distinct callbacks whose closures were inspected. */
  sampled: number;
  /** How many of those hold a closed (or closing) connection, and how many an open one. */
  closed: number;
  open: number;
  /** The connection class most often found, e.g. `WebSocket`, `net.Socket`, `socket.io Socket`. */
  kind?: string;
  /** Where in the closure, e.g. `ws`, `session.socket`, `this.socket` (a bound `this`). */
  path?: string;
}

export interface SiteReport {
  /** The agent's id: stable while the same agent stays installed. */
  id: string;
  /** Stable across re-attaches (type plus original-source creation stack): diffs and history match sites by it. */
  key: string;
  type: ResourceType;
  count: number;
  /** Live resources that carry a captured stack (`count` is an estimate when this is lower). */
  sampledCount: number;
  /** 0–100. */
  score: number;
  severity: Severity;
  factors: ScoreFactor[];
  oldestAgeMs: number;
  medianAgeMs: number;
  newestAgeMs: number;
  /** The creation site: the top frame in the program's own code; null when nothing is known. */
  location: SourceLocation | null;
  locationKind: LocationKind | null;
  /** Creation stack, innermost first; empty for resources created before the attach. */
  stack: StackFrame[];
  callbackHint?: string;
  context: SiteContext;
  ownerGoneCount: number;
  ownerKnownCount: number;
  growth: SiteGrowth;
  /** Created before the agent was attached: ages are lower bounds, the location is the callback's. */
  preexisting: boolean;
  /** Intervals: repeat period. Timeouts: delay. */
  delayMs?: number;
  /** From the agent's window of recent creations at this site. */
  recentCreated: number;
  recentEnded: number;
  meanEndedLifetimeMs?: number;
  /** Closures of sampled callbacks, when the engine inspected them (see `ClosureEvidence`). */
  closures?: ClosureEvidence;
}

export interface AsyncSnapshotReport {
  target: { pid: number; threadId: number; label: string };
  agentVersion: string;
  takenAt: number;
  processUptimeMs: number;
  /** The longest the agent held the target's event loop at once, in ms (it works in slices). */
  pauseMs: number;
  /** The agent's time on this snapshot in all, in ms, over `slices` slices; absent from older agents. */
  workMs?: number;
  slices?: number;
  liveResources: number;
  totalsByType: Partial<Record<ResourceType, number>>;
  /**
   * Creation stacks: sampled 1 in `currentInterval`, `taken` captured and `dropped` not taken since the attach; `reads` says how the
   * taken ones read back (already text and parsed, empty, or failing), absent from older agents.
   */
  stackSampling: { budgetPerSecond: number; currentInterval: number; dropped: number; taken?: number; reads?: { fromText: number; empty: number; failed: number } };
  /** By score, highest first, then by count. */
  sites: SiteReport[];
  summary: Record<Severity, number>;
  /**
   * Listener census of this thread as `listener` suspects, highest score first (agents from 1.3
   * on; absent otherwise). Not counted in `summary`, which covers `sites`.
   */
  listenerSuspects?: Suspect[];
  /** `process.version` of the target, when the agent reported it. */
  nodeVersion?: string;
  /** Open connections accepted by the target's servers, when the agent reported them. */
  openConnections?: number;
  /** The engine's look into callbacks' closures for this snapshot: how many, and its wall time. */
  closureScan?: { sites: number; functions: number; ms: number };
  /** Features that could not work on this thread (from the agent), said out loud. */
  warnings?: CapabilityWarning[];
}

export interface SiteDelta {
  key: string;
  id: string;
  type: ResourceType;
  location: SourceLocation | null;
  before: number;
  after: number;
  delta: number;
  /** `new`: only in the current snapshot; `gone`: only in the previous one. */
  status: 'new' | 'gone' | 'kept';
}

export interface SnapshotDiff {
  elapsedMs: number;
  liveResourcesDelta: number;
  /** Largest growth first. */
  sites: SiteDelta[];
  newSites: number;
  goneSites: number;
}
