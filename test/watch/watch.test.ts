/**
 * `leak-inspector watch` end to end, with real processes: the CLI attached to a leaking and a
 * leak-free sample server under bot load, scraped by a real Prometheus. The leaking site's
 * series rises for one and stays flat for the other; a score rule dumps once per cooldown and
 * the dumps open with our own readers; a killed target shows as down while the other is still
 * watched; SIGINT removes the agent; the timeline is a valid trace-event file.
 */
import type { InspectionReport } from '../../src/protocol/report';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { attach } from '../../src/cdp';
import { topAllocationSites, type SamplingHeapProfile } from '../../src/heap';
import type { HeapSummary } from '../../src/protocol/heap';
import { runBots, startSampleServer, type SampleServer } from '../../src/sample/sampleServer';
import { spawnProcess, type Cleanup } from '../helpers/inspectedProcess';
import { startPrometheus, JOB, type Prometheus } from './prometheus';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const AGENT = "globalThis[Symbol.for('leak-inspector.agent')]";
const HEARTBEAT_FILE = 'samples/game-server/src/player-session.ts';
const HEARTBEAT_SITE = `${HEARTBEAT_FILE}:${lineContaining(HEARTBEAT_FILE, 'this.heartbeat = setInterval(')}`;
const SCORE_RULE = 70;
const run = promisify(execFile);

function lineContaining(file: string, text: string): number {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes(text));
  assert.ok(index >= 0, `${text} not in ${file}`);
  return index + 1;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function startServer(t: Cleanup, leaks: string): Promise<{ server: SampleServer; inspect: string }> {
  const server = await startSampleServer({ leaks, nodeArgs: ['--inspect=127.0.0.1:0'] });
  t.after(() => server.stop(1000));
  return { server, inspect: new URL(server.inspectorUrl!).host };
}

/** The value of one series, or undefined while Prometheus has none. */
async function valueOf(prometheus: Prometheus, promql: string): Promise<number | undefined> {
  const [sample] = await prometheus.query(promql);
  return sample?.value;
}

