/**
 * `leak-inspector snapshot --inspect <host:port|ws-url|pid:N> [--json] [--watch S --interval S]`
 * The goroutine dump of Node: live async resources grouped by creation site, scored.
 * `snapshot --from FILE` prints a saved `--json` document (e.g. a `watch` dump) again.
 */
import { readFile } from 'node:fs/promises';
import { formatSnapshotText, toJsonOutput } from '../analysis';
import { InspectorSession } from '../engine/inspectorSession';
import type { AgentConfig } from '../protocol/agentSnapshot';
import type { AsyncSnapshotJson, AsyncSnapshotReport } from '../protocol/asyncSnapshot';

export interface SnapshotCommandOptions {
  target: string;
  json: boolean;
  /** Keep snapshotting for this many seconds (growth needs several snapshots). */
  watchS?: number;
  intervalS: number;
  allowRemoteHosts: string[];
  agent: Partial<AgentConfig>;
}

export async function snapshotCommand(options: SnapshotCommandOptions, out: (text: string) => void): Promise<void> {
  const session = await InspectorSession.attach(options.target, { allowRemoteHosts: options.allowRemoteHosts, agent: options.agent });
  const stop = () => void session.detach().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const deadline = Date.now() + (options.watchS ?? 0) * 1000;
    for (;;) {
      const reports = await session.snapshot();
      const last = Date.now() + options.intervalS * 1000 > deadline;
      // With --watch, text mode prints every snapshot; JSON prints the final one only.
      if (!options.json) out(reports.map((report) => formatSnapshotText(report, { root: process.cwd() })).join('\n'));
      if (last) {
        if (options.json) out(JSON.stringify(snapshotJson(reports), null, 2));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalS * 1000));
    }
  } finally {
    process.off('SIGINT', stop);
    await session.detach();
  }
}

/** Reads a saved `--json` document and prints it as the live command would. */
export async function printSavedSnapshot(file: string, json: boolean, out: (text: string) => void): Promise<void> {
  const document = JSON.parse(await readFile(file, 'utf8')) as Partial<AsyncSnapshotJson> & { threads?: AsyncSnapshotJson[] };
  if (document.schemaVersion !== 1 || !Array.isArray(document.sites)) throw new Error(`${file} is not a snapshot --json document (schemaVersion 1 with sites)`);
  const reports = [document as AsyncSnapshotJson, ...(document.threads ?? [])];
  out(json ? JSON.stringify(document, null, 2) : reports.map((report) => formatSnapshotText(report, { root: process.cwd() })).join('\n'));
}

/** `{ "sites": [...] }` of the main thread, with worker threads' reports under `threads`. */
export function snapshotJson(reports: AsyncSnapshotReport[]): object {
  const [main, ...workers] = reports;
  return { ...toJsonOutput(main), threads: workers.map(toJsonOutput) };
}
