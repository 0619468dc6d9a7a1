/** Heap usage of one thread (`Runtime.getHeapUsage`), once or polled into a bounded history. */
import type { CdpSession } from '../cdp';

export interface HeapUsage {
  /** Bytes of the JS heap in use. */
  usedSize: number;
  /** Bytes the JS heap has reserved. */
  totalSize: number;
  /** `Date.now()` when the answer arrived. */
  takenAt: number;
}

/** One reading; cheap (no GC, no pause). */
export async function heapUsage(session: CdpSession): Promise<HeapUsage> {
  const { usedSize, totalSize } = await session.send('Runtime.getHeapUsage');
  return { usedSize, totalSize, takenAt: Date.now() };
}

export interface HeapUsageSamplerOptions {
  /** Time between readings (default 1000 ms). */
  intervalMs?: number;
  /** Readings kept; older ones are dropped (default 600). */
  capacity?: number;
  /** Receives failed readings (default: ignored). Sampling stops by itself once the session closes. */
  onError?: (error: Error) => void;
}

/**
 * Polls `heapUsage` into a ring buffer. One request at a time: the next reading is scheduled
 * when the previous one has settled, so a slow target never piles up requests. The timer is
 * unref'd (it never keeps the process alive) and `stop()` clears it.
 */
export class HeapUsageSampler {
  private readonly ring: HeapUsage[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly intervalMs: number;
  private readonly capacity: number;

  constructor(
    private readonly session: CdpSession,
    private readonly options: HeapUsageSamplerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.capacity = Math.max(1, Math.floor(options.capacity ?? 600));
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Takes a reading now, then one every interval. */
  start(): this {
    if (this.running) return this;
    this.running = true;
    this.poll();
    return this;
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Readings kept, oldest first. */
  samples(): HeapUsage[] {
    return this.ring.length < this.capacity ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  latest(): HeapUsage | undefined {
    if (this.ring.length === 0) return undefined;
    return this.ring[(this.next - 1 + this.ring.length) % this.ring.length];
  }

  private poll(): void {
    this.timer = undefined;
    if (!this.running) return;
    if (this.session.isClosed) return this.stop();
    heapUsage(this.session).then(
      (usage) => this.record(usage),
      (error: unknown) => this.options.onError?.(error instanceof Error ? error : new Error(String(error))),
    ).finally(() => {
      if (!this.running) return;
      if (this.session.isClosed) return this.stop();
      this.timer = setTimeout(() => this.poll(), this.intervalMs).unref();
    });
  }

  private record(usage: HeapUsage): void {
    if (!this.running) return;
    if (this.ring.length < this.capacity) this.ring.push(usage);
    else this.ring[this.next] = usage;
    this.next = (this.next + 1) % this.capacity;
  }
}
