/**
 * The one reader of the report document (`snapshot --from`, VS Code's "Open Report…"). It
 * checks the whole document before returning it: a reader gets a complete report or a clear
 * error, never half of one. Documents of the first format (schemaVersion 1: the CLI's old
 * `snapshot --json`, the editor's old export) are converted; anything newer is refused.
 */
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import { REPORT_FORMAT, REPORT_SCHEMA_VERSION, type InspectionReport } from '../protocol/report';
import { errorMessage } from '../common/errors';
import { isRecord } from '../common/guards';
import { buildReport } from './buildReport';

export class ReportFormatError extends Error {
  override readonly name = 'ReportFormatError';
}

/** `source` names the document in error messages (a file name). */
export function parseReport(input: string | unknown, source = 'the document'): InspectionReport {
  let document: unknown = input;
  if (typeof input === 'string') {
    try {
      document = JSON.parse(input);
    } catch (error) {
      throw new ReportFormatError(`${source} is not JSON: ${errorMessage(error)}`);
    }
  }
  if (Array.isArray(document)) {
    if (document.length !== 1) throw new ReportFormatError(`${source} holds ${document.length} exports; a report is one target: export each target on its own`);
    document = document[0];
  }
  if (!isRecord(document)) throw new ReportFormatError(`${source} is not a Leak Inspector report (expected a JSON object)`);
  if (document.format === REPORT_FORMAT) return checkedReport(document, source);
  if (document.schemaVersion === 1) return fromVersion1(document, source);
  if (typeof document.schemaVersion === 'number' && document.schemaVersion > REPORT_SCHEMA_VERSION) {
    throw new ReportFormatError(`${source} has schemaVersion ${document.schemaVersion}, newer than this Leak Inspector reads (${REPORT_SCHEMA_VERSION}): update Leak Inspector`);
  }
  throw new ReportFormatError(`${source} is not a Leak Inspector report (no "format": "${REPORT_FORMAT}")`);
}

function checkedReport(document: Record<string, unknown>, source: string): InspectionReport {
  const version = document.schemaVersion;
  if (version !== REPORT_SCHEMA_VERSION) {
    if (typeof version === 'number' && version > REPORT_SCHEMA_VERSION) {
      throw new ReportFormatError(`${source} is a report of schemaVersion ${version}, newer than this Leak Inspector reads (${REPORT_SCHEMA_VERSION}): update Leak Inspector`);
    }
    throw new ReportFormatError(`${source} has an unknown schemaVersion ${JSON.stringify(version)} (this Leak Inspector reads ${REPORT_SCHEMA_VERSION})`);
  }
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => ok || problems.push(what);
  need(typeof document.producer === 'string', '"producer" must be a string');
  need(typeof document.createdAt === 'number', '"createdAt" must be a number');
  const target = document.target;
  need(isRecord(target) && typeof target.address === 'string' && typeof target.label === 'string', '"target" must have an address and a label');
  need(Array.isArray(document.suspects) && document.suspects.every(isSuspect), '"suspects" must be a list of suspects (kind, key, title, score, factors, count, paths)');
  need(Array.isArray(document.threads) && document.threads.length > 0, '"threads" must list at least one thread');
  if (Array.isArray(document.threads)) document.threads.forEach((thread, i) => checkThread(thread, `threads[${i}]`, problems));
  const sampling = document.sampling;
  need(isRecord(sampling) && Array.isArray(sampling.heapSnapshots) && Array.isArray(sampling.notes), '"sampling" must have heapSnapshots and notes');
  need(Array.isArray(document.warnings) && document.warnings.every((w) => isRecord(w) && typeof w.code === 'string' && typeof w.message === 'string'), '"warnings" must be a list of {code, message}');
  if (problems.length > 0) throw new ReportFormatError(`${source} is a damaged report: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`);
  return document as unknown as InspectionReport;
}

/**
 * schemaVersion 1 came in two shapes: the CLI's `{ schemaVersion, ...mainThread, threads }`
 * and the editor's export `{ schemaVersion, target, label, exportedAt, threads }`. Both carry
 * whole thread snapshots, so the report is rebuilt from them.
 */
