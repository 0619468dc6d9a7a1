/**
 * A real Prometheus server for the tests (the Debian `prometheus` binary): on a free loopback
 * port, with a temporary config and storage, scraping one target every second; killed when
 * the test ends. Queried through its HTTP API.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freeLoopbackPort } from '../../src/common/freePort';
import { spawnProcess, type Cleanup } from '../helpers/inspectedProcess';

const PROMETHEUS_BINARY = '/usr/bin/prometheus';
export const JOB = 'leak-inspector';

export interface Sample {
  metric: Record<string, string>;
  /** [unix seconds, value] pairs. */
  values: Array<[number, number]>;
}

export interface Prometheus {
  readonly url: string;
  /** Instant query: each series' current value. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** Range query with a 1 s step. */
  queryRange(promql: string, startS: number, endS: number): Promise<Sample[]>;
}

/** Starts Prometheus scraping `scrapeTarget` (host:port of a /metrics endpoint). */
export async function startPrometheus(t: Cleanup, scrapeTarget: string): Promise<Prometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-prometheus-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      `  - job_name: ${JOB}`,
      '    static_configs:',
      `      - targets: ['${scrapeTarget}']`,
      '',
    ].join('\n'),
  );
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnProcess(t, PROMETHEUS_BINARY, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((response) => response.ok, () => false);
    if (ready) break;
    if (child.child.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not become ready:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const api = async (endpoint: string, params: Record<string, string>) => {
    const response = await fetch(`${url}/api/v1/${endpoint}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: unknown[] } };
    if (body.status !== 'success') throw new Error(`prometheus ${endpoint} ${params.query}: ${body.error}`);
    return body.data.result;
  };
  return {
    url,
    async query(promql) {
      const result = (await api('query', { query: promql })) as Array<{ metric: Record<string, string>; value: [number, string] }>;
      return result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    },
    async queryRange(promql, startS, endS) {
      const result = (await api('query_range', { query: promql, start: String(startS), end: String(endS), step: '1' })) as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
      return result.map(({ metric, values }) => ({ metric, values: values.map(([at, value]) => [at, Number(value)] as [number, number]) }));
    },
  };
}
