/**
 * The inspector's HTTP side: `/json/version` tells a Node.js inspector from other
 * servers, `/json/list` names the WebSocket URL of its session.
 */
import http from 'node:http';
import { AttachError } from './errors';
import { assertHostAllowed } from './hostPolicy';
import { errorMessage } from '../common/errors';
import { isRecord } from '../common/guards';

/** The inspector answers with a few hundred bytes; anything huge is not one. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface InspectorEndpoint {
  host: string;
  port: number;
}

export interface InspectorTarget {
  webSocketDebuggerUrl: string;
  /** Node sets the script path, or the process title followed by `[pid]`. */
  title: string;
}

export function endpointLabel({ host, port }: InspectorEndpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whether a Node.js inspector answers at the endpoint. Never throws. */
export async function isNodeInspector(endpoint: InspectorEndpoint, timeoutMs: number): Promise<boolean> {
  try {
    const version = await getJson(endpoint, '/json/version', timeoutMs);
    return isRecord(version) && typeof version.Browser === 'string' && version.Browser.startsWith('node.js/');
  } catch {
    return false;
  }
}

/**
 * The Node.js target listed at the endpoint. Its WebSocket URL must pass the host policy
 * as well: an endpoint could otherwise redirect us to any host.
 */
export async function fetchNodeTarget(
  endpoint: InspectorEndpoint,
  options: { timeoutMs: number; allowRemoteHosts: readonly string[] },
): Promise<InspectorTarget> {
  const label = endpointLabel(endpoint);
  const list = await getJson(endpoint, '/json/list', options.timeoutMs);
  const targets = Array.isArray(list) ? list.filter(isRecord) : [];
  const node = targets.find((target) => target.type === 'node' && typeof target.webSocketDebuggerUrl === 'string');
  if (!node) {
    const types = targets.map((target) => String(target.type)).join(', ') || 'none';
    throw new AttachError('NOT_INSPECTOR', `${label} lists no Node.js target in /json/list (target types: ${types})`);
  }
  const url = parseInspectorUrl(String(node.webSocketDebuggerUrl));
  if (!url) {
    throw new AttachError('NOT_INSPECTOR', `${label} lists a Node.js target without a usable ws:// URL`);
  }
  assertHostAllowed(url.hostname, options.allowRemoteHosts, `the inspector at ${label}`);
  return { webSocketDebuggerUrl: url.href, title: typeof node.title === 'string' ? node.title : '' };
}

/** A `ws://` URL (the inspector never speaks TLS), or undefined. */
export function parseInspectorUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'ws:' && url.hostname !== '' ? url : undefined;
  } catch {
    return undefined;
  }
}

function getJson(endpoint: InspectorEndpoint, path: string, timeoutMs: number): Promise<unknown> {
  const label = endpointLabel(endpoint);
  return new Promise((resolve, reject) => {
    // Settles once; destroying a request after its response began emits no 'error'.
    const fail = (error: AttachError) => {
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const notInspector = (what: string) => new AttachError('NOT_INSPECTOR', `${label} ${what}; it is not a Node.js inspector`);
    const request = http.get({ host: endpoint.host, port: endpoint.port, path, agent: false }, (response) => {
      if (response.statusCode !== 200) {
        fail(notInspector(`answered ${path} with HTTP ${response.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) fail(notInspector(`sent more than ${MAX_RESPONSE_BYTES} bytes for ${path}`));
        else chunks.push(chunk);
      });
      response.on('error', (error) => fail(networkError(label, error)));
      response.on('end', () => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(notInspector(`answered ${path} with something other than JSON`));
        }
      });
    });
    request.on('error', (error) => fail(networkError(label, error)));
    const timer = setTimeout(
      () => fail(new AttachError('TIMEOUT', `${label} did not answer ${path} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
}

function networkError(label: string, error: Error): AttachError {
  if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
    return new AttachError(
      'ECONNREFUSED',
      `nothing is listening on ${label} (connection refused). ` +
        `Start the process with --inspect=${label}, or attach by PID to switch its inspector on.`,
      { cause: error },
    );
  }
  return new AttachError('CONNECT_FAILED', `could not reach ${label}: ${errorMessage(error)}`, { cause: error });
}
