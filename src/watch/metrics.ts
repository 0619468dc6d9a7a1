/**
 * The Prometheus metrics `watch` exports, every series labelled by `target` (as given to
 * `--inspect`) and, for per-thread values, `thread` (`main`, `worker-N`). Creation sites are
 * labelled `site="path:line"` for the top N sites of each thread only, the rest summed into
 * `site="other"`, so cardinality stays bounded however many sites a target has.
 */
import * as path from 'node:path';
import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';
import type { TimelineEntry } from '../protocol/agentSnapshot';
import { threadName } from '../presentation';
import type { AsyncSnapshotReport, SiteReport } from '../protocol/asyncSnapshot';
import type { Suspect, SuspectKind } from '../protocol/report';

/** Every kind, so `leak_inspector_suspects` has a series (0 when none) for each: dashboards see the kinds that are clean too. */
const SUSPECT_KINDS: readonly SuspectKind[] = ['async', 'listener', 'holder', 'promise-reactions', 'stuck-promise', 'heap-class'];
const SEVERITIES = ['low', 'medium', 'high'] as const;

const OTHER_SITE = 'other';

type Labels = Record<string, string>;

export class WatchMetrics {
  readonly registry = new Registry<RegistryContentType>();
  private readonly up = this.gauge('leak_inspector_target_up', 'Whether watch is attached to the target (1) or it is down (0).', ['target']);
  private readonly snapshots = new Counter({ name: 'leak_inspector_snapshots_total', help: 'Async-resource snapshots taken.', labelNames: ['target'], registers: [this.registry] });
  private readonly snapshotErrors = new Counter({ name: 'leak_inspector_snapshot_errors_total', help: 'Snapshots or attaches that failed.', labelNames: ['target'], registers: [this.registry] });
  private readonly resources = this.gauge('leak_inspector_async_resources', 'Live async resources by type (timers, sockets, servers, sampled pending promises).', ['target', 'thread', 'type']);
  private readonly siteResources = this.gauge('leak_inspector_site_async_resources', 'Live async resources of the top creation sites (site="path:line"); the other sites are summed into site="other".', ['target', 'thread', 'site', 'type']);
  private readonly siteScore = this.gauge('leak_inspector_site_leak_score', 'Leak score (0-100) of the top creation sites.', ['target', 'thread', 'site', 'type']);
  private readonly suspects = this.gauge('leak_inspector_suspects', 'Leak suspects of every thread by kind (async, listener, holder, promise-reactions, stuck-promise, heap-class) and severity.', ['target', 'kind', 'severity']);
  private readonly suspectScore = this.gauge('leak_inspector_suspect_score', 'Score (0-100) of the top suspects of each kind (site="path:line").', ['target', 'kind', 'site']);
  private readonly suspectCount = this.gauge('leak_inspector_suspect_count', 'Live things (resources, listeners, entries, reactions, promises) of the top suspects of each kind; the others summed into site="other".', ['target', 'kind', 'site']);
  private readonly stuckPromises = this.gauge('leak_inspector_stuck_promises', 'Pending promises that can never settle, from the last periodic census (--promise-census-every).', ['target']);
  private readonly pendingPromises = this.gauge('leak_inspector_pending_promises', 'Pending promises counted exactly by the last periodic census (--promise-census-every).', ['target']);
  private readonly capabilityWarnings = this.gauge('leak_inspector_capability_warning', 'A feature that cannot work on this target (1 while the warning holds), by warning code.', ['target', 'thread', 'code']);
  private readonly heapUsed = this.gauge('leak_inspector_heap_used_bytes', 'V8 heap in use.', ['target', 'thread']);
  private readonly heapTotal = this.gauge('leak_inspector_heap_total_bytes', 'V8 heap reserved.', ['target', 'thread']);
  private readonly loopDelay = this.gauge('leak_inspector_event_loop_delay_seconds', 'Event-loop delay over the last second, by percentile (50, 90, 99, max).', ['target', 'thread', 'percentile']);
  private readonly created = new Counter({ name: 'leak_inspector_async_resources_created_total', help: 'Async resources the target created (timers, sockets, requests; not promises).', labelNames: ['target', 'thread'], registers: [this.registry] });
  private readonly gcPauses = new Histogram({
    name: 'leak_inspector_gc_pause_seconds',
    help: 'Garbage-collection pauses in the target, by kind (minor, major, incremental, weakcb).',
    labelNames: ['target', 'thread', 'kind'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  private readonly stalls = new Counter({ name: 'leak_inspector_event_loop_stalls_total', help: 'Times the target event loop was blocked 50 ms or more.', labelNames: ['target', 'thread'], registers: [this.registry] });
  private readonly snapshotPauses = new Histogram({
    name: 'leak_inspector_snapshot_pause_seconds',
    help: 'How long each async-resource snapshot paused the target.',
    labelNames: ['target', 'thread'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly dumps = new Counter({ name: 'leak_inspector_dumps_total', help: 'Files written by threshold rules, by kind (snapshot, heapprofile, heapsnapshot).', labelNames: ['target', 'rule', 'kind'], registers: [this.registry] });
  readonly dumpsSkipped = new Counter({ name: 'leak_inspector_dumps_skipped_total', help: 'Rule firings that wrote nothing, by reason (cooldown, disk, error).', labelNames: ['target', 'rule', 'reason'], registers: [this.registry] });
  /** Per-target series of the gauges that are replaced on each snapshot (sites come and go). */
  private readonly current = new Map<string, Array<{ gauge: Gauge; labels: Labels }>>();
  /** Per-target event-loop delay series, kept between snapshots. */
  private readonly delaySeries = new Map<string, Map<string, Labels>>();

  constructor(
    private readonly topSites: number,
    /** Site paths are shown relative to this folder when inside it. */
    private readonly root: string,
  ) {}

  targetUp(target: string, up: boolean): void {
    this.up.set({ target }, up ? 1 : 0);
    // A down target's last readings would look current: drop them (counters stay).
    if (!up) {
      this.dropCurrent(target);
      this.stuckPromises.remove({ target });
      this.pendingPromises.remove({ target });
      for (const labels of this.delaySeries.get(target)?.values() ?? []) this.loopDelay.remove(labels);
      this.delaySeries.delete(target);
    }
  }

  snapshotFailed(target: string): void {
    this.snapshotErrors.inc({ target });
  }

  /** One snapshot of all of a target's threads, with their heap readings. */
  recordSnapshot(target: string, reports: Array<{ report: AsyncSnapshotReport; heap?: { usedSize: number; totalSize: number } }>): void {
    this.snapshots.inc({ target });
    this.dropCurrent(target);
    const series: Array<{ gauge: Gauge; labels: Labels }> = [];
    const set = (gauge: Gauge, labels: Labels, value: number) => {
      gauge.set(labels, value);
      series.push({ gauge, labels });
    };
    for (const { report, heap } of reports) {
      const thread = threadName(report.target.threadId);
      this.snapshotPauses.observe({ target, thread }, report.pauseMs / 1000);
      for (const [type, count] of Object.entries(report.totalsByType)) set(this.resources, { target, thread, type }, count ?? 0);
      for (const warning of report.warnings ?? []) set(this.capabilityWarnings, { target, thread: warning.thread ?? thread, code: warning.code }, 1);
      if (heap) {
        set(this.heapUsed, { target, thread }, heap.usedSize);
        set(this.heapTotal, { target, thread }, heap.totalSize);
      }
      for (const site of this.topSiteSeries(report.sites)) {
        const labels = { target, thread, site: site.site, type: site.type };
        set(this.siteResources, labels, site.count);
        if (site.score !== undefined) set(this.siteScore, labels, site.score);
      }
    }
    this.current.set(target, series);
  }

  /**
   * The report's ranked suspects of every kind (call after `recordSnapshot`, which clears the
   * previous ones): counts by kind and severity, and per kind the top N lines with their own
   * `site` label, the rest summed into `site="other"` (no score: a sum of scores means nothing).
   */
  recordSuspects(target: string, suspects: readonly Suspect[]): void {
    const series = this.current.get(target) ?? [];
    this.current.set(target, series);
    const set = (gauge: Gauge, labels: Labels, value: number) => {
      gauge.set(labels, value);
      series.push({ gauge, labels });
    };
    for (const kind of SUSPECT_KINDS) {
      const ofKind = suspects.filter((suspect) => suspect.kind === kind);
      for (const severity of SEVERITIES) set(this.suspects, { target, kind, severity }, ofKind.filter((suspect) => suspect.severity === severity).length);
      const top = new Map<string, { score: number; count: number }>();
      let other = 0;
      // Suspects come ranked: the first N distinct lines are the top ones.
      for (const suspect of ofKind) {
        const site = suspect.location ? `${this.displayPath(suspect.location.path)}:${suspect.location.line}` : undefined;
        const known = site === undefined ? undefined : top.get(site);
        if (site !== undefined && known) {
          known.count += suspect.count;
          known.score = Math.max(known.score, suspect.score);
        } else if (site !== undefined && top.size < this.topSites) {
          top.set(site, { score: suspect.score, count: suspect.count });
        } else {
          other += suspect.count;
        }
      }
      for (const [site, { score, count }] of top) {
        set(this.suspectScore, { target, kind, site }, score);
        set(this.suspectCount, { target, kind, site }, count);
      }
      if (other > 0) set(this.suspectCount, { target, kind, site: OTHER_SITE }, other);
    }
  }

  /** A periodic promise census's exact figures (kept until the next census). */
  recordPromiseCensus(target: string, census: { pending: number; stuck: number }): void {
    this.stuckPromises.set({ target }, census.stuck);
    this.pendingPromises.set({ target }, census.pending);
  }

  /** New timeline entries of one thread. */
  recordTimeline(target: string, threadId: number, entries: readonly TimelineEntry[]): void {
    const thread = threadName(threadId);
    let series = this.delaySeries.get(target);
    if (!series) this.delaySeries.set(target, (series = new Map()));
    for (const entry of entries) {
      if (entry.kind === 'gc') this.gcPauses.observe({ target, thread, kind: entry.gc }, entry.durationMs / 1000);
      else if (entry.kind === 'stall') this.stalls.inc({ target, thread });
      else if (entry.kind === 'sample') {
        this.created.inc({ target, thread }, entry.created);
        if (!entry.delayMs) continue;
        for (const [percentile, ms] of [['50', entry.delayMs.p50], ['90', entry.delayMs.p90], ['99', entry.delayMs.p99], ['max', entry.delayMs.max]] as const) {
          const labels = { target, thread, percentile };
          this.loopDelay.set(labels, ms / 1000);
          series.set(`${thread}\0${percentile}`, labels);
        }
      }
    }
  }

  /**
   * The top sites by score then count (the report's order), merged by `path:line` and type;
   * everything else summed per type into `site="other"` (no score: a sum of scores means nothing).
   */
  private topSiteSeries(sites: readonly SiteReport[]): Array<{ site: string; type: string; count: number; score?: number }> {
    const top = new Map<string, { site: string; type: string; count: number; score?: number }>();
    const other = new Map<string, number>();
    for (const site of sites) {
      const name = site.location ? `${this.displayPath(site.location.path)}:${site.location.line}` : undefined;
      const key = `${name}\0${site.type}`;
      const known = top.get(key);
      if (name && known) {
        known.count += site.count;
        known.score = Math.max(known.score ?? 0, site.score);
      } else if (name && top.size < this.topSites) {
        top.set(key, { site: name, type: site.type, count: site.count, score: site.score });
      } else {
        other.set(site.type, (other.get(site.type) ?? 0) + site.count);
      }
    }
    return [...top.values(), ...[...other].map(([type, count]) => ({ site: OTHER_SITE, type, count }))];
  }

  private displayPath(file: string): string {
    const relative = path.relative(this.root, file);
    return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
  }

  private dropCurrent(target: string): void {
    for (const { gauge, labels } of this.current.get(target) ?? []) gauge.remove(labels);
    this.current.delete(target);
  }

  private gauge(name: string, help: string, labelNames: string[]): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
