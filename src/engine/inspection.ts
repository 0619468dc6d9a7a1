/**
 * One engine for every front end (CLI `snapshot`/`check`/demo, `watch`, VS Code): an
 * `InspectionReport` from an attached `InspectorSession`. The cheap part always runs: every
 * thread's async snapshot, which already carries the live listener census. The deep parts pause
 * the target, so each is asked for by name and announced with its estimated pause first:
 *
 * - `promises`: the exact census of pending promises and the ones that can never settle
 *   (`takePromiseCensus`, one heap snapshot);
 * - a scenario (`inspectScenario`, for `check` and the demo): snapshots before and after it,
 *   with `heap` two heap snapshots compared by class and by holder (`HeapGrowthProbe`), with
 *   `allocationStacks` also V8's allocation stacks in between (slows the target a lot meanwhile).
 *
 * Every suspect of every kind ends up in `report.suspects`, ranked by `buildReport`; each
 * measured pause is in `report.sampling.heapSnapshots`.
 */
import { diffSnapshots } from '../analysis';
import { estimateSnapshot } from '../heap';
import type { AsyncSnapshotReport, SiteDelta, SiteReport } from '../protocol/asyncSnapshot';
import type { HeapGrowthReport } from '../protocol/heap';
import type { CapabilityWarning, CheckVerdict, InspectionReport, PromiseCensusSummary, Suspect } from '../protocol/report';
import { buildReport, heapClassSuspect } from '../report';
import { isNodeInternalUrl } from '../sourcemap';
import type { PromiseTracking } from './agentConfig';
import { HeapGrowthProbe } from './heapGrowth';
import type { InspectorSession } from './inspectorSession';
import type { ListenerCensusOptions } from './listenerCensus';
import { takePromiseCensus, type PromiseCensusResult } from './promiseCensus';

/** Who is inspecting: decides the listener scan's default. */
export type FrontEnd = 'snapshot' | 'check' | 'demo' | 'watch' | 'vscode';

/**
 * The listener census's scan for emitters created before the attach (`Runtime.queryObjects`,
 * ~80 ms per MB of heap) runs once, at the first snapshot, announced with its estimate, for the
 * one-shot commands (`snapshot`, `check`, the demo) and VS Code. `watch` attaches to production
 * servers for hours and must not pause them unasked: off unless `--scan-listeners`, and it says so.
 * Either way the automatic scan is skipped (with a notice) above `maxAutoPauseMs`.
 */
/** The longest estimated pause of the listener scan that VS Code's attach runs without being asked. */
const VSCODE_MAX_AUTO_SCAN_MS = 500;

export function listenerScanOptions(frontEnd: FrontEnd, options: { scanListeners?: boolean; onNotice?: (message: string) => void; maxAutoPauseMs?: number } = {}): ListenerCensusOptions {
  const on = options.scanListeners ?? frontEnd !== 'watch';
  // An editor attach is interactive and may hit a busy production server: only a short scan runs
  // by itself there (≈ 6 MB of heap); a longer one is skipped with a notice.
  const maxAutoPauseMs = options.maxAutoPauseMs ?? (frontEnd === 'vscode' ? VSCODE_MAX_AUTO_SCAN_MS : undefined);
  return { scan: on ? 'once' : 'off', onNotice: options.onNotice, ...(maxAutoPauseMs !== undefined && { maxAutoPauseMs }) };
}

/** The line printed once when the scan is off, so nobody mistakes "no old listeners" for "none". */
export function listenerScanSkippedNotice(target: string): string {
  return `listener census: not looking for emitters created before the attach in ${target} (off by default for watch: it pauses the target ~80 ms per MB of heap; --scan-listeners turns it on); listeners added from now on are counted`;
}

export interface InspectOptions {
  /** `cli`, `cli check`, `watch`, `vscode`… (the report's producer). */
  producer: string;
  target: { address: string; label?: string };
  promiseTracking?: PromiseTracking;
  /** Run the exact pending-promise census (a heap snapshot: pauses the target, announced first). */
  promises?: boolean;
  /** Counts per stuck-promise key from an earlier census, for growth. */
  previousPromises?: ReadonlyMap<string, number>;
  /** Announcements: estimated pauses before they happen, skipped parts. */
  onNotice?: (message: string) => void;
  label?: string;
  signal?: AbortSignal;
  /** More suspects or warnings from the caller, ranked with the rest. */
  suspects?: Suspect[];
  warnings?: CapabilityWarning[];
  notes?: string[];
}

