import type { Suspect } from './report';

/**
 * Heap analysis results shared by the analyser, the command line, the language server and the
 * views. Plain data only (no Node imports): it crosses worker and process boundaries as JSON.
 */

/** One class in DevTools' Summary view. Sizes are in bytes. */
export interface HeapConstructorSummary {
  name: string;
  /** Objects of the class (with a non-zero self size). */
  count: number;
  /** Sum of the objects' own sizes (shallow size). */
  selfSize: number;
  /** Bytes freed if every object of the class were gone (nested objects counted once). */
  retainedSize: number;
}

export interface HeapSummary {
  nodeCount: number;
  edgeCount: number;
  /** Retained size of the root: every byte in the snapshot (plus extra native bytes reported by V8). */
  totalSize: number;
  /** Sorted by retained size, largest first. */
  constructors: HeapConstructorSummary[];
}

/** Where V8 says an object's constructor is defined: script id, 0-based line and column. */
export interface HeapScriptLocation {
  scriptId: number;
  line: number;
  column: number;
}

/** One class in DevTools' Comparison view: objects matched by heap object id. */
export interface HeapConstructorDiff {
  name: string;
  /** Objects in the second snapshot only. */
  newCount: number;
  /** Objects in the first snapshot only. */
  deletedCount: number;
  deltaCount: number;
  /** Self sizes of the new objects. */
  allocSize: number;
  /** Self sizes of the deleted objects. */
  freedSize: number;
  sizeDelta: number;
  /** The constructor's definition, for classes made by a script's constructor. */
  location?: HeapScriptLocation;
}

export interface HeapDiff {
  before: { nodeCount: number; totalSize: number };
  after: { nodeCount: number; totalSize: number };
  /** Classes with new or deleted objects, largest size growth first. */
  constructors: HeapConstructorDiff[];
}

/** A heap object, as shown in a retainer path. */
export interface HeapObjectRef {
  /** V8's heap object id (`@123` in DevTools); stable across snapshots of one process. */
  id: number;
  /** Class name, as in the Summary. */
  className: string;
  /** The node's own name: a function's name, a string's text (shortened), a context's kind. */
  name: string;
  selfSize: number;
  retainedSize: number;
  /**
   * For a function, where it is defined; for an object made by a constructor, where the
   * constructor is. 0-based; the script id is the target's (`Debugger.scriptParsed`).
   */
  location?: HeapScriptLocation;
}

export type HeapEdgeType = 'context' | 'element' | 'property' | 'internal' | 'hidden' | 'shortcut' | 'weak';

/** One hop of a retainer path: `from` holds the next object through this edge. */
export interface RetainerStep {
  from: HeapObjectRef;
  edgeType: HeapEdgeType;
  /** Property or variable name, or the element index. */
  edgeName: string;
  /** The edge as a user reads it: `.battles`, `[42]`, `->battles` (closure variable), `{table}` (internal). */
  edgeLabel: string;
}

/** The shortest chain of references from the GC roots to `target`. */
export interface RetainerPath {
  target: HeapObjectRef;
  /** From the GC roots side to the object holding the target. Empty if nothing retains it. */
  steps: RetainerStep[];
  /** One line: `(GC roots) → … → system / Context ->battles → Map {table} → … → Battle`. */
  text: string;
}

export interface HeapRetainers {
  className: string;
  /** Objects of the class in the snapshot. */
  count: number;
  /** For the objects retaining the most, largest first. */
  paths: RetainerPath[];
}

/** Work for the heap analyser, in-process or in a worker thread. Files are `.heapsnapshot` paths. */
export type HeapAnalysisRequest =
  | { kind: 'summary'; file: string }
  | { kind: 'diff'; before: string; after: string }
  | { kind: 'retainers'; file: string; className: string; limit: number }
  | { kind: 'path'; file: string; id: number }
  | { kind: 'holders'; before: string; after: string; minAdded?: number }
  | { kind: 'promises'; file: string; probe?: PendingPromiseProbe };

export type HeapAnalysisResult<R extends HeapAnalysisRequest> = R extends { kind: 'promises' }
  ? PromiseHeapAnalysis
  : R extends { kind: 'holders' }
  ? HolderGrowth
  : R extends { kind: 'summary' }
  ? HeapSummary
  : R extends { kind: 'diff' }
    ? HeapDiff
    : R extends { kind: 'retainers' }
      ? HeapRetainers
      : RetainerPath;

