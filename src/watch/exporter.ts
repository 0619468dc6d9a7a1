/**
 * The HTTP endpoint Prometheus scrapes: `GET /metrics` in the OpenMetrics format when the
 * scraper asks for it (Prometheus does), the Prometheus text format otherwise. Loopback only
 * unless the host is named with `--allow-remote`: the metrics name the processes, files and
 * lines of the targets.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, type RegistryContentType } from 'prom-client';
import { isLoopbackHost, normalizeHost } from '../cdp/hostPolicy';

export interface MetricsAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:9464`, `[::1]:9464`, `localhost:0`; a bare port means 127.0.0.1. */
export function parseMetricsAddress(spec: string, allowRemoteHosts: readonly string[]): MetricsAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(spec) ?? /^()()(\d+)$/.exec(spec);
  if (!match) throw new Error(`--metrics wants HOST:PORT (e.g. 127.0.0.1:9464), got ${spec}`);
  const host = match[1] || match[2] || '127.0.0.1';
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`--metrics port out of range: ${spec}`);
  if (!isLoopbackHost(host) && !allowRemoteHosts.some((allowed) => normalizeHost(allowed) === normalizeHost(host))) {
    throw new Error(
      `Refusing to serve metrics on ${host}: they name the watched processes and their source files, so only loopback ` +
        `addresses are allowed by default. If every host that can reach ${host} may read them, allow it with --allow-remote ${normalizeHost(host)}.`,
    );
  }
  return { host, port };
}

export class MetricsExporter {
  private readonly server: http.Server;
  /** Renders one at a time: the OpenMetrics render renames counters while it runs (see `render`). */
  private rendering: Promise<unknown> = Promise.resolve();

  private constructor(private readonly registry: Registry<RegistryContentType>) {
    this.server = http.createServer((request, response) => void this.handle(request, response));
  }

  static async listen(registry: Registry<RegistryContentType>, address: MetricsAddress): Promise<MetricsExporter> {
    const exporter = new MetricsExporter(registry);
    exporter.server.listen(address.port, address.host);
    await once(exporter.server, 'listening');
    return exporter;
  }

  /** `http://host:port/metrics`, with the port actually bound (for `:0`). */
  get url(): string {
    const { address, port, family } = this.server.address() as AddressInfo;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}/metrics`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (pathname !== '/metrics') return void response.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
    const openMetrics = /application\/openmetrics-text/.test(request.headers.accept ?? '');
    try {
      const body = await this.render(openMetrics);
      response.writeHead(200, { 'content-type': openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
    }
  }

  /**
   * prom-client renders OpenMetrics by stripping `_total` from counter names in place (the
   * family name; samples get it back), which would leave the Prometheus text format without it
   * afterwards: the names are put back after each OpenMetrics render.
   */
  private render(openMetrics: boolean): Promise<string> {
    const run = async () => {
      if (!openMetrics) return this.registry.metrics();
      const counters = this.registry.getMetricsAsArray().filter((metric) => String(metric.type) === 'counter') as unknown as Array<{ name: string }>;
      const names = counters.map((counter) => counter.name);
      this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
      try {
        return await this.registry.metrics();
      } finally {
        this.registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
        counters.forEach((counter, i) => (counter.name = names[i]));
      }
    };
    const result = this.rendering.then(run, run);
    this.rendering = result.catch(() => undefined);
    return result;
  }
}
