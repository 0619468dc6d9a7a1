/**
 * The language server's custom LSP methods and their payloads, shared by the server
 * (src/server), the VS Code client (src/extension) and any other LSP client. Plain JSON data:
 * no editor API here.
 *
 * Standard LSP carries what every editor understands: diagnostics at leak sites, hovers with
 * the creation stacks, code lenses. Everything else (targets, full reports, heap work, flame
 * graphs) travels through the `leakInspector/…` methods below.
 */
import { NotificationType, RequestType, RequestType0, type WorkDoneProgressParams } from 'vscode-languageserver-protocol';
import type { AsyncSnapshotReport } from './asyncSnapshot';
import type { FlameGraphData, FlameMode } from './flameGraph';
import type { HeapDiff, HeapRetainers, HeapSummary } from './heap';
import type { CapabilityWarning, InspectionReport, Suspect as ReportSuspect } from './report';

/** URI scheme of sources that exist only inside a source map's `sourcesContent` (read-only). */
export const SOURCE_SCHEME = 'leak-inspector-source';

/**
 * The server's settings. Sent as `initializationOptions.settings` and again, whole, in every
 * `workspace/didChangeConfiguration` (`{ settings }`). Missing fields keep their defaults.
 */
export interface ServerSettings {
  /** Seconds between automatic snapshots. */
  refreshIntervalSeconds: number;
  /** Snapshot every attached target every `refreshIntervalSeconds`. */
  autoRefresh: boolean;
  /** Creation stacks captured per second at most (timers, sockets, servers). */
  stackBudgetPerSecond: number;
  /** `sampled`: promise hooks in short windows (default); `always`: all the time; `off`: no promises. */
  promiseTracking: 'sampled' | 'always' | 'off';
  /** Sites scoring at least this get a diagnostic and a code lens. */
  diagnosticMinScore: number;
  /** Non-loopback hosts that may be attached to (each attach still asks the user). */
  allowedRemoteHosts: string[];
  /** Remote path prefix → local folder, for servers built elsewhere (containers). */
  sourcePathMapping: Record<string, string>;
  /** AsyncLocalStorage store fields reported per resource. */
  contextKeys: string[];
  /** The context keys that identify an owner (a player, a room). */
  ownerKeys: string[];
  /** Folder for heap snapshots and allocation profiles; default: a folder in the OS temp dir. */
  heapDirectory?: string;
}

// ─── State ────────────────────────────────────────────────────────────────────────────────

/** `report`: a saved report opened with `leakInspector/openReport` (read-only, no process). */
export type TargetStatus = 'attached' | 'snapshotting' | 'disconnected' | 'report';

export interface ThreadState {
  /** 0 for the main thread. */
  threadId: number;
  label: string;
  /** The latest analysed snapshot; null before the first. */
  report: AsyncSnapshotReport | null;
}

export interface HeapUsageReading {
  usedSize: number;
  totalSize: number;
  takenAt: number;
}

export interface HeapFile {
  kind: 'heapsnapshot' | 'heapprofile';
  file: string;
  bytes: number;
  takenAt: number;
}

export interface TargetState {
  /** Server-chosen id, used by every request about this target. */
  id: string;
  /** What was attached to: `host:port`, a ws:// URL or `pid:N`. */
  target: string;
  label: string;
  /** The process id once a snapshot has reported it. */
  pid?: number;
  status: TargetStatus;
  /** Why the target is disconnected, or the last snapshot failed. */
  error?: string;
  attachedAt: number;
  lastSnapshotAt?: number;
  /** Main thread first, then workers. */
  threads: ThreadState[];
  /** Live async resources over all threads, in recent snapshots (oldest → newest). */
  liveTrend: number[];
  /** Main thread's heap, read at each snapshot. */
  heapUsage?: HeapUsageReading;
  /** Heap snapshots and allocation profiles taken of this target, newest last. */
  heapFiles: HeapFile[];
  /** Features that could not work on this target (from its latest snapshot or the saved report). */
  warnings?: CapabilityWarning[];
  /** For a saved report (`status: 'report'`): who wrote it, when, and from which file. */
  savedReport?: { producer: string; createdAt: number; file?: string };
}

/**
 * A suspect of any kind (async site, listener, holder, promise reactions, stuck promise, heap
 * class) worth looking at, ranked over every target and thread: the report's own entry, with
 * where it was found.
 */
export interface Suspect {
  /** The target (live process or saved report) whose report holds it. */
  targetId: string;
  /** The thread it was seen in: 0 for the main thread (`suspect.thread` names it as the report does). */
  threadId: number;
  /** The thread as the Targets view names it: `main`, `worker 1 (jobs.js)`. */
  threadLabel: string;
  /** The report's suspect (`src/protocol/report.ts`): kind, title, location, holder, score, factors, paths, details. */
  suspect: ReportSuspect;
}

