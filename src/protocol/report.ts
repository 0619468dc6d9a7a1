/**
 * The one document an inspection of a target produces (Go's pprof has one `Profile` and many
 * views; this is ours). The CLI's `--json`, `watch` dumps and the VS Code/LSP export all write
 * it; `snapshot --from` and VS Code's "Open Report…" read it. Plain JSON data: shared by the
 * engine, the language server, the extension and the webview.
 *
 * Versioning: `schemaVersion` changes when a reader of the previous version would misread the
 * document (a field changes meaning or type). Adding optional fields does not change it.
 */
import type { AsyncSnapshotReport, ScoreFactor, Severity, SiteDelta, SourceLocation, StackFrame } from './asyncSnapshot';

export const REPORT_SCHEMA_VERSION = 2;
/** Marks the document as ours, so a random JSON file is refused with a clear message. */
export const REPORT_FORMAT = 'leak-inspector-report';

/** Kinds of leak suspect, all scored on the same 0–100 scale. */
export type SuspectKind =
  /** Live async resources (timers, sockets, promises…) grouped by creation site. */
  | 'async'
  /** Listeners on an EventEmitter/EventTarget, grouped by emitter, event and listener source line. */
  | 'listener'
  /** A Map, Set, array or dictionary object that kept growing, named by its holder. */
  | 'holder'
  /** A pending promise whose list of reactions keeps growing. */
  | 'promise-reactions'
  /** Pending promises that no live code can ever settle (the Node form of Go's goroutineleak). */
  | 'stuck-promise'
  /** Pending promises that could still settle, but whose owner (connection, player) is gone. */
  | 'orphaned-promise'
  /** Objects of one of the program's classes that piled up between two heap snapshots. */
  | 'heap-class';

/** One way of reaching a suspect's source line (a creation or registration stack), and how many came that way. */
export interface SuspectPath {
  count: number;
  /** Innermost first, original-source positions. */
  stack: StackFrame[];
}

/**
 * One ranked entry: one per kind and source line (different call paths to the same line are
 * `paths` of one entry, not separate entries).
 */
export interface Suspect {
  kind: SuspectKind;
  /** Stable across snapshots and re-attaches (kind + original-source location + holder/event). */
  key: string;
  /** One line a person reads first: `15 live intervals`, `+240 'message' listeners on presence`. */
  title: string;
  /** The line to fix: creation, registration or declaration (1-based, original source). */
  location: SourceLocation | null;
  /** What keeps it alive, as a user knows it: `presence (presence.ts:12)`, `.bus of GameServer`. */
  holder?: string;
  /** Thread it was seen in: `main`, `worker-1`. */
  thread: string;
  /** 0–100, the sum of `factors[].points`. */
  score: number;
  severity: Severity;
  factors: ScoreFactor[];
  /** How many live things (resources, listeners, entries, reactions, promises). */
  count: number;
  /** Change since the previous observation; null on a first sighting. */
  growth: number | null;
  /** Bytes kept alive by it (retained size), when a heap snapshot told; null when unknown. */
  retainedBytes: number | null;
  /** Different call paths reaching `location`, most common first. */
  paths: SuspectPath[];
  /** Everything else a view may show: kind-specific facts, already formatted, in display order. */
  details: Array<{ label: string; value: string }>;
  /** True when `count` is a sampled estimate (say how in `details`). */
  estimated: boolean;
}

/** A feature that could not work on this target, said out loud instead of showing empty data. */
export interface CapabilityWarning {
  /** Stable id, e.g. `context-unavailable`, `timer-lists-missing`. */
  code: string;
  message: string;
  thread?: string;
}

/** What was measured exactly, what was sampled and how (so a reader knows how far to trust counts). */
export interface ReportSampling {
  /** `sampled` (promise hooks in windows), `always` or `off`. */
  promiseTracking: 'sampled' | 'always' | 'off';
  /** Heap snapshots the report used (each paused the target), with the measured pause. */
  heapSnapshots: Array<{ phase: string; pauseMs: number }>;
  /** Free-form notes about estimates, e.g. "pending promises scaled from 10% windows (±30%)". */
  notes: string[];
}

export interface InspectionReport {
  format: typeof REPORT_FORMAT;
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /** Who wrote it: `cli`, `watch`, `vscode`, `language-server`. */
  producer: string;
  /** What was attached to (`host:port`, `ws://…`, `pid:N`) and its label. */
  target: { address: string; label: string; pid: number | null; nodeVersion: string | null };
  agentVersion: string | null;
  /** Epoch ms. */
  createdAt: number;
  /** Optional user label (a `watch` rule, an export name). */
  label?: string;
  /** Every suspect of every kind and thread, highest score first. */
  suspects: Suspect[];
  /** The async snapshot of each thread, main thread first (the raw material of `async` suspects). */
  threads: AsyncSnapshotReport[];
  sampling: ReportSampling;
  warnings: CapabilityWarning[];
  /** `check` only: its verdict (did the command leave anything behind?). */
  check?: CheckVerdict;
  /** With an exact promise census (`--promises`): every pending promise counted, by site. */
  promiseCensus?: PromiseCensusSummary;
}

/** The exact census of pending promises from a heap snapshot (created before the attach too). */
export interface PromiseCensusSummary {
  pending: number;
  /** Of which provably can never settle (listed as `stuck-promise` suspects). */
  stuck: number;
  /** By creation site (the function that made them) or holder, largest count first. */
  sites: Array<{ kind: string; functionName: string; location: SourceLocation | null; holder?: string; count: number }>;
  /** Suspended async functions waiting on a pending promise, largest count first. */
  awaitingFunctions: Array<{ functionName: string; location: SourceLocation | null; count: number }>;
}

/** What `check` decided: the sites that grew during its command and did not come back. */
export interface CheckVerdict {
  commandExitCode: number;
  leaked: boolean;
  settleMs: number;
  /** Sites that grew by at least the threshold, largest growth first. */
  grown: SiteDelta[];
  /** Heap growth in bytes between the two heap snapshots, with `--heap`. */
  heapGrowthBytes?: number;
  /** Keys of the suspects (listeners, holders, reactions, heap classes, stuck promises) that made it fail. */
  suspectKeys?: string[];
}
