/**
 * `leak-inspector watch`: many targets polled on an interval, each in its own loop so a slow
 * or dead one does not hold the others back; metrics served to Prometheus; rules that dump;
 * the trace-event timeline. `stop()` finishes running dumps, then detaches from every target
 * (the agent is removed from each), writes the timeline and closes the endpoint.
 */
import type { PromiseTracking } from '../engine/agentConfig';
import type { InspectorOptions } from '../engine/inspectorSession';
import { Dumper, type DumpOptions } from './dumps';
import { MetricsExporter, type MetricsAddress } from './exporter';
import { WatchMetrics } from './metrics';
import { Rules, type RuleOptions } from './rules';
import { TraceTimeline } from './traceTimeline';
import { WatchedTarget, type WatchContext } from './watchedTarget';

export interface WatchOptions {
  targets: string[];
  intervalS: number;
  metrics?: MetricsAddress;
  /** Sites per thread exported with their own `site` label. */
  topSites: number;
  rules: RuleOptions;
  dumps?: DumpOptions;
  timelineFile?: string;
  attachOptions: InspectorOptions;
  promiseTracking?: PromiseTracking;
  /** Seconds between exact promise censuses (heap snapshots: each pauses the target). */
  promiseCensusEveryS?: number;
  /** Folder site paths are shown relative to. */
  root: string;
  log(line: string): void;
}

export class Watcher {
  readonly metrics: WatchMetrics;
  private readonly targets: WatchedTarget[];
  private readonly context: WatchContext;
  private exporter: MetricsExporter | undefined;
  private readonly stopping = new AbortController();
  private loops: Array<Promise<void>> = [];

  constructor(private readonly options: WatchOptions) {
    this.metrics = new WatchMetrics(options.topSites, options.root);
    this.context = {
      metrics: this.metrics,
      rules: new Rules(options.rules),
      dumper: options.dumps ? new Dumper(options.dumps, this.metrics, options.log) : undefined,
      trace: options.timelineFile ? new TraceTimeline(options.timelineFile) : undefined,
      attachOptions: options.attachOptions,
      promiseTracking: options.promiseTracking,
      promiseCensusEveryS: options.promiseCensusEveryS,
      log: options.log,
    };
    this.targets = options.targets.map((spec) => new WatchedTarget(spec, this.context));
  }

  /** Serves the metrics and starts polling; returns the metrics URL, if any. */
  async start(): Promise<string | undefined> {
    if (this.options.metrics) this.exporter = await MetricsExporter.listen(this.metrics.registry, this.options.metrics);
    this.loops = this.targets.map((target) => this.loop(target));
    return this.exporter?.url;
  }

  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    await Promise.all(this.loops);
    await this.context.dumper?.close();
    const problems: string[] = [];
    for (const target of this.targets) await target.detach().catch((error: Error) => problems.push(`${target.spec}: ${error.message}`));
    if (this.context.trace) {
      const { events, dropped } = await this.context.trace.write();
      this.options.log(`timeline: ${events} events written to ${this.options.timelineFile}${dropped ? ` (${dropped} oldest dropped)` : ''}`);
    }
    await this.exporter?.close();
    if (problems.length) throw new Error(`stopped, but detaching failed for ${problems.join('; ')}`);
  }

  private async loop(target: WatchedTarget): Promise<void> {
    const intervalMs = this.options.intervalS * 1000;
    while (!this.stopping.signal.aborted) {
      const started = Date.now();
      await target.poll();
      await sleep(Math.max(0, intervalMs - (Date.now() - started)), this.stopping.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