/** `leakInspector/state`: sent after every change (attach, snapshot, detach, disconnect). */
export interface LeakInspectorState {
  targets: TargetState[];
  /** Suspects of every kind scoring at least `diagnosticMinScore`, over every target, highest first. */
  suspects: Suspect[];
  autoRefresh: { enabled: boolean; intervalSeconds: number };
  /** Original source path → the URI diagnostics use for it (a file, or a `SOURCE_SCHEME` document). */
  sourceUris: Record<string, string>;
}

export const StateNotification = new NotificationType<LeakInspectorState>('leakInspector/state');

// ─── Requests ─────────────────────────────────────────────────────────────────────────────

export interface AttachParams {
  /** `host:port`, `ws://…`, `PORT` or `pid:N`. */
  target: string;
  /**
   * Non-loopback hosts the user has just confirmed for this attach. A remote host must be in
   * `allowedRemoteHosts` *and* confirmed here; otherwise the request fails with
   * `REMOTE_HOST_NEEDS_CONSENT` (allowed, not confirmed) or `REMOTE_HOST_REFUSED`.
   */
  consentedRemoteHosts?: string[];
}

/** `data` of a failed request's ResponseError. */
export interface LeakInspectorErrorData {
  /** An engine `AttachErrorCode`, or one of the server's own codes. */
  code: string;
  /** For `REMOTE_HOST_NEEDS_CONSENT`: the host to ask about. */
  host?: string;
}

/** Error codes of ResponseErrors (JSON-RPC server-defined range). */
export const ErrorCodes = {
  /** Attaching failed; `data.code` says why. */
  AttachFailed: -32001,
  /** No target with that id, or nothing attached. */
  UnknownTarget: -32002,
  /** The operation failed on the target (snapshot, heap snapshot). */
  OperationFailed: -32004,
} as const;

export const AttachRequest = new RequestType<AttachParams, TargetState, LeakInspectorErrorData>('leakInspector/attach');

/** No `targetId`: detach from everything. */
export interface TargetParams {
  targetId?: string;
}

export const DetachRequest = new RequestType<TargetParams, void, LeakInspectorErrorData>('leakInspector/detach');

/** Snapshots one target (or all) now; answers with the new state (also sent as a notification). */
export const SnapshotRequest = new RequestType<TargetParams, LeakInspectorState, LeakInspectorErrorData>('leakInspector/snapshot');

/** Turns automatic snapshots on or off for this session (the setting gives the initial value). */
export interface AutoRefreshParams {
  enabled: boolean;
}

export const AutoRefreshRequest = new RequestType<AutoRefreshParams, LeakInspectorState['autoRefresh'], void>('leakInspector/autoRefresh');

export interface NodeProcessInfo {
  pid: number;
  commandLine: string;
  /** Where its inspector listens; absent when the inspector is off (attaching switches it on). */
  inspectorPort?: number;
}

export const ListProcessesRequest = new RequestType0<NodeProcessInfo[], void>('leakInspector/listProcesses');

/** The text of a `SOURCE_SCHEME` document, from the source maps of the attached targets. */
export interface SourceContentParams {
  uri: string;
}

export const SourceContentRequest = new RequestType<SourceContentParams, string, LeakInspectorErrorData>('leakInspector/sourceContent');

/** The report document (`src/protocol/report.ts`, as the CLI's `--json`) of one target, or of each. */
export const ExportSnapshotRequest = new RequestType<TargetParams, InspectionReport[], LeakInspectorErrorData>('leakInspector/exportSnapshot');

/**
 * Opens a saved report (a file the server can read, or its text) as a read-only target: its
 * sites get diagnostics, hovers and code lenses, and it is listed in the state like an attached
 * process (`status: 'report'`), until detached. No process is needed. A file that is not a
 * report, or of a newer schemaVersion, fails with `data.code` `BAD_REPORT` and says why.
 */
export interface OpenReportParams {
  file?: string;
  text?: string;
}

export const OpenReportRequest = new RequestType<OpenReportParams, TargetState, LeakInspectorErrorData>('leakInspector/openReport');

// ─── Heap ─────────────────────────────────────────────────────────────────────────────────

export interface HeapTargetParams {
  targetId: string;
}

export interface HeapSnapshotEstimate {
  usedSize: number;
  /** Rough time the target will be paused, in ms. */
  estimatedPauseMs: number;
}

export const HeapSnapshotEstimateRequest = new RequestType<HeapTargetParams, HeapSnapshotEstimate, LeakInspectorErrorData>(
  'leakInspector/heapSnapshotEstimate',
);

/**
 * Takes a heap snapshot of the target's main thread into the heap directory. Progress comes as
 * LSP work-done progress when the params carry a `workDoneToken`; cancelling the request deletes
 * the partial file (the target still finishes its pause).
 */
export interface HeapSnapshotParams extends HeapTargetParams, WorkDoneProgressParams {}

