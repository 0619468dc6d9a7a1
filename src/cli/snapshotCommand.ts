/**
 * `leak-inspector snapshot --inspect <host:port|ws-url|pid:N> [--json] [--promises] [--watch S --interval S]`
 * The goroutine dump of Node: the ranked suspects of every kind (async sites, listeners, and with
 * `--promises` the exact census of pending promises and those that can never settle), then every
 * thread's live async resources grouped by creation site. `--json` prints the report document (src/protocol/report.ts);
 * `snapshot --from FILE` reads one back (from the CLI, `watch` or VS Code) and prints it again.
 */
import { readFile } from 'node:fs/promises';
import type { PromiseTracking } from '../engine/agentConfig';
import { inspect, listenerScanOptions } from '../engine/inspection';
import { InspectorSession } from '../engine/inspectorSession';
import { formatLocation, formatSnapshotText, formatSuspectsText } from '../presentation';
import type { SourceLocation } from '../protocol/asyncSnapshot';
import type { AgentConfig } from '../protocol/agentSnapshot';
import type { InspectionReport } from '../protocol/report';
import { parseReport } from '../report';

export interface SnapshotCommandOptions {
  target: string;
  json: boolean;
  /** Keep snapshotting for this many seconds (growth needs several snapshots). */
  watchS?: number;
  intervalS: number;
  allowRemoteHosts: string[];
  agent: Partial<AgentConfig>;
  promiseTracking: PromiseTracking;
  /** Exact pending-promise census (a heap snapshot: pauses the target, announced) at each snapshot. */
  promises: boolean;
}

export async function snapshotCommand(options: SnapshotCommandOptions, out: (text: string) => void, notice: (text: string) => void = out): Promise<void> {
  const session = await InspectorSession.attach(options.target, {
    allowRemoteHosts: options.allowRemoteHosts,
    agent: options.agent,
    listeners: listenerScanOptions('snapshot', { onNotice: notice }),
  });
  const stop = () => void session.detach().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const deadline = Date.now() + (options.watchS ?? 0) * 1000;
    for (;;) {
      // With --watch, the census (a pause of the target) runs once, with the final snapshot.
      const final = Date.now() + options.intervalS * 1000 > deadline;
      const { report } = await inspect(session, {
        producer: 'cli',
        target: { address: options.target },
        promiseTracking: options.promiseTracking,
        promises: options.promises && final,
        onNotice: notice,
      });
      // With --watch, text mode prints every snapshot; JSON prints the final one only.
      if (!options.json) out(reportText(report));
      if (final) {
        if (options.json) out(JSON.stringify(report, null, 2));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalS * 1000));
    }
  } finally {
    process.off('SIGINT', stop);
    await session.detach();
  }
}

/** Reads a saved report (or a schemaVersion 1 document, converted) and prints it as the live command would. */
export async function printSavedReport(file: string, json: boolean, out: (text: string) => void): Promise<void> {
  const report = parseReport(await readFile(file, 'utf8'), file);
  out(json ? JSON.stringify(report, null, 2) : reportText(report));
}

/** The census's largest sites, so "pending promises counted exactly" shows where they are. */
export function promiseCensusLines(report: InspectionReport, root: string, max = 5): string[] {
  const census = report.promiseCensus!;
  const where = (entry: { location: SourceLocation | null; functionName: string; holder?: string }) =>
    entry.location ? `${entry.functionName || 'anonymous'} ${formatLocation(entry.location, root)}` : (entry.holder ?? entry.functionName ?? 'unknown');
  return [
    `pending promises (exact census): ${census.pending}, of which ${census.stuck} can never settle; largest sites:`,
    ...census.sites.slice(0, max).map((site) => `  ${String(site.count).padStart(6)}  ${site.kind.padEnd(14)} ${where(site)}`),
    ...census.awaitingFunctions.slice(0, max).map((fn) => `  ${String(fn.count).padStart(6)}  awaiting in    ${where(fn)}`),
  ];
}

/** The ranked suspects of every kind first, then each thread's sites as a goroutine dump. */
export function reportText(report: InspectionReport): string {
  const root = process.cwd();
  const sampling = [
    ...report.sampling.heapSnapshots.map(({ phase, pauseMs }) => `heap snapshot (${phase}) paused the target ${pauseMs} ms`),
    ...report.sampling.notes,
  ].map((line) => `note: ${line}`);
  if (report.promiseCensus) sampling.push(...promiseCensusLines(report, root));
  const head = sampling.length > 0 ? `${formatSuspectsText(report, { root })}${sampling.join('\n')}\n` : formatSuspectsText(report, { root });
  return [head, ...report.threads.map((thread) => formatSnapshotText(thread, { root }))].join('\n');
}
