/**
 * Which hosts we may open an inspector connection to. A CDP endpoint runs any code it
 * is sent, and a hostile one can feed us data; either way only loopback is safe by
 * default, and anything else must be named by the user.
 */
import { BlockList, isIP } from 'node:net';
import { AttachError } from './errors';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** `[::1]` → `::1`, `LocalHost.` → `localhost`. */
export function normalizeHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped, e.g. ::ffff:127.0.0.1) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const name = normalizeHost(host);
  if (name === 'localhost') return true;
  const family = isIP(name);
  return family !== 0 && loopback.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Throws `REMOTE_HOST_REFUSED` unless `host` is loopback or in `allowRemoteHosts`.
 * `via` says where the host came from when it was not typed by the user.
 */
export function assertHostAllowed(host: string, allowRemoteHosts: readonly string[], via?: string): void {
  const name = normalizeHost(host);
  if (isLoopbackHost(name) || allowRemoteHosts.some((allowed) => normalizeHost(allowed) === name)) return;
  const source = via ? `${via}, which points to ${host}` : host;
  throw new AttachError(
    'REMOTE_HOST_REFUSED',
    `Refusing to connect to ${source}: an inspector endpoint gives full control of the process it belongs to ` +
      `(remote code execution), so only loopback hosts (127.0.0.0/8, ::1, localhost) are allowed by default. ` +
      `If you trust ${name} and the network to it, allow it with --allow-remote ${name}.`,
  );
}