export const HeapSnapshotRequest = new RequestType<HeapSnapshotParams, HeapFile, LeakInspectorErrorData>('leakInspector/heapSnapshot');

export interface SampleAllocationsParams extends HeapTargetParams, WorkDoneProgressParams {
  durationMs: number;
  /** Mean bytes between samples (default 32768). */
  samplingInterval?: number;
}

export interface AllocationSiteInfo {
  functionName: string;
  /** Original source when a source map knows it, else the script. */
  path: string;
  /** 1-based. */
  line: number;
  column: number;
  /** Live bytes sampled in this function itself. */
  bytes: number;
  /** False when `path` is the generated script (no source map) or empty (a native function). */
  mapped?: boolean;
}

export interface SampleAllocationsResult {
  file: HeapFile;
  topSites: AllocationSiteInfo[];
}

/** Samples allocations for `durationMs`. Cancelled early, the profile so far is still saved (see `heapFiles`). */
export const SampleAllocationsRequest = new RequestType<SampleAllocationsParams, SampleAllocationsResult, LeakInspectorErrorData>(
  'leakInspector/sampleAllocations',
);

/**
 * Heap analysis of `.heapsnapshot` files (from `TargetState.heapFiles`), run in a worker thread
 * so the server stays responsive; cancelling the request stops the worker.
 */
export interface HeapSummaryParams {
  file: string;
}

/** DevTools' Summary: classes by retained size. */
export const HeapSummaryRequest = new RequestType<HeapSummaryParams, HeapSummary, LeakInspectorErrorData>('leakInspector/heapSummary');

export interface HeapDiffParams {
  /** The earlier snapshot of the same process. */
  before: string;
  after: string;
}

/** DevTools' Comparison: objects new and deleted between two snapshots, by class. */
export const HeapDiffRequest = new RequestType<HeapDiffParams, HeapDiff, LeakInspectorErrorData>('leakInspector/heapDiff');

export interface HeapRetainersParams {
  file: string;
  className: string;
  /** Paths for the objects retaining the most (default 5). */
  limit?: number;
}

/** What keeps the objects of a class alive: the shortest paths from the GC roots. */
export const HeapRetainersRequest = new RequestType<HeapRetainersParams, HeapRetainers, LeakInspectorErrorData>('leakInspector/heapRetainers');

// ─── Deep scan ────────────────────────────────────────────────────────────────────────────

/**
 * What a deep scan will cost before it runs: it takes a heap snapshot of the main thread (the
 * target is paused meanwhile) after naming its pending promises with `queryObjects` (a GC).
 * Ask the user with these figures, then send `leakInspector/deepScan`.
 */
export const DeepScanEstimateRequest = new RequestType<HeapTargetParams, HeapSnapshotEstimate, LeakInspectorErrorData>('leakInspector/deepScanEstimate');

/**
 * The exact census of the target's pending promises (those created before the attach too) and
 * the ones no live code can ever settle, found in a heap snapshot. Progress comes as work-done
 * progress; cancelling stops the transfer and the analysis (the target still finishes its
 * pause). The stuck promises join the target's suspects (views, diagnostics) until the next
 * deep scan; the new state is also sent as a notification.
 */
export interface DeepScanParams extends HeapTargetParams, WorkDoneProgressParams {}

export interface DeepScanResult {
  /** Pending promises counted in the snapshot (exact). */
  pendingPromises: number;
  /** Of those, how many can never settle. */
  stuckPromises: number;
  /** The promise suspects found (`stuck-promise`, and `orphaned-promise` where the engine reports them), every one whatever its score, highest score first. */
  suspects: ReportSuspect[];
  /** How long the snapshot took (the target's pause and the transfer), in ms. */
  snapshotMs: number;
  /** The whole scan, analysis included, in ms. */
  durationMs: number;
  /** Notes on how exact the census is (e.g. a fallback for reading promise states). */
  notes: string[];
}

export const DeepScanRequest = new RequestType<DeepScanParams, DeepScanResult, LeakInspectorErrorData>('leakInspector/deepScan');

/**
 * Flame graph data for a target (default: the first): `async` from its latest snapshot, `diff`
 * from its last two, `allocations` from its latest allocation sampling.
 */
export interface FlameGraphParams {
  targetId?: string;
  mode: FlameMode;
}

export const FlameGraphRequest = new RequestType<FlameGraphParams, FlameGraphData, LeakInspectorErrorData>('leakInspector/flameGraph');

/**
 * The command a code lens runs: clients that register it reveal the site (VS Code: in the
 * Async Resources view); others just show the lens's title.
 */
export const REVEAL_SITE_COMMAND = 'leakInspector.revealSite';

export interface RevealSiteArgs {
  targetId: string;
  threadId: number;
  /** An async site's key (`SiteReport.key`): revealed in Async Resources. */
  siteKey?: string;
  /** A suspect's key (`Suspect.key`, any kind): revealed in Leak Suspects (preferred when given). */
  suspectKey?: string;
}