function fromVersion1(document: Record<string, unknown>, source: string): InspectionReport {
  const problems: string[] = [];
  const strip = (thread: unknown) => {
    if (!isRecord(thread)) return thread;
    const { schemaVersion: _version, threads: _threads, ...rest } = thread;
    return rest;
  };
  let threads: unknown[];
  let address: string;
  let createdAt: number | undefined;
  let label: string | undefined;
  if (Array.isArray(document.sites)) {
    threads = [strip(document), ...(Array.isArray(document.threads) ? document.threads.map(strip) : [])];
    const main = threads[0] as { target?: { label?: unknown } };
    address = typeof main.target?.label === 'string' ? main.target.label : 'unknown';
  } else if (typeof document.target === 'string' && Array.isArray(document.threads)) {
    threads = document.threads.map(strip);
    address = document.target;
    label = typeof document.label === 'string' ? document.label : undefined;
    createdAt = typeof document.exportedAt === 'number' ? document.exportedAt : undefined;
  } else {
    throw new ReportFormatError(`${source} has schemaVersion 1 but is neither a snapshot --json document nor an editor export`);
  }
  if (threads.length === 0) problems.push('no thread snapshot in it');
  threads.forEach((thread, i) => checkThread(thread, `threads[${i}]`, problems));
  if (problems.length > 0) throw new ReportFormatError(`${source} is a damaged schemaVersion 1 document: ${problems.slice(0, 3).join('; ')}`);
  const checked = threads as AsyncSnapshotReport[];
  return buildReport({
    threads: checked,
    target: { address, label },
    producer: 'converted',
    createdAt: createdAt ?? checked[0].takenAt,
    sampling: { notes: [`converted from a schemaVersion 1 document (${source}); suspects rebuilt from its sites`] },
  });
}

function checkThread(thread: unknown, where: string, problems: string[]): void {
  if (!isRecord(thread)) {
    problems.push(`${where} is not an object`);
    return;
  }
  const target = thread.target;
  if (!isRecord(target) || typeof target.pid !== 'number' || typeof target.threadId !== 'number' || typeof target.label !== 'string') problems.push(`${where}.target must have pid, threadId and label`);
  for (const field of ['takenAt', 'liveResources', 'pauseMs']) if (typeof thread[field] !== 'number') problems.push(`${where}.${field} must be a number`);
  if (!isRecord(thread.totalsByType) || !isRecord(thread.summary) || !isRecord(thread.stackSampling)) problems.push(`${where} lacks totalsByType, summary or stackSampling`);
  if (!Array.isArray(thread.sites)) {
    problems.push(`${where}.sites must be a list`);
    return;
  }
  thread.sites.forEach((site, i) => {
    if (!isSite(site)) problems.push(`${where}.sites[${i}] is not a site (type, count, score, factors, location, stack, growth, context)`);
  });
}

function isSite(site: unknown): boolean {
  return (
    isRecord(site) &&
    typeof site.id === 'string' &&
    typeof site.key === 'string' &&
    typeof site.type === 'string' &&
    typeof site.count === 'number' &&
    typeof site.score === 'number' &&
    typeof site.severity === 'string' &&
    Array.isArray(site.factors) &&
    (site.location === null || isLocation(site.location)) &&
    Array.isArray(site.stack) &&
    site.stack.every(isLocation) &&
    isRecord(site.growth) &&
    Array.isArray(site.growth.trend) &&
    isRecord(site.context) &&
    isRecord(site.context.keys)
  );
}

function isSuspect(suspect: unknown): boolean {
  return (
    isRecord(suspect) &&
    typeof suspect.kind === 'string' &&
    typeof suspect.key === 'string' &&
    typeof suspect.title === 'string' &&
    typeof suspect.score === 'number' &&
    typeof suspect.count === 'number' &&
    Array.isArray(suspect.factors) &&
    (suspect.location === null || isLocation(suspect.location)) &&
    Array.isArray(suspect.paths) &&
    Array.isArray(suspect.details)
  );
}

function isLocation(location: unknown): boolean {
  return isRecord(location) && typeof location.path === 'string' && typeof location.line === 'number' && typeof location.column === 'number';
}
