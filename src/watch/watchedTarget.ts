/**
 * One process under `watch`: attached (up) or not (down). Each poll snapshots every thread,
 * reads the agent's timeline and the heap, and feeds the metrics, the trace and the rules. A
 * target that goes away is marked down at once (its connection drops) and re-attached on a
 * later poll if something answers at its address again (a server restarted on the same
 * inspector port); the others are not affected either way.
 */
import type { CdpSession } from '../cdp';
import type { PromiseTracking } from '../engine/agentConfig';
import { inspect, listenerScanSkippedNotice } from '../engine/inspection';
import { InspectorSession, type InspectorOptions } from '../engine/inspectorSession';
import { heapUsage } from '../heap';
import type { TimelineEntry } from '../protocol/agentSnapshot';
import type { AsyncSnapshotReport } from '../protocol/asyncSnapshot';
import type { InspectionReport } from '../protocol/report';
import type { Dumper } from './dumps';
import type { WatchMetrics } from './metrics';
import type { Rules } from './rules';
import type { TraceTimeline } from './traceTimeline';

export interface WatchContext {
  metrics: WatchMetrics;
  rules: Rules;
  dumper: Dumper | undefined;
  trace: TraceTimeline | undefined;
  attachOptions: InspectorOptions;
  promiseTracking?: PromiseTracking;
  /** Seconds between exact promise censuses (each a heap snapshot: pauses the target); none when undefined. */
  promiseCensusEveryS?: number;
  log(line: string): void;
}

interface ThreadReading {
  report: AsyncSnapshotReport;
  session: CdpSession | undefined;
  heap: { usedSize: number; totalSize: number } | undefined;
  timeline: TimelineEntry[];
}

export class WatchedTarget {
  private session: InspectorSession | undefined;
  private lastAttachError: string | undefined;
  private lastCensusAt: number | undefined;
  private previousStuck: Map<string, number> | undefined;

  constructor(
    /** As given to `--inspect`: the `target` label of every series. */
    readonly spec: string,
    private readonly context: WatchContext,
  ) {
    context.metrics.targetUp(spec, false);
  }

  get up(): boolean {
    return this.session !== undefined;
  }

  /** One round: attach if down, otherwise snapshot. Never throws. */
  async poll(): Promise<void> {
    if (!this.session) return this.attach();
    const session = this.session;
    try {
      const readings = await this.read(session);
      // The target went down while we read (its last steps skip closed threads): its gauges
      // were dropped then, and publishing now would bring stale readings back.
      if (this.session !== session) return;
      this.publish(readings);
    } catch (error) {
      if (session.connection.isClosed) return this.markDown(session, 'its connection closed');
      this.context.metrics.snapshotFailed(this.spec);
      this.context.log(`snapshot of ${this.spec} failed: ${(error as Error).message}`);
    }
  }

  /** Removes the agent from every thread of the target and closes the connection. */
  async detach(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    try {
      await session.detach();
    } finally {
      this.context.metrics.targetUp(this.spec, false);
    }
  }

  private async attach(): Promise<void> {
    try {
      const session = await InspectorSession.attach(this.spec, this.context.attachOptions);
      try {
        // The first read starts the agent's timeline in each thread.
        for (const thread of session.threadSessions) await thread.agent.timeline();
      } catch (error) {
        await session.detach().catch(() => undefined);
        throw error;
      }
      this.session = session;
      this.lastAttachError = undefined;
      this.context.rules.forget(this.spec);
      this.context.trace?.reattached(this.spec);
      session.connection.onDisconnected((reason) => this.markDown(session, reason));
      this.context.metrics.targetUp(this.spec, true);
      this.lastCensusAt = undefined;
      this.previousStuck = undefined;
      this.context.log(`attached to ${this.spec} (${session.label})`);
      if (this.context.attachOptions.listeners?.scan === 'off') this.context.log(listenerScanSkippedNotice(this.spec));
    } catch (error) {
      const message = (error as Error).message;
      this.context.metrics.snapshotFailed(this.spec);
      // Logged when it changes, not on every retry.
      if (message !== this.lastAttachError) this.context.log(`${this.spec} is down: ${message}`);
      this.lastAttachError = message;
    }
  }

  private markDown(session: InspectorSession, reason: string): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.context.metrics.targetUp(this.spec, false);
    this.lastAttachError = undefined;
    this.context.log(`${this.spec} is down: ${reason}; retrying every interval`);
    void session.detach().catch(() => undefined);
  }

  private async read(session: InspectorSession): Promise<{ readings: ThreadReading[]; inspection: InspectionReport; stuck?: number }> {
    const every = this.context.promiseCensusEveryS;
    const censusDue = every !== undefined && (this.lastCensusAt === undefined || Date.now() - this.lastCensusAt >= every * 1000);
    const { report: inspection, promiseCensus } = await inspect(session, {
      producer: 'watch',
      target: { address: this.spec },
      promiseTracking: this.context.promiseTracking,
      promises: censusDue,
      previousPromises: this.previousStuck,
      onNotice: (message) => this.context.log(message),
    });
    if (promiseCensus) {
      this.lastCensusAt = Date.now();
      this.previousStuck = new Map(promiseCensus.suspects.map((suspect) => [suspect.key, suspect.count]));
      this.context.metrics.recordPromiseCensus(this.spec, { pending: promiseCensus.analysis.census.total, stuck: promiseCensus.analysis.stuckCount });
    }
    const reports = inspection.threads;
    const byThread = new Map<number, Omit<ThreadReading, 'report'>>();
    for (const thread of session.threadSessions) {
      if (thread.session.isClosed) continue;
      const timeline = await thread.agent.timeline();
      const heap = await heapUsage(thread.session);
      byThread.set(timeline.threadId, { session: thread.session, heap, timeline: timeline.entries });
    }
    const readings = reports.map((report) => ({ report, session: undefined, heap: undefined, timeline: [], ...byThread.get(report.target.threadId) }));
    return { readings, inspection, ...(promiseCensus && { stuck: promiseCensus.analysis.stuckCount }) };
  }

  private publish({ readings, inspection, stuck }: { readings: ThreadReading[]; inspection: InspectionReport; stuck?: number }): void {
    const { metrics, rules, dumper, trace } = this.context;
    metrics.recordSnapshot(this.spec, readings);
    metrics.recordSuspects(this.spec, inspection.suspects);
    const reports = readings.map((reading) => reading.report);
    const main = readings.find((reading) => reading.session);
    const stuckFiring = stuck === undefined ? undefined : rules.checkStuckPromises(stuck);
    if (stuckFiring && dumper && main?.session) {
      void dumper.request({ target: this.spec, firing: stuckFiring, reports, report: inspection, threadId: main.report.target.threadId, session: main.session, heapUsed: main.heap?.usedSize });
    }
    for (const { report, session, heap, timeline } of readings) {
      const threadId = report.target.threadId;
      metrics.recordTimeline(this.spec, threadId, timeline);
      const live = Object.entries(report.totalsByType).reduce((sum, [type, n]) => (type === 'Promise' ? sum : sum + (n ?? 0)), 0);
      trace?.record(this.spec, threadId, { at: report.takenAt, live }, timeline);
      for (const firing of rules.check(this.spec, report, heap?.usedSize, inspection.suspects)) {
        if (dumper && session) void dumper.request({ target: this.spec, firing, reports, report: inspection, threadId, session, heapUsed: heap?.usedSize });
      }
    }
  }
}
