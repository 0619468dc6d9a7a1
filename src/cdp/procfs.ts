/**
 * Linux /proc readers for finding a process's inspector. Each returns undefined when the
 * data cannot be read: another user's process, `hidepid`, or a process that just exited.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';

export interface ListeningSocket {
  /** The bound address as the kernel reports it, e.g. `127.0.0.1`, `0.0.0.0`, `::1`. */
  host: string;
  port: number;
}

const TCP_LISTEN = '0A';

export async function listPids(): Promise<number[]> {
  const entries = await readdir('/proc');
  return entries.filter((name) => /^\d+$/.test(name)).map(Number);
}

/** The process's argv; empty for kernel threads and zombies. */
export async function readArgv(pid: number): Promise<string[] | undefined> {
  const raw = await readText(`/proc/${pid}/cmdline`);
  if (raw === undefined) return undefined;
  return raw === '' ? [] : raw.replace(/\0$/, '').split('\0');
}

/** The variable as the process was started with it (later changes are not visible). */
export async function readEnvironmentVariable(pid: number, name: string): Promise<string | undefined> {
  const raw = await readText(`/proc/${pid}/environ`);
  const prefix = `${name}=`;
  return raw
    ?.split('\0')
    .find((entry) => entry.startsWith(prefix))
    ?.slice(prefix.length);
}

/** Path of the running executable. */
export async function readExecutable(pid: number): Promise<string | undefined> {
  try {
    return (await readlink(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/** TCP sockets the process itself listens on; undefined when its file descriptors are unreadable. */
export async function ownListeningSockets(pid: number): Promise<ListeningSocket[] | undefined> {
  const inodes = await socketInodes(pid);
  if (!inodes) return undefined;
  const tables = await Promise.all([readText(`/proc/${pid}/net/tcp`), readText(`/proc/${pid}/net/tcp6`)]);
  const sockets: ListeningSocket[] = [];
  for (const table of tables) {
    for (const line of table?.split('\n').slice(1) ?? []) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== TCP_LISTEN || !inodes.has(fields[9])) continue;
      const [address, port] = fields[1].split(':');
      sockets.push({ host: decodeAddress(address), port: parseInt(port, 16) });
    }
  }
  return sockets;
}

async function socketInodes(pid: number): Promise<Set<string> | undefined> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  const inodes = links.map((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1]).filter((inode) => inode !== undefined);
  return new Set(inodes);
}

/** /proc/net/tcp{,6} print addresses as 32-bit words in host byte order. */
function decodeAddress(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  if (endianness() === 'LE') for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  if (bytes.length === 4) return bytes.join('.');
  const isIPv4Mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes.readUInt16BE(10) === 0xffff;
  if (isIPv4Mapped) return bytes.subarray(12).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
