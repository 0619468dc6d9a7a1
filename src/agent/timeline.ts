/**
 * The target's timeline: event-loop delay percentiles, async resource creations and heap per
 * second, GC pauses, long stalls and our own snapshot pauses, in a bounded ring buffer that
 * each reader drains with its own cursor. Off until a session asks for it (`start`), and every
 * probe is undone by `stop`. Costs: one unref'd histogram timer (`monitorEventLoopDelay`), a
 * GC observer, and a few reads per second from the agent's housekeeping tick.
 */
import type { TimelineEntry, TimelineRead } from '../protocol/agentSnapshot';

const SAMPLE_MS = 1000;
/** Histogram timer resolution: coarser than Node's 10 ms default, for fewer wake-ups. */
const DELAY_RESOLUTION_MS = 20;
/** A housekeeping tick this much later than planned means the event loop was stuck. */
const STALL_MS = 50;
const CAPACITY = 4096;

interface DelayHistogram {
  enable(): void;
  disable(): void;
  reset(): void;
  percentile(p: number): number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly count?: number;
}

interface PerfHooks {
  monitorEventLoopDelay(options: { resolution: number }): DelayHistogram;
  PerformanceObserver: new (callback: (list: { getEntries(): GcEntry[] }) => void) => { observe(options: { entryTypes: string[] }): void; disconnect(): void };
  performance: { timeOrigin: number };
  constants: Record<string, number>;
}

interface GcEntry {
  startTime: number;
  duration: number;
  detail?: { kind?: number };
}

type GetBuiltin = (id: string) => unknown;

export class Timeline {
  private readonly ring: Array<TimelineEntry | undefined> = new Array(CAPACITY);
  /** Sequence number of the next entry; entry `seq` lives at `seq % CAPACITY`. */
  private next = 0;
  private histogram: DelayHistogram | undefined;
  private gcObserver: { disconnect(): void } | undefined;
  private asyncIdProbe: (() => number) | undefined;
  private heapStats: (() => { used_heap_size: number; total_heap_size: number }) | undefined;
  private lastSampleAt = 0;
  private lastAsyncId = 0;
  private lastTickAt = 0;
  private tickMs = 100;

  /** Where a new reader starts: the next entry. */
  get cursor(): number {
    return this.next;
  }

  get running(): boolean {
    return this.histogram !== undefined;
  }

  start(getBuiltin: GetBuiltin, tickMs: number): void {
    if (this.running) return;
    const perfHooks = getBuiltin('perf_hooks') as PerfHooks;
    const { AsyncResource } = getBuiltin('async_hooks') as { AsyncResource: new (type: string, options: object) => { asyncId(): number } };
    const v8 = getBuiltin('v8') as { getHeapStatistics(): { used_heap_size: number; total_heap_size: number } };
    this.histogram = perfHooks.monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.histogram.enable();
    // Every async resource Node creates (timers, sockets, requests) takes the next async id, so
    // the id counter's growth is the creation rate, read without any async hook.
    this.asyncIdProbe = () => new AsyncResource('LEAK_INSPECTOR_PROBE', { requireManualDestroy: true }).asyncId();
    this.heapStats = () => v8.getHeapStatistics();
    const origin = perfHooks.performance.timeOrigin;
    const kinds: Record<number, string> = {
      [perfHooks.constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
      [perfHooks.constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
      [perfHooks.constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
      [perfHooks.constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
    };
    const observer = new perfHooks.PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.push({ kind: 'gc', at: origin + entry.startTime, durationMs: entry.duration, gc: kinds[entry.detail?.kind ?? -1] ?? 'other' });
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    this.gcObserver = observer;
    this.lastSampleAt = this.lastTickAt = Date.now();
    this.lastAsyncId = this.asyncIdProbe();
    this.tickMs = tickMs;
  }

  /** From the agent's housekeeping interval. */
  tick(now: number): void {
    if (!this.histogram) return;
    const late = now - this.lastTickAt - this.tickMs;
    if (late >= STALL_MS) this.push({ kind: 'stall', at: now - late, durationMs: late });
    this.lastTickAt = now;
    if (now - this.lastSampleAt >= SAMPLE_MS) this.sample(now);
  }

  /** Our own snapshot's pause, so it is told apart from the program's stalls. */
  snapshotTaken(at: number, durationMs: number, liveResources: number): void {
    if (this.running) this.push({ kind: 'snapshot', at, durationMs, liveResources });
  }

  /** Entries since `cursor` (a sequence number); `dropped` counts those overwritten before being read. */
  read(cursor: number): Omit<TimelineRead, 'threadId'> {
    const first = Math.max(cursor, this.next - CAPACITY, 0);
    const entries: TimelineEntry[] = [];
    for (let seq = first; seq < this.next; seq++) entries.push(this.ring[seq % CAPACITY]!);
    return { entries, cursor: this.next, dropped: first - Math.max(cursor, 0) };
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
    this.gcObserver?.disconnect();
    this.gcObserver = undefined;
    this.asyncIdProbe = undefined;
    this.heapStats = undefined;
    this.ring.fill(undefined);
  }

  private sample(now: number): void {
    const histogram = this.histogram!;
    // The histogram times whole timer intervals: the delay is what exceeds the resolution.
    const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4 - DELAY_RESOLUTION_MS * 100) / 100);
    const asyncId = this.asyncIdProbe!();
    const heap = this.heapStats!();
    // No timer fired in the window (a stuck loop): the histogram is empty and reads as NaN.
    const seen = Number.isFinite(histogram.mean);
    this.push({
      kind: 'sample',
      at: now,
      durationMs: now - this.lastSampleAt,
      delayMs: seen
        ? { p50: ms(histogram.percentile(50)), p90: ms(histogram.percentile(90)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean) }
        : undefined,
      created: Math.max(0, asyncId - this.lastAsyncId - 1),
      heapUsed: heap.used_heap_size,
      heapTotal: heap.total_heap_size,
    });
    histogram.reset();
    this.lastAsyncId = asyncId;
    this.lastSampleAt = now;
  }

  private push(entry: TimelineEntry): void {
    this.ring[this.next % CAPACITY] = entry;
    this.next++;
  }
}