/**
 * A class of the program's own code whose objects piled up between two heap snapshots: a heap
 * leak with no async resource to show for it (a finished battle kept in a module-level Map).
 */
export interface HeapGrowthSite {
  className: string;
  newCount: number;
  deletedCount: number;
  deltaCount: number;
  sizeDelta: number;
  /** The constructor's definition in the original source (1-based), when a script defines it. */
  location: { path: string; line: number; column: number } | null;
  /** What holds the objects that retain the most, from the GC roots. */
  retainerPath: RetainerPath | null;
  score: number;
  severity: 'low' | 'medium' | 'high';
  factors: Array<{ name: string; weight: number; value: number; points: number; explanation: string }>;
}

export interface HeapGrowthReport {
  /** Snapshot files, kept for `heap diff` / `heap retainers` when asked to. */
  before: string;
  after: string;
  heapGrowthBytes: number;
  /** Highest score first. */
  sites: HeapGrowthSite[];
  /** Growth by holder (containers, listeners, promise reactions) as ranked suspects, highest score first. */
  suspects?: Suspect[];
}

/**
 * One hop from a grown container (or an emitter, or a promise) up toward the GC roots: `from`
 * holds the next object down through `edgeLabel`. Internal hops (hash tables, property and
 * element stores) are skipped, so the hops read as a user would write the access.
 */
export interface HolderHop {
  from: HeapObjectRef;
  edgeType: HeapEdgeType;
  edgeName: string;
  /** `->rooms` (a closure or module variable), `.subscriptions`, `["room-1"]` (a Map value), `[3]`. */
  edgeLabel: string;
  /** For a `->variable`: a function that closes over that scope; its script and line locate the declaration. */
  scopeFunction?: HeapObjectRef;
  /** True for the property of the global object (`globalThis.x`, `process`). */
  global?: boolean;
  /** True when this hop is the agent's own global (`Symbol.for('leak-inspector.agent')`): never the user's. */
  agent?: boolean;
}

/** One frame of an allocation stack V8 recorded. */
export interface HeapAllocationFrame {
  /** The function's name, `(anonymous)` when it has none. */
  functionName: string;
  /** The script's URL or path as V8 names it (`file:///app/dist/rooms.js`, `/app/rooms.js`). */
  scriptName: string;
  /**
   * Where the function is defined, 0-based (V8's allocation tracker records the function of
   * each frame, not the line in it that allocated).
   */
  location: HeapScriptLocation;
}

/**
 * Where new objects were allocated, from V8's allocation stacks (`check --heap --alloc-stacks`:
 * allocation tracking ran between the snapshots): the innermost frame of the program's own code
 * (Node's internals, V8's builtins and the agent's script skipped) and the frames calling it.
 */
export interface HeapAllocationSite extends HeapAllocationFrame {
  /** Its callers, outward, only the program's frames (a few): the engine looks through them for the first one outside libraries. */
  callers: HeapAllocationFrame[];
  /** New objects allocated by this stack. */
  count: number;
}

/** What a group of entries is: a class (`{id, socket, joinedAt}`, `Socket`) or closures of one function. */
export interface HeapEntryKind {
  className: string;
  /** Entries of this kind that are new in the second snapshot. */
  count: number;
  /** A closure's function (`functionName`), or the constructor of an object made by one. */
  location?: HeapScriptLocation;
  functionName?: string;
  /** Retained bytes of these new entries. */
  bytes: number;
  /**
   * With allocation stacks only: where these new entries were allocated, most first (a few).
   * Entries whose stack V8 lost (see `HolderGrowth.allocationStacks`) or ran only in Node's
   * internals are in no site, so the counts may add up to less than `count`.
   */
  allocatedBy?: HeapAllocationSite[];
}