/** Which parts produced the report. */
export interface InspectionParts {
  /** The live listener census (the agent's; always on when the agent has it). */
  listeners: boolean;
  promiseCensus: boolean;
  heapGrowth: boolean;
}

export interface Inspection {
  report: InspectionReport;
  parts: InspectionParts;
  promiseCensus?: PromiseCensusResult;
}

/** One inspection: async snapshot of every thread (with listener suspects), and the promise census when asked. */
export async function inspect(session: InspectorSession, options: InspectOptions): Promise<Inspection> {
  const threads = await session.snapshot();
  const census = options.promises ? await promiseCensus(session, 'census', options) : undefined;
  const report = assemble(threads, options, {
    suspects: census?.suspects ?? [],
    pauses: census ? [{ phase: 'promise census', pauseMs: census.snapshot.durationMs }] : [],
    notes: census ? censusNotes(census) : [],
  });
  if (census) report.promiseCensus = censusSummary(census);
  return { report, parts: parts(threads, !!census, false), ...(census && { promiseCensus: census }) };
}

export interface ScenarioOptions extends InspectOptions {
  /** Heap snapshots before and after the scenario, compared by class and by holder. */
  heap?: boolean;
  /**
   * With `heap`: V8 tracks allocations from the "before" snapshot to the "after" one, so holder
   * suspects name the function that allocated their new entries. Opt-in: it slows the target
   * many times over while the scenario runs (see `ALLOCATION_TRACKING_COST`).
   */
  allocationStacks?: boolean;
  /** Classes with fewer kept objects are not reported (default 1). */
  minGrowth?: number;
  /** Wait this long after the scenario before the "after" observations (default 0). */
  settleMs?: number;
}

export interface ScenarioInspection<T> extends Inspection {
  result: T;
  /** The async snapshot of every thread before the scenario. */
  before: AsyncSnapshotReport[];
  heap?: HeapGrowthReport;
  promisesBefore?: PromiseCensusResult;
}

/**
 * Observes the target around `scenario`: everything `inspect` does before and after it, plus the
 * heap comparison with `heap`. The report is the "after" state; growth is measured against "before".
 */
export async function inspectScenario<T>(session: InspectorSession, scenario: () => Promise<T>, options: ScenarioOptions): Promise<ScenarioInspection<T>> {
  const before = await session.snapshot();
  const promisesBefore = options.promises ? await promiseCensus(session, 'before', options) : undefined;
  let probe: HeapGrowthProbe | undefined;
  if (options.heap) {
    await announceHeapSnapshots(session, options.onNotice);
    if (options.allocationStacks) options.onNotice?.(`allocation stacks: V8 tracks every allocation in ${session.label} until the "after" snapshot, with GC compaction suspended; ${ALLOCATION_TRACKING_COST}`);
    probe = await HeapGrowthProbe.start(session, { minGrowth: options.minGrowth, signal: options.signal, allocationStacks: options.allocationStacks });
  }
  try {
    const result = await scenario();
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    const threads = await session.snapshot();
    const heap = probe ? await probe.finish() : undefined;
    const previous = promisesBefore && new Map(promisesBefore.suspects.map((suspect) => [suspect.key, suspect.count]));
    const promisesAfter = options.promises ? await promiseCensus(session, 'after', { ...options, previousPromises: previous ?? options.previousPromises }) : undefined;
    const heapSuspects = heap ? [...heap.sites.map(heapClassSuspect), ...(heap.suspects ?? [])] : [];
    const pauses = [
      ...(promisesBefore ? [{ phase: 'promise census before', pauseMs: promisesBefore.snapshot.durationMs }] : []),
      ...(probe?.pauses.map(({ phase, pauseMs }) => ({ phase: `heap ${phase}`, pauseMs })) ?? []),
      ...(promisesAfter ? [{ phase: 'promise census after', pauseMs: promisesAfter.snapshot.durationMs }] : []),
    ];
    const notes = [
      ...(heap ? ['heap snapshots before and after the scenario (each paused the target), compared by class (heap-class) and by holder (holder, listener, promise-reactions)'] : []),
      ...(heap && options.allocationStacks ? ['allocation stacks tracked from the "before" snapshot to the "after" one (the target ran many times slower meanwhile): holder suspects say which function allocated their new entries'] : []),
      ...(promisesAfter ? censusNotes(promisesAfter) : []),
    ];
    const report = assemble(threads, options, { suspects: [...heapSuspects, ...(promisesAfter?.suspects ?? [])], pauses, notes });
    if (promisesAfter) report.promiseCensus = censusSummary(promisesAfter);
    return {
      report,
      parts: parts(threads, !!promisesAfter, !!heap),
      result,
      before,
      ...(heap && { heap }),
      ...(promisesAfter && { promiseCensus: promisesAfter }),
      ...(promisesBefore && { promisesBefore }),
    };
  } finally {
    await probe?.dispose();
  }
}

