/**
 * What a fired rule writes into `--dump-dir`: the report document (as
 * `snapshot --json` prints it), a sampling heap profile (`.heapprofile`) and, only when allowed, a
 * `.heapsnapshot` (it freezes the target while V8 walks the heap). At most one dump per target
 * and rule per cooldown, one at a time per target, and never without the disk space for it.
 */
import { statfs, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { CdpSession } from '../cdp';
import { estimateSnapshot, sampleAllocations, saveHeapProfile, takeHeapSnapshot } from '../heap';
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import type { InspectionReport, ReportSampling } from '../protocol/report';
import type { WatchMetrics } from './metrics';
import type { Firing } from './rules';
import { formatBytes, threadName } from '../presentation';
import { buildReport } from '../report';

export interface DumpOptions {
  dir: string;
  /** Seconds between two dumps of the same target and rule. */
  cooldownS: number;
  /** How long the allocation sampling for the `.heapprofile` runs. */
  profileS: number;
  allowHeapSnapshot: boolean;
  /** Free space to leave on the disk, on top of what the dump needs. */
  minFreeBytes: number;
  /** How the agent tracks promises, recorded in each report. */
  sampling?: Pick<ReportSampling, 'promiseTracking'>;
}

export interface DumpRequest {
  target: string;
  firing: Firing;
  /** The snapshot that crossed the rule: all threads of the target. */
  reports: AsyncSnapshotReport[];
  /** The whole inspection (suspects of every kind), written instead of one rebuilt from `reports`. */
  report?: InspectionReport;
  /** The thread that crossed it, and its session for the heap captures. */
  threadId: number;
  session: CdpSession;
  heapUsed: number | undefined;
}

export class Dumper {
  private readonly lastDumpAt = new Map<string, number>();
  private readonly busy = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly options: DumpOptions,
    private readonly metrics: WatchMetrics,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts a dump unless rate-limited; resolves when its files are written (or it failed). */
  request(request: DumpRequest): Promise<void> {
    const { target, firing } = request;
    const key = `${target}\0${firing.rule}`;
    const skip = (reason: string) => {
      this.metrics.dumpsSkipped.inc({ target, rule: firing.rule, reason });
      return Promise.resolve();
    };
    if (this.abort.signal.aborted) return skip('stopping');
    const last = this.lastDumpAt.get(key);
    if (last !== undefined && Date.now() - last < this.options.cooldownS * 1000) return skip('cooldown');
    if (this.busy.has(target)) return skip('busy');
    this.lastDumpAt.set(key, Date.now());
    const running = this.write(request).catch((error: Error) => {
      this.metrics.dumpsSkipped.inc({ target, rule: firing.rule, reason: 'error' });
      this.log(`dump for ${target} (${firing.rule}) failed: ${error.message}`);
    });
    const tracked = running.finally(() => this.busy.delete(target));
    this.busy.set(target, tracked);
    return tracked;
  }

  /** Cuts running heap profiles short (they still get written) and waits for every dump. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.busy.values());
  }

  private async write(request: DumpRequest): Promise<void> {
    const { target, firing, reports, threadId, session, heapUsed } = request;
    const { dir, allowHeapSnapshot, minFreeBytes } = this.options;
    // A heap snapshot file is about the size of the heap, often more: ask for twice.
    const needed = minFreeBytes + (allowHeapSnapshot && heapUsed !== undefined ? 2 * heapUsed : 0);
    const free = await freeBytes(dir);
    if (free < needed) {
      this.metrics.dumpsSkipped.inc({ target, rule: firing.rule, reason: 'disk' });
      this.log(`dump for ${target} (${firing.rule}) skipped: ${formatBytes(free)} free in ${dir}, ${formatBytes(needed)} needed`);
      return;
    }
    const base = path.join(dir, `${fileSafe(target)}-${threadName(threadId)}-${firing.rule}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const written = (kind: string, file: string) => {
      this.metrics.dumps.inc({ target, rule: firing.rule, kind });
      this.log(`dump: ${target} ${threadName(threadId)} ${firing.rule} (${firing.reason}) → ${file}`);
    };

    const label = `${firing.rule}: ${firing.reason}`;
    const report = request.report
      ? { ...request.report, label }
      : buildReport({ threads: reports, target: { address: target }, producer: 'watch', label, sampling: this.options.sampling });
    await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    written('snapshot', `${base}.json`);

    const profile = await sampleAllocations(session, this.options.profileS * 1000, { signal: this.abort.signal });
    await saveHeapProfile(profile, `${base}.heapprofile`);
    written('heapprofile', `${base}.heapprofile`);

    if (!allowHeapSnapshot || this.abort.signal.aborted) return;
    const { estimatedPauseMs } = await estimateSnapshot(session);
    this.log(`heap snapshot of ${target} ${threadName(threadId)}: the target pauses for about ${estimatedPauseMs} ms`);
    await takeHeapSnapshot(session, `${base}.heapsnapshot`, { signal: this.abort.signal });
    written('heapsnapshot', `${base}.heapsnapshot`);
  }
}

async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

function fileSafe(text: string): string {
  return text.replace(/^ws:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}