/** A Map, Set, array or dictionary object that holds more entries in the second snapshot. */
export interface GrownContainer {
  kind: 'Map' | 'Set' | 'Array' | 'Object';
  /** The container in the second snapshot (its heap id is the same in both). */
  container: HeapObjectRef;
  beforeCount: number;
  afterCount: number;
  /** Entries whose objects are new in the second snapshot (entries added, even if others left). */
  newEntries: number;
  /** Retained bytes of the new entries (what freeing them would give back). */
  addedBytes: number;
  /** Kinds of the new entries, most first (a few). */
  entryKinds: HeapEntryKind[];
  /** From the container toward the roots, bounded; `holder[0].from` holds the container. */
  holder: HolderHop[];
  /** New entries that keep a closed connection (a net.Socket without its handle, `destroyed: true`, an engine.io socket `closed`). */
  ownerGone: number;
}

/** Listeners of one function on one event of one emitter. */
export interface ListenerGroup {
  emitter: HeapObjectRef;
  emitterKind: 'EventEmitter' | 'EventTarget' | 'AbortSignal';
  event: string;
  /** The listener function (for `once`, the wrapped one). */
  listener: { name: string; location?: HeapScriptLocation };
  beforeCount: number;
  afterCount: number;
  /** Listeners whose function objects are new in the second snapshot. */
  newListeners: number;
  /** Retained bytes of all listeners of the group, and of the new ones. */
  retainedBytes: number;
  addedBytes: number;
  /** From the emitter toward the roots. */
  holder: HolderHop[];
  ownerGone: number;
  /** With allocation stacks only: where the new listeners were registered (the stack that made the function, or Node's record of it), most first (as `HeapEntryKind.allocatedBy`). */
  allocatedBy?: HeapAllocationSite[];
}

/** A promise pending in both snapshots whose reaction list grew. */
export interface GrownReactions {
  promise: HeapObjectRef;
  beforeCount: number;
  afterCount: number;
  newReactions: number;
  /** Retained bytes of the new reactions (their handlers and derived promises). */
  addedBytes: number;
  /**
   * The handlers of the new reactions, by function (an `await`'s by its async function); their
   * `allocatedBy` is where the reactions were added (the stack that called `then` or awaited).
   */
  handlers: HeapEntryKind[];
  holder: HolderHop[];
}

/** Growth by holder between two heap snapshots of one process (the `holders` analysis). */
export interface HolderGrowth {
  containers: GrownContainer[];
  /** The listener census: groups that grew or hold many listeners. */
  listeners: ListenerGroup[];
  reactions: GrownReactions[];
  /**
   * True when the second snapshot carried V8's allocation stacks (`allocatedBy` filled in). V8
   * loses the stack of an object the GC moves after V8 has given it a heap id (its heap-stats
   * timer does that every 50 ms or more while tracking), so some new objects have none.
   */
  allocationStacks?: boolean;
}

/**
 * Pending promises the target named just before a heap snapshot (a heap snapshot does not show
 * a promise's state: one with no reactions looks the same pending or fulfilled with `undefined`).
 * The target held them in the array `pending` of an object of class `className` during the
 * snapshot; the analysis drops those references again. `settledIndexes`: entries that had
 * settled by the time the snapshot was over (so the others were pending throughout).
 */
export interface PendingPromiseProbe {
  className: string;
  settledIndexes: number[];
}

/**
 * What a pending promise is grouped by. V8 records no creation site for a promise, so the
 * snapshot's best evidence is used, in this order: the async function whose own promise it is
 * (`async-function`: calling it created the promise), the suspended async function awaiting it
 * (`awaiter`), a `then`/`catch` handler waiting on it (`handler`), else what holds it (`holder`).
 */
export type PromiseSiteKind = 'async-function' | 'awaiter' | 'handler' | 'holder';

export interface PromiseSite {
  kind: PromiseSiteKind;
  /** The function's name (`anonymous` when it has none); empty for `holder`. */
  functionName: string;
  /** The function's definition in the script (0-based), when the site is a function. */
  scriptLocation?: HeapScriptLocation;
  /** The original source (1-based), filled in by the engine from `scriptLocation`. */
  location?: { path: string; line: number; column: number } | null;
  /** For `holder`: what holds the promises, as a user reads it (`->pendingChecks → Set`). */
  holder?: string;
}

export interface PendingPromiseSiteCount extends PromiseSite {
  count: number;
}

/**
 * Every pending promise in a heap snapshot: exact, including those created before any tool was
 * attached (the snapshot holds every live object). Not known: a promise's creation stack and
 * age (V8 keeps neither), and the `await` line a suspended function is at.
 */