/** Severities that make `check` fail. */
const FAILING = new Set(['medium', 'high']);

/**
 * `check`'s verdict on a scenario: it leaked when an async site grew by `minGrowth` or more,
 * a live listener group grew and scored medium/high, with `heap` a holder/listener/reaction/class
 * suspect scored medium/high, or with `promises` new promises that can never settle appeared.
 * `suspectKeys` lists the suspects (other than grown sites) that made it fail.
 */
export function checkVerdict<T>(inspection: ScenarioInspection<T>, options: { minGrowth: number; commandExitCode: number; settleMs: number }): CheckVerdict & { suspectKeys: string[] } {
  const grown = grownSites(inspection.before, inspection.report.threads, options.minGrowth);
  const liveListeners = new Set(inspection.report.threads.flatMap((thread) => (thread.listenerSuspects ?? []).map((suspect) => suspect.key)));
  // A group new since "before" has no growth of its own yet (first sighting): all of it is new.
  const listenersBefore = new Map(inspection.before.flatMap((thread) => (thread.listenerSuspects ?? []).map((suspect) => [suspect.key, suspect.count] as const)));
  const beforeStuck = new Map(inspection.promisesBefore?.suspects.map((suspect) => [suspect.key, suspect.count]) ?? []);
  const failing = inspection.report.suspects.filter((suspect) => {
    switch (suspect.kind) {
      case 'async':
        return false;
      case 'stuck-promise':
        return suspect.count - (beforeStuck.get(suspect.key) ?? 0) >= options.minGrowth;
      case 'listener':
        // A live group fails when the command added to it and it scores medium/high: a group
        // first seen after the command has no growth in its score, but listeners of closed
        // connections piling on one emitter score medium from their first census.
        if (liveListeners.has(suspect.key)) return suspect.count - (listenersBefore.get(suspect.key) ?? 0) >= options.minGrowth && FAILING.has(suspect.severity);
        return FAILING.has(suspect.severity);
      default:
        return FAILING.has(suspect.severity);
    }
  });
  return {
    commandExitCode: options.commandExitCode,
    leaked: grown.length > 0 || failing.length > 0,
    settleMs: options.settleMs,
    grown,
    ...(inspection.heap && { heapGrowthBytes: inspection.heap.heapGrowthBytes }),
    suspectKeys: failing.map((suspect) => suspect.key),
  };
}

/** Async sites of every thread that grew by `minGrowth` or more, matched by thread id. */
export function grownSites(before: readonly AsyncSnapshotReport[], after: readonly AsyncSnapshotReport[], minGrowth: number): SiteDelta[] {
  return after
    .flatMap((current) => {
      const previous = before.find((report) => report.target.threadId === current.target.threadId);
      if (!previous) return [];
      const machinery = new Set(current.sites.filter(isNodePromiseMachinery).map((site) => site.key));
      return diffSnapshots(previous, current).sites.filter((site) => !machinery.has(site.key));
    })
    .filter((site) => site.delta >= minGrowth)
    .sort((a, b) => b.delta - a.delta);
}

/**
 * Promises whose whole creation stack is Node's own code (timers, streams, the HTTP machinery):
 * not the program's to fix, as the score's "no frame of the program" says. A sampled one stands
 * for dozens, so one still pending at the "after" snapshot looked like growth (CI once failed a
 * plain http server's check on "+50 Promise node:internal/priority_queue:37").
 */
function isNodePromiseMachinery(site: SiteReport): boolean {
  return site.type === 'Promise' && site.stack.length > 0 && site.stack.every((frame) => isNodeInternalUrl(frame.path));
}

