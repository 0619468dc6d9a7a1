/**
 * `leak-inspector snapshot --inspect <host:port|ws-url|pid:N> [--json] [--watch S --interval S]`
 * The goroutine dump of Node: live async resources grouped by creation site, scored.
 */
import { formatSnapshotText, toJsonOutput } from '../analysis';
import { InspectorSession } from '../engine/inspectorSession';
import type { AgentConfig } from '../protocol/agentSnapshot';
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';

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
        if (options.json) out(JSON.stringify(jsonOf(reports), null, 2));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalS * 1000));
    }
  } finally {
    process.off('SIGINT', stop);
    await session.detach();
  }
}

/** `{ "sites": [...] }` of the main thread, with worker threads' reports under `threads`. */
function jsonOf(reports: AsyncSnapshotReport[]): object {
  const [main, ...workers] = reports;
  return { ...toJsonOutput(main), threads: workers.map(toJsonOutput) };
}
