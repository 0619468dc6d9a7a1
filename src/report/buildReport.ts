/** The one writer of the report document (CLI `--json`, `watch` dumps, the language server's export). */
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import { REPORT_FORMAT, REPORT_SCHEMA_VERSION, type CapabilityWarning, type InspectionReport, type ReportSampling, type Suspect } from '../protocol/report';
import { threadName } from '../presentation';
import { mergeSuspects } from './suspects';

export interface ReportInput {
  /** Every thread's async snapshot, main thread first. */
  threads: AsyncSnapshotReport[];
  /** What was attached to (`host:port`, `ws://…`, `pid:N`) and how to call it. */
  target: { address: string; label?: string };
  /** `cli`, `watch`, `language-server`. */
  producer: string;
  /** Suspects of other kinds (holders, stuck promises, heap classes), ranked with the async ones. */
  suspects?: Suspect[];
  warnings?: CapabilityWarning[];
  sampling?: Partial<ReportSampling>;
  label?: string;
  createdAt?: number;
}

export function buildReport(input: ReportInput): InspectionReport {
  const [main] = input.threads;
  const sampling: ReportSampling = {
    promiseTracking: input.sampling?.promiseTracking ?? 'sampled',
    heapSnapshots: input.sampling?.heapSnapshots ?? [],
    notes: [...(input.sampling?.notes ?? []), ...samplingNotes(input.threads)],
  };
  if (sampling.promiseTracking === 'sampled' && input.threads.some((report) => (report.totalsByType.Promise ?? 0) > 0)) {
    sampling.notes.push('pending promises are counted in short promise-hook windows (10% of the time) and scaled up: estimates');
  }
  const report: InspectionReport = {
    format: REPORT_FORMAT,
    schemaVersion: REPORT_SCHEMA_VERSION,
    producer: input.producer,
    target: { address: input.target.address, label: input.target.label ?? main?.target.label ?? input.target.address, pid: main?.target.pid ?? null, nodeVersion: main?.nodeVersion ?? null },
    agentVersion: main?.agentVersion ?? null,
    createdAt: input.createdAt ?? Date.now(),
    suspects: mergeSuspects(input.threads, input.suspects),
    threads: input.threads,
    sampling,
    warnings: collectWarnings(input.threads, input.warnings ?? []),
  };
  if (input.label !== undefined) report.label = input.label;
  return report;
}

/** The threads' own warnings (tagged with their thread) and the caller's, each once. */
export function collectWarnings(threads: readonly AsyncSnapshotReport[], extra: readonly CapabilityWarning[]): CapabilityWarning[] {
  const all = [...threads.flatMap((report) => (report.warnings ?? []).map((warning) => ({ ...warning, thread: warning.thread ?? threadName(report.target.threadId) }))), ...extra];
  const seen = new Set<string>();
  return all.filter((warning) => {
    const id = `${warning.code}\0${warning.thread ?? ''}\0${warning.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function samplingNotes(threads: readonly AsyncSnapshotReport[]): string[] {
  return threads
    .filter(({ stackSampling }) => stackSampling.currentInterval > 1 || stackSampling.dropped > 0)
    .map(({ target, stackSampling }) => `${threadName(target.threadId)}: stacks sampled 1 in ${stackSampling.currentInterval} (${stackSampling.dropped} dropped); counts of sampled sites are estimates`);
}
