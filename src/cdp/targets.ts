/**
 * From what the user typed to an open session.
 *
 * Target specs:
 * - `9229`: a port on 127.0.0.1. A bare number is always a port, never a PID: the two
 *   ranges overlap, so a PID is written `pid:1234` (the API also takes `{ pid }`, which
 *   is what a `--pid 1234` option should map to).
 * - `host:9229`, `[::1]:9229`: looked up over HTTP (`/json/list`).
 * - `ws://127.0.0.1:9229/<id>`: used as is.
 * - `pid:1234`: a local process; its inspector is found, or switched on (processes.ts).
 *
 * Hosts must be loopback unless allow-listed (hostPolicy.ts), including the WebSocket URL
 * an HTTP endpoint hands back.
 */
import { CdpConnection, DEFAULT_CONNECT_TIMEOUT_MS } from './connection';
import { AttachError } from './errors';
import { assertHostAllowed, normalizeHost } from './hostPolicy';
import { endpointLabel, fetchNodeTarget, parseInspectorUrl } from './inspectorHttp';
import { DEFAULT_INSPECTOR_HOST } from './inspectorFlags';
import { findProcessInspector } from './processes';
import type { SessionOptions } from './session';

export type TargetSpec = { wsUrl: string } | { host: string; port: number } | { pid: number };

export interface AttachOptions extends SessionOptions {
  /** Non-loopback hosts the user explicitly trusts (`--allow-remote HOST`). */
  allowRemoteHosts?: readonly string[];
  /** Limit for each step: HTTP lookup, switching a process's inspector on, connecting. */
  timeoutMs?: number;
}

export interface ResolvedTarget {
  webSocketDebuggerUrl: string;
  /** Names the target in messages: `127.0.0.1:9229`, `pid 1234 (127.0.0.1:41235)`. */
  label: string;
  /** Known when attached by PID. */
  pid?: number;
}

const SPEC_HELP = 'Use PORT, HOST:PORT, [IPv6]:PORT, ws://HOST:PORT/ID or pid:PID.';

export function parseTargetSpec(text: string): TargetSpec {
  const spec = text.trim();
  const pid = /^pid:(\d+)$/i.exec(spec);
  if (pid) return { pid: checkPid(Number(pid[1]), spec) };
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(spec)) {
    if (!parseInspectorUrl(spec)) throw new AttachError('INVALID_TARGET', `"${text}" is not a ws:// URL. ${SPEC_HELP}`);
    return { wsUrl: spec };
  }
  if (/^\d+$/.test(spec)) return { host: DEFAULT_INSPECTOR_HOST, port: checkPort(spec, text) };
  const hostPort = /^(?:\[([^\]\s]+)\]|([^:[\]\s/]+)):(\d+)$/.exec(spec);
  if (hostPort) return { host: hostPort[1] ?? hostPort[2], port: checkPort(hostPort[3], text) };
  throw new AttachError('INVALID_TARGET', `"${text}" is not a target. ${SPEC_HELP}`);
}

/** Finds the WebSocket URL of a target without connecting to it. */
export async function resolveTarget(target: string | TargetSpec, options: AttachOptions = {}): Promise<ResolvedTarget> {
  const spec = typeof target === 'string' ? parseTargetSpec(target) : target;
  const allowRemoteHosts = options.allowRemoteHosts ?? [];
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if ('pid' in spec) {
    const pid = checkPid(spec.pid, String(spec.pid));
    const inspector = await findProcessInspector(pid, { timeoutMs });
    return { webSocketDebuggerUrl: inspector.webSocketDebuggerUrl, label: `pid ${pid} (${endpointLabel(inspector)})`, pid };
  }
  if ('host' in spec) {
    const endpoint = { host: normalizeHost(spec.host), port: spec.port };
    assertHostAllowed(endpoint.host, allowRemoteHosts);
    const { webSocketDebuggerUrl } = await fetchNodeTarget(endpoint, { timeoutMs, allowRemoteHosts });
    return { webSocketDebuggerUrl, label: endpointLabel(endpoint) };
  }
  const url = parseInspectorUrl(spec.wsUrl);
  if (!url) throw new AttachError('INVALID_TARGET', `"${spec.wsUrl}" is not a ws:// URL. ${SPEC_HELP}`);
  assertHostAllowed(url.hostname, allowRemoteHosts);
  return { webSocketDebuggerUrl: url.href, label: url.host };
}

/** Resolves the target and opens a session on it. */
export async function attach(target: string | TargetSpec, options: AttachOptions = {}): Promise<CdpConnection> {
  const { allowRemoteHosts: _allow, timeoutMs, ...sessionOptions } = options;
  const resolved = await resolveTarget(target, options);
  return CdpConnection.connect(resolved.webSocketDebuggerUrl, {
    ...sessionOptions,
    label: resolved.label,
    connectTimeoutMs: timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  });
}

function checkPort(digits: string, text: string): number {
  const port = Number(digits);
  if (port >= 1 && port <= 65535) return port;
  throw new AttachError('INVALID_TARGET', `"${text}": port ${digits} is out of range (1-65535).`);
}

function checkPid(pid: number, text: string): number {
  if (Number.isSafeInteger(pid) && pid > 0) return pid;
  throw new AttachError('INVALID_TARGET', `"${text}" is not a process id.`);
}
