/**
 * `leak-inspector snapshot --inspect <host:port|ws-url|pid:N> [--json] [--watch S --interval S]`
 * The goroutine dump of Node: the ranked suspects, then every thread's live async resources
 * grouped by creation site. `--json` prints the report document (src/protocol/report.ts);
 * `snapshot --from FILE` reads one back (from the CLI, `watch` or VS Code) and prints it again.
 */
import { readFile } from 'node:fs/promises';
import type { PromiseTracking } from '../engine/agentConfig';
import { InspectorSession } from '../engine/inspectorSession';
import { formatSnapshotText, formatSuspectsText } from '../presentation';
import type { AgentConfig } from '../protocol/agentSnapshot';
import type { InspectionReport } from '../protocol/report';
import { buildReport, parseReport } from '../report';

export interface SnapshotCommandOptions {
  target: string;
  json: boolean;
  /** Keep snapshotting for this many seconds (growth needs several snapshots). */
  watchS?: number;
  intervalS: number;
  allowRemoteHosts: string[];
  agent: Partial<AgentConfig>;
  promiseTracking: PromiseTracking;
}

export async function snapshotCommand(options: SnapshotCommandOptions, out: (text: string) => void): Promise<void> {
  const session = await InspectorSession.attach(options.target, { allowRemoteHosts: options.allowRemoteHosts, agent: options.agent });
  const stop = () => void session.detach().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const deadline = Date.now() + (options.watchS ?? 0) * 1000;
    for (;;) {
      const threads = await session.snapshot();
      const report = buildReport({ threads, target: { address: options.target }, producer: 'cli', sampling: { promiseTracking: options.promiseTracking } });
      const last = Date.now() + options.intervalS * 1000 > deadline;
      // With --watch, text mode prints every snapshot; JSON prints the final one only.
      if (!options.json) out(reportText(report));
      if (last) {
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

/** The ranked suspects of every kind first, then each thread's sites as a goroutine dump. */
export function reportText(report: InspectionReport): string {
  const root = process.cwd();
  return [formatSuspectsText(report, { root }), ...report.threads.map((thread) => formatSnapshotText(thread, { root }))].join('\n');
}