export interface PendingPromiseCensus {
  /** Pending promises: those with reactions, plus those the probe named. */
  total: number;
  /** Pending with at least one reaction (a `then` or an `await` on them): pending by the snapshot alone. */
  withReactions: number;
  /** Whether a probe told the state of the promises without reactions. */
  probed: boolean;
  /**
   * `Promise` objects without reactions not counted as pending: settled with a primitive (or
   * pending: nothing told, without a probe; created between the probe and the snapshot, rarely).
   * Never reported stuck.
   */
  unknownState: number;
  /** Largest count first. */
  sites: PendingPromiseSiteCount[];
  /** Suspended async functions waiting on a pending promise, by function; largest count first. */
  awaitingFunctions: Array<{ functionName: string; scriptLocation?: HeapScriptLocation; location?: { path: string; line: number; column: number } | null; count: number }>;
}

/**
 * Promises of one site that are pending only because they (transitively) await, or were derived
 * from, the promises of a group: the outer links of the same chain (the async function suspended
 * at the `await`, the promise a `then` derived), reported with it instead of as leaks of their own.
 */
export interface PromiseConsequence {
  site: PromiseSite;
  count: number;
  /** Their bytes not already counted with another promise of the group. */
  retainedSize: number;
}

/**
 * One leak of promises that nothing able to run can ever settle: the root promises of one site
 * (the innermost link of each await/then chain: the promise that is pending for want of a
 * settler, not because it waits on another stuck one) and, as `consequences`, the stuck promises
 * pending only because of them. In a cycle (promises awaiting each other, none stuck on its own)
 * the member whose site comes first in the source is the root and the others its consequences.
 */
export interface StuckPromiseGroup {
  site: PromiseSite;
  /** The root promises of this site (consequences are counted in `consequences`). */
  count: number;
  /** Stuck promises pending only because of these roots, by site, most first. */
  consequences?: PromiseConsequence[];
  /** Bytes freed if these promises, their consequences (and the suspended functions and handlers only they hold) were gone. */
  retainedSize: number;
  /** What holds them, as a user reads it (`->rooms → Set → Object.ready`). */
  holder: string;
  /** From the GC roots to the promise of the group retaining the most. */
  retainerPath: RetainerPath | null;
  /** Why they can never settle, in terms a user can check. */
  explanation: string;
  /** Heap object ids of a few of them (for `heap retainers --id`). */
  sampleIds: number[];
}

/**
 * Pending promises of one site that could still settle (a resolver is reachable from live code,
 * say a `Map` of pending replies) but whose owner is gone: the suspended async function awaiting
 * them (or whose own promise they are) holds a connection that has closed. Not provable, unlike
 * `StuckPromiseGroup`: a closed connection's resolver may still be called by a timeout or a sweep.
 * Chains collapse as for stuck promises (`consequences`).
 */
export interface OrphanedPromiseGroup {
  site: PromiseSite;
  /** Root promises of this site whose owner is gone. */
  count: number;
  /** Pending promises of this site in all (owners gone or not). */
  siteCount: number;
  consequences?: PromiseConsequence[];
  retainedSize: number;
  /** What holds them, as a user reads it. */
  holder: string;
  retainerPath: RetainerPath | null;
  /** The owner evidence: `the awaiting function holds a closed WebSocket`. */
  ownerEvidence: string;
  explanation: string;
  sampleIds: number[];
}

export interface PromiseHeapAnalysis {
  census: PendingPromiseCensus;
  /** Pending promises proven unable to settle, all groups together: roots and consequences. */
  stuckCount: number;
  /** Of `stuckCount`, the roots (one leak each chain: the innermost stuck promise of it). */
  rootCount?: number;
  /**
   * Promises that cannot settle either but are held only from Node's own built-in modules (a
   * sentinel such as Node 26's webstreams `kPendingPromise`): not the program's, not in `stuck`.
   */
  nodeOwnStuckCount?: number;
  /** Most root promises first. */
  stuck: StuckPromiseGroup[];
  /** Pending, not provably stuck, owner gone (see `OrphanedPromiseGroup`); most first. */
  orphaned?: OrphanedPromiseGroup[];
  /** Parse time and analysis time after it (ms). */
  timings: { parseMs: number; analysisMs: number };
}