test('watch: Prometheus sees the leak rise on one target and not the other, rules dump, dead targets go down, SIGINT detaches', { timeout: 180_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-watch-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dumpDir = path.join(dir, 'dumps');
  const timelineFile = path.join(dir, 'timeline.json');
  const leaky = await startServer(t, 'heartbeat');
  const clean = await startServer(t, 'none');

  const watch = spawnProcess(
    t,
    process.execPath,
    [CLI, 'watch', '--inspect', leaky.inspect, '--inspect', clean.inspect, '--interval', '1', '--metrics', '127.0.0.1:0', '--top-sites', '5',
      '--dump-dir', dumpDir, '--dump-on-score', String(SCORE_RULE), '--dump-cooldown', '600', '--profile-seconds', '1', '--allow-heap-snapshot',
      '--timeline', timelineFile],
    { cwd: ROOT },
  );
  const [, exporter] = await watch.waitForOutput(/metrics on (http:\/\/\S+)/, 15_000);
  await watch.waitForOutput(new RegExp(`attached to ${clean.inspect}`), 15_000);
  const prometheus = await startPrometheus(t, new URL(exporter).host);

  const bots = [leaky, clean].map(({ server }) => runBots({ url: server.wsUrl, players: 10, durationS: 40, dropRate: 0.3, paceMs: 50 }).catch(() => undefined));
  const startedS = Date.now() / 1000;

  await t.test('the exporter speaks both formats, and Prometheus scrapes it', async () => {
    await until('a successful scrape', async () => ((await valueOf(prometheus, `up{job="${JOB}"}`)) === 1 ? true : undefined));
    await until('a first snapshot', async () => ((await valueOf(prometheus, 'sum(leak_inspector_snapshots_total)')) ?? 0) >= 2 || undefined);
    const text = await (await fetch(exporter, { headers: { accept: 'text/plain' } })).text();
    assert.match(text, /^# TYPE leak_inspector_snapshots_total counter$/m);
    assert.match(text, /^# HELP leak_inspector_site_async_resources /m);
    const openMetrics = await fetch(exporter, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(openMetrics.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
    const body = await openMetrics.text();
    assert.match(body, /^# TYPE leak_inspector_snapshots counter$/m);
    assert.match(body, /^leak_inspector_snapshots_total\{target="[^"]+"\} \d+$/m);
    assert.match(body, /# EOF\n$/);
    // The OpenMetrics render must not leave the counters renamed for the next text scrape.
    assert.match(await (await fetch(exporter)).text(), /^# TYPE leak_inspector_snapshots_total counter$/m);
  });

  await t.test('the leaking site rises for the leaky server and stays flat for the clean one', async () => {
    const series = (target: string) => `leak_inspector_site_async_resources{target="${target}",site="${HEARTBEAT_SITE}"}`;
    await until('15 s of data', async () => (Date.now() / 1000 - startedS > 15 ? true : undefined), 40_000);
    const endS = Date.now() / 1000;
    // From 4 s in: the bots have all connected by then.
    const range = async (target: string) => {
      const [sample] = await prometheus.queryRange(series(target), startedS + 4, endS);
      assert.ok(sample, `no ${series(target)} in Prometheus`);
      return sample.values.map(([, value]) => value);
    };
    const rising = await range(leaky.inspect);
    const flat = await range(clean.inspect);
    t.diagnostic(`leaky ${HEARTBEAT_SITE}: ${rising.join(' ')}`);
    t.diagnostic(`clean ${HEARTBEAT_SITE}: ${flat.join(' ')}`);
    assert.ok(rising.length >= 8 && flat.length >= 8, 'a sample every second');
    assert.ok(rising.at(-1)! - rising[0] >= 30, `the leak grows: ${rising[0]} → ${rising.at(-1)}`);
    assert.ok(Math.max(...flat) <= 12, `at most one heartbeat per connected player (10): ${Math.max(...flat)}`);
    assert.ok(Math.abs(flat.at(-1)! - flat[0]) <= 10, `no growth: ${flat[0]} → ${flat.at(-1)}`);
    const [score] = await prometheus.query(`leak_inspector_site_leak_score{target="${leaky.inspect}",site="${HEARTBEAT_SITE}"}`);
    t.diagnostic(`leaky score ${score?.value}`);
    // Bounded cardinality: 5 named sites per thread at most, the rest under site="other".
    const named = await prometheus.query(`count by (target) (leak_inspector_site_async_resources{site!="other"})`);
    for (const { value } of named) assert.ok(value <= 5 * 2, `≤ 5 sites (× types sharing a line): ${value}`);
    assert.ok((await prometheus.query('leak_inspector_site_async_resources{site="other"}')).length > 0);
    for (const metric of ['leak_inspector_heap_used_bytes', 'leak_inspector_event_loop_delay_seconds{percentile="99"}', 'leak_inspector_gc_pause_seconds_count', 'leak_inspector_snapshot_pause_seconds_count']) {
      const targets = new Set((await prometheus.query(metric)).map((sample) => sample.metric.target));
      assert.deepEqual([...targets].sort(), [leaky.inspect, clean.inspect].sort(), `${metric} for both targets`);
    }
  });

  await t.test('the score rule dumps the leaky server once per cooldown; the dumps open with our readers', async () => {
    const dumped = (kind: string) => `leak_inspector_dumps_total{target="${leaky.inspect}",rule="site_score",kind="${kind}"}`;
    await until('all three dumps', async () => ((await valueOf(prometheus, dumped('heapsnapshot'))) === 1 ? true : undefined), 60_000);
    // The rule keeps firing every second; the cooldown (600 s) keeps it to one dump.
    await until('the rule firing again within the cooldown', async () => {
      const skipped = await valueOf(prometheus, `leak_inspector_dumps_skipped_total{target="${leaky.inspect}",reason="cooldown"}`);
      return skipped !== undefined && skipped >= 3 ? true : undefined;
    });
    for (const kind of ['snapshot', 'heapprofile', 'heapsnapshot']) assert.equal(await valueOf(prometheus, dumped(kind)), 1, kind);
    assert.equal((await prometheus.query(`leak_inspector_dumps_total{target="${clean.inspect}"}`)).length, 0, 'the clean server crosses no rule');
    const files = fs.readdirSync(dumpDir).sort();
    t.diagnostic(files.join(', '));
    assert.equal(files.length, 3, 'one snapshot JSON, one .heapprofile, one .heapsnapshot, no partial file');
    const file = (extension: string) => path.join(dumpDir, files.find((name) => name.endsWith(extension))!);
    assert.ok(files.every((name) => name.startsWith(`127.0.0.1_${new URL(`ws://${leaky.inspect}`).port}-main-site_score-`)), 'named after target, thread and rule');

    const { stdout: text } = await run(process.execPath, [CLI, 'snapshot', '--from', file('.json')], { cwd: ROOT });
    assert.match(text, new RegExp(`${HEARTBEAT_SITE.replace(/[.]/g, '\\.')}`), 'the text dump names the leaking site');
    const { stdout: json } = await run(process.execPath, [CLI, 'snapshot', '--from', file('.json'), '--json'], { cwd: ROOT });
    const document = JSON.parse(json) as InspectionReport;
    assert.equal(document.format, 'leak-inspector-report');
    assert.equal(document.schemaVersion, 2);
    assert.equal(document.producer, 'watch');
    assert.match(document.label ?? '', /^site_score: /, 'labelled with the rule that wrote it');
    assert.ok(document.threads[0].sites[0].score >= SCORE_RULE, 'the snapshot that crossed the rule');
    assert.ok(document.suspects[0].score >= SCORE_RULE, 'its top suspect too');

    const profile = JSON.parse(fs.readFileSync(file('.heapprofile'), 'utf8')) as SamplingHeapProfile;
    assert.ok(topAllocationSites(profile).length > 0, 'the heap profile has allocation sites');
    const { stdout: summary } = await run(process.execPath, [CLI, 'heap', 'summarize', file('.heapsnapshot'), '--json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    const sessions = (JSON.parse(summary) as HeapSummary).constructors.find((constructor) => constructor.name === 'PlayerSession');
    t.diagnostic(`heap snapshot: ${JSON.stringify(sessions)}`);
    assert.ok(sessions && sessions.count >= 50, 'the heap snapshot holds the sessions the leaked heartbeats retain');
  });

  await t.test('every query of the Grafana dashboard runs on Prometheus, and every panel shows data', async () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'media/grafana/leak-inspector-dashboard.json'), 'utf8')) as {
      templating: { list: Array<{ name: string; query: unknown }> };
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    assert.deepEqual(dashboard.templating.list.map((variable) => variable.name), ['datasource', 'target']);
    const grafana = (expr: string) => expr.replaceAll('$target', '.*').replaceAll('$__rate_interval', '10s').replaceAll('$__range', '5m');
    for (const panel of dashboard.panels) {
      let series = 0;
      for (const { expr } of panel.targets) series += (await prometheus.query(grafana(expr))).length;
      assert.ok(series > 0, `${panel.title}: no data`);
    }
  });

  await t.test('a killed target is down in the metrics; the other is still watched', async () => {
    clean.server.process.kill('SIGKILL');
    await until('the clean target down', async () => ((await valueOf(prometheus, `leak_inspector_target_up{target="${clean.inspect}"}`)) === 0 ? true : undefined));
    const snapshots = `leak_inspector_snapshots_total{target="${leaky.inspect}"}`;
    const before = (await valueOf(prometheus, snapshots))!;
    await until('more snapshots of the leaky target', async () => ((await valueOf(prometheus, snapshots))! >= before + 3 ? true : undefined));
    assert.equal(await valueOf(prometheus, `leak_inspector_target_up{target="${leaky.inspect}"}`), 1);
    assert.equal((await prometheus.query(`leak_inspector_async_resources{target="${clean.inspect}"}`)).length, 0, 'no stale readings of the dead target');
    assert.match(watch.output(), new RegExp(`${clean.inspect} is down`));
  });

  let restarted: SampleServer | undefined;
  await t.test('a target restarted on the same inspector port is attached again', async () => {
    restarted = await startSampleServer({ leaks: 'none', nodeArgs: [`--inspect=${clean.inspect}`] });
    t.after(() => restarted?.stop(1000));
    await until('the clean target up again', async () => ((await valueOf(prometheus, `leak_inspector_target_up{target="${clean.inspect}"}`)) === 1 ? true : undefined));
    assert.equal(watch.output().match(new RegExp(`attached to ${clean.inspect}`, 'g'))?.length, 2);
  });

  await t.test('SIGINT detaches: watch exits 0 and no target has an agent left', async () => {
    const exited = new Promise<number | null>((resolve) => watch.child.once('exit', (code) => resolve(code)));
    watch.child.kill('SIGINT');
    assert.equal(await exited, 0, watch.output());
    assert.match(watch.output(), /detached from every target/);
    for (const server of [leaky.server, restarted!]) {
      const observer = await attach(server.inspectorUrl!);
      try {
        const { result } = await observer.send('Runtime.evaluate', { expression: `typeof ${AGENT}`, returnByValue: true });
        assert.equal(result.value, 'undefined', `the agent is gone from ${server.inspectorUrl}`);
      } finally {
        await observer.close();
      }
    }
  });

  await t.test('the timeline is trace-event JSON with a process per target and the expected tracks', () => {
    const trace = JSON.parse(fs.readFileSync(timelineFile, 'utf8')) as { traceEvents: Array<{ name: string; ph: string; pid: number; tid: number; ts?: number; dur?: number; args?: Record<string, unknown> }> };
    const events = trace.traceEvents;
    const processes = new Map(events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => [e.args!.name as string, e.pid]));
    assert.deepEqual([...processes.keys()].sort(), [leaky.inspect, clean.inspect].sort());
    for (const [target, pid] of processes) {
      const mine = events.filter((e) => e.pid === pid);
      assert.ok(mine.some((e) => e.ph === 'M' && e.name === 'thread_name' && e.args!.name === 'main'), `${target}: a named main thread`);
      const names = new Set(mine.map((e) => `${e.ph} ${e.name}`));
      for (const track of ['C event loop delay (ms)', 'C async resources created (/s)', 'C async resources destroyed (/s)', 'C live async resources', 'C heap (MB)', 'X leak-inspector snapshot']) {
        assert.ok(names.has(track), `${target}: ${track} in ${[...names].join(', ')}`);
      }
      assert.ok(mine.some((e) => e.ph === 'X' && e.name.startsWith('GC (')), `${target}: GC pauses`);
    }
    for (const event of events) {
      assert.ok(['M', 'C', 'X'].includes(event.ph));
      if (event.ph === 'M') continue;
      assert.ok(Number.isFinite(event.ts) && event.ts! >= 0, `ts of ${event.name}`);
      if (event.ph === 'X') assert.ok(Number.isInteger(event.dur) && event.dur! > 0, `dur of ${event.name}`);
      if (event.ph === 'C') assert.ok(Object.values(event.args ?? {}).every((value) => Number.isFinite(value)), `counter values of ${event.name}`);
    }
    const live = events.filter((e) => e.ph === 'C' && e.name === 'live async resources' && e.pid === processes.get(leaky.inspect)).map((e) => e.args!.live as number);
    assert.ok(live.at(-1)! > live[0], `the leak shows on the timeline too: ${live[0]} → ${live.at(-1)}`);
  });

  await Promise.all(bots);
});

test('watch refuses to serve metrics on a non-loopback address unless allowed', async () => {
  await assert.rejects(run(process.execPath, [CLI, 'watch', '--inspect', '127.0.0.1:9', '--metrics', '0.0.0.0:0'], { cwd: ROOT }), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, /Refusing to serve metrics on 0\.0\.0\.0.*--allow-remote 0\.0\.0\.0/s);
    return true;
  });
});
