/**
 * `watch --timeline FILE`: the targets' timelines in the Chrome trace-event JSON format, which
 * Perfetto (ui.perfetto.dev) and chrome://tracing open. Each target is a process (pid) named
 * after it, each of its threads a thread (tid): counters ("C") for event-loop delay, resource
 * rates, live resources and heap; complete events ("X") for GC pauses, event-loop stalls and
 * our own snapshot pauses. Memory is bounded: past MAX_EVENTS the oldest half is dropped.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { TimelineEntry } from '../protocol/agentSnapshot';
import { threadName } from '../presentation';

export interface TraceEvent {
  name: string;
  ph: 'C' | 'X' | 'M';
  pid: number;
  tid: number;
  /** Microseconds since the watch started. */
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

const MAX_EVENTS = 200_000;
const MB = 1024 * 1024;

interface ThreadTrack {
  /** Resource creations seen since the last snapshot, for the destroy rate. */
  createdSinceSnapshot: number;
  lastSnapshot: { at: number; live: number } | undefined;
}

export class TraceTimeline {
  private events: TraceEvent[] = [];
  private dropped = 0;
  private readonly pids = new Map<string, number>();
  private readonly threads = new Map<string, ThreadTrack>();
  private readonly startedAt = Date.now();

  constructor(private readonly file: string) {}

  /**
   * One thread's snapshot (its live resources, promises left out: their counts are sampled)
   * and the timeline entries read right after it.
   */
  record(target: string, threadId: number, snapshot: { at: number; live: number } | undefined, entries: readonly TimelineEntry[]): void {
    const pid = this.pidOf(target);
    const tid = threadId + 1;
    const key = `${target}\0${threadId}`;
    let track = this.threads.get(key);
    if (!track) {
      this.threads.set(key, (track = { createdSinceSnapshot: 0, lastSnapshot: undefined }));
      this.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: threadName(threadId) } });
    }
    let createdAfterSnapshot = 0;
    for (const entry of entries) {
      const ts = this.ts(entry.at);
      switch (entry.kind) {
        case 'sample':
          if (entry.delayMs) this.push({ name: 'event loop delay (ms)', ph: 'C', pid, tid, ts, args: { p50: entry.delayMs.p50, p90: entry.delayMs.p90, p99: entry.delayMs.p99, max: entry.delayMs.max } });
          this.push({ name: 'async resources created (/s)', ph: 'C', pid, tid, ts, args: { created: round((entry.created * 1000) / entry.durationMs) } });
          this.push({ name: 'heap (MB)', ph: 'C', pid, tid, ts, args: { used: round(entry.heapUsed / MB), total: round(entry.heapTotal / MB) } });
          if (snapshot && entry.at > snapshot.at) createdAfterSnapshot += entry.created;
          else track.createdSinceSnapshot += entry.created;
          break;
        case 'gc':
          this.push({ name: `GC (${entry.gc})`, cat: 'gc', ph: 'X', pid, tid, ts, dur: Math.max(1, Math.round(entry.durationMs * 1000)) });
          break;
        case 'stall':
          this.push({ name: 'event loop stall', cat: 'stall', ph: 'X', pid, tid, ts, dur: Math.round(entry.durationMs * 1000) });
          break;
        case 'snapshot':
          this.push({ name: 'leak-inspector snapshot', cat: 'leak-inspector', ph: 'X', pid, tid, ts, dur: Math.max(1, Math.round(entry.durationMs * 1000)), args: { liveResources: entry.liveResources } });
          break;
      }
    }
    if (!snapshot) return;
    const ts = this.ts(snapshot.at);
    this.push({ name: 'live async resources', ph: 'C', pid, tid, ts, args: { live: snapshot.live } });
    // Nothing counts destructions cheaply in the target: what was created and is no longer live.
    const previous = track.lastSnapshot;
    if (previous && snapshot.at > previous.at) {
      const destroyed = Math.max(0, track.createdSinceSnapshot - (snapshot.live - previous.live));
      this.push({ name: 'async resources destroyed (/s)', ph: 'C', pid, tid, ts, args: { destroyed: round((destroyed * 1000) / (snapshot.at - previous.at)) } });
    }
    track.lastSnapshot = snapshot;
    track.createdSinceSnapshot = createdAfterSnapshot;
  }

  /** A re-attached target may be another process: rates start afresh. */
  reattached(target: string): void {
    for (const [key, track] of this.threads) if (key.startsWith(`${target}\0`)) track.lastSnapshot = undefined;
  }

  /** Writes the file (complete or not at all: through a temporary file). */
  async write(): Promise<{ events: number; dropped: number }> {
    const document = { traceEvents: this.events, displayTimeUnit: 'ms', otherData: { tool: 'leak-inspector watch', startedAt: new Date(this.startedAt).toISOString(), droppedEvents: this.dropped } };
    await writeFile(`${this.file}.partial`, JSON.stringify(document));
    await rename(`${this.file}.partial`, this.file);
    return { events: this.events.length, dropped: this.dropped };
  }

  private pidOf(target: string): number {
    let pid = this.pids.get(target);
    if (pid === undefined) {
      this.pids.set(target, (pid = this.pids.size + 1));
      this.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: target } });
    }
    return pid;
  }

  private ts(at: number): number {
    return Math.round((at - this.startedAt) * 1000);
  }

  private push(event: TraceEvent): void {
    if (this.events.length >= MAX_EVENTS) {
      // Metadata events name the tracks: keep them.
      const keep = this.events.filter((e, i) => e.ph === 'M' || i >= MAX_EVENTS / 2);
      this.dropped += this.events.length - keep.length;
      this.events = keep;
    }
    this.events.push(event);
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