/** Says the heap snapshots' estimated pause before the first one is taken. */
/** What allocation tracking did to the sample server's scenario (test/bench/allocationTracking.bench.ts, 2-core machine). */
const ALLOCATION_TRACKING_COST = 'it slows the target meanwhile (the sample server: 8× fewer messages/s at a ~10 MB heap, 40–80× fewer when its leaks grow the heap to 20–40 MB)';

async function announceHeapSnapshots(session: InspectorSession, onNotice?: (message: string) => void): Promise<void> {
  if (!onNotice) return;
  const [main] = session.threadSessions;
  const { usedSize, estimatedPauseMs } = await estimateSnapshot(main.session);
  onNotice(`heap snapshots before and after: each pauses ${session.label} about ${estimatedPauseMs} ms at ${(usedSize / 1048576).toFixed(1)} MB`);
}

function promiseCensus(session: InspectorSession, phase: string, options: InspectOptions): Promise<PromiseCensusResult> {
  return takePromiseCensus(session, {
    previous: options.previousPromises,
    signal: options.signal,
    onEstimate: ({ usedSize, estimatedPauseMs }) =>
      options.onNotice?.(`promise census (${phase}): a heap snapshot pauses ${session.label} about ${estimatedPauseMs} ms at ${(usedSize / 1048576).toFixed(1)} MB`),
  });
}

/** The census's counts for the report document, located in the original sources. */
export function censusSummary({ analysis }: PromiseCensusResult): PromiseCensusSummary {
  return {
    pending: analysis.census.total,
    stuck: analysis.stuckCount,
    sites: analysis.census.sites.map(({ kind, functionName, location, holder, count }) => ({ kind, functionName, location: location ?? null, ...(holder !== undefined && { holder }), count })),
    awaitingFunctions: analysis.census.awaitingFunctions.map(({ functionName, location, count }) => ({ functionName, location: location ?? null, count })),
  };
}

function censusNotes(census: PromiseCensusResult): string[] {
  const { census: counts, stuckCount } = census.analysis;
  return [
    `pending promises counted exactly from a heap snapshot: ${counts.total} pending, ${stuckCount} that can never settle${census.exactStateFunction ? '' : " (state read with util.inspect: Node's getPromiseDetails was not found)"}`,
  ];
}

function parts(threads: readonly AsyncSnapshotReport[], promiseCensus: boolean, heapGrowth: boolean): InspectionParts {
  return { listeners: threads.some((thread) => thread.listenerSuspects !== undefined), promiseCensus, heapGrowth };
}

function assemble(threads: AsyncSnapshotReport[], options: InspectOptions, deep: { suspects: Suspect[]; pauses: Array<{ phase: string; pauseMs: number }>; notes: string[] }): InspectionReport {
  const live = threads.flatMap((thread) => thread.listenerSuspects ?? []);
  return buildReport({
    threads,
    target: options.target,
    producer: options.producer,
    suspects: foldIntoLive(live, [...deep.suspects, ...(options.suspects ?? [])]),
    warnings: options.warnings,
    sampling: { promiseTracking: options.promiseTracking ?? 'sampled', heapSnapshots: deep.pauses.map(({ phase, pauseMs }) => ({ phase, pauseMs: Math.round(pauseMs) })), notes: [...deep.notes, ...(options.notes ?? [])] },
    label: options.label,
  });
}

/**
 * One entry per kind and line: a heap-found listener group at the line the live census already
 * reports (its registering line, or the listener function its key is made of) is the same leak
 * seen twice. The live entry stays (its line and history) and takes the heap's retained bytes,
 * holder and facts, and its score when the heap's evidence is stronger (as merged async paths
 * take the worst path's score).
 */
function foldIntoLive(live: readonly Suspect[], deep: readonly Suspect[]): Suspect[] {
  return deep.filter((suspect) => {
    const twin = suspect.location && live.find((own) => sameLine(own, suspect));
    if (!twin) return true;
    twin.retainedBytes ??= suspect.retainedBytes;
    twin.holder ??= suspect.holder;
    if (suspect.score > twin.score) Object.assign(twin, { score: suspect.score, severity: suspect.severity, factors: suspect.factors });
    twin.details.push(...suspect.details.filter((detail) => !twin.details.some((own) => own.label === detail.label)));
    return false;
  });
}

function sameLine(live: Suspect, deep: Suspect): boolean {
  if (live.kind !== deep.kind || live.thread !== deep.thread) return false;
  const { path, line } = deep.location!;
  return (live.location?.path === path && live.location.line === line) || live.key.includes(`${path}:${line}:`);
}
