/**
 * Local Node.js processes by PID: finding their inspector, and switching it on the way
 * VS Code's "Attach to Node Process" does (SIGUSR1 on POSIX, `process._debugProcess`
 * on Windows). Only processes whose executable is Node get the signal.
 *
 * Linux reads /proc: the command line, NODE_OPTIONS, the executable, and the TCP sockets
 * the process listens on, each probed with `/json/version`. That finds inspectors on
 * random ports (`--inspect=127.0.0.1:0`) and never mistakes another process's inspector
 * for this one. Probing sends a harmless `GET /json/version` to the process's other
 * listening ports too.
 *
 * Elsewhere (or for another user's process, whose sockets are unreadable) we probe the
 * port its command line names, or 9229, and accept the inspector there only after it
 * reports this PID as `process.pid`.
 */
import { connect as connectTcp } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CdpConnection } from './connection';
import { AttachError } from './errors';
import { endpointLabel, fetchNodeTarget, isNodeInspector, type InspectorEndpoint, type InspectorTarget } from './inspectorHttp';
import { DEFAULT_INSPECTOR_HOST, DEFAULT_INSPECTOR_PORT, parseInspectorFlags, type InspectorFlags } from './inspectorFlags';
import { isNodeProcess, listProcesses, programName, readProcessFacts, type ProcessFacts } from './processInfo';
import { ownListeningSockets } from './procfs';
import { errorMessage } from '../common/errors';

export const DEFAULT_ACTIVATION_TIMEOUT_MS = 5_000;
const PROBE_TIMEOUT_MS = 1_000;
const POLL_INTERVAL_MS = 100;

export interface NodeProcess {
  pid: number;
  /** For display; arguments are joined with spaces. */
  commandLine: string;
  /** Where its inspector listens: probed on Linux, as the command line declares elsewhere. */
  inspectorPort?: number;
  /** Present when the inspector answered. */
  webSocketDebuggerUrl?: string;
}

export interface ProcessInspector extends InspectorTarget, InspectorEndpoint {
  pid: number;
}

/** Node.js processes of this machine other than the current one, by PID. */
export async function listNodeProcesses(): Promise<NodeProcess[]> {
  const nodes = (await listProcesses()).filter((facts) => facts.pid !== process.pid && isNodeProcess(facts));
  const listed = await Promise.all(
    nodes.map(async (facts): Promise<NodeProcess> => {
      const entry = { pid: facts.pid, commandLine: facts.argv.join(' ') };
      if (process.platform !== 'linux') {
        const flags = flagsOf(facts);
        return flags.active ? { ...entry, inspectorPort: flags.port ?? DEFAULT_INSPECTOR_PORT } : entry;
      }
      // A process that exits or misbehaves meanwhile is listed without an inspector.
      const inspector = await findOwnedInspector(facts.pid, new Set()).catch(() => undefined);
      if (!inspector) return entry;
      return { ...entry, inspectorPort: inspector.port, webSocketDebuggerUrl: inspector.webSocketDebuggerUrl };
    }),
  );
  return listed.sort((a, b) => a.pid - b.pid);
}

/**
 * The inspector of a local process, switched on if it is off. Throws an `AttachError`:
 * ESRCH, EPERM, NOT_NODE, INSPECTOR_DISABLED, PORT_BUSY or INSPECTOR_DID_NOT_START.
 */
export async function findProcessInspector(
  pid: number,
  options: { timeoutMs?: number } = {},
): Promise<ProcessInspector> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ACTIVATION_TIMEOUT_MS;
  const signalable = mayBeSignalled(pid);
  const facts = await readProcessFacts(pid);
  const flags = flagsOf(facts);
  const notInspectors = new Set<string>();
  const running = await findRunningInspector(facts, flags, notInspectors);
  if (running) return running;

  const name = programName(facts);
  if (!isNodeProcess(facts)) {
    // SIGUSR1 terminates most programs other than Node.
    throw new AttachError(
      'NOT_NODE',
      `PID ${pid} (${name}) is not a Node.js process, or has no command line we can read, so it is not sent SIGUSR1 ` +
        `(which terminates most other programs). If it is Node.js under another name, start it with --inspect.`,
    );
  }
  if (flags.sigusr1Disabled) {
    throw new AttachError(
      'INSPECTOR_DISABLED',
      `PID ${pid} runs with --disable-sigusr1, so its inspector cannot be switched on from outside. ` +
        `Restart it with --inspect (e.g. --inspect=127.0.0.1:0).`,
    );
  }
  if (!signalable) {
    throw new AttachError(
      'EPERM',
      `not allowed to signal PID ${pid} (${name}) to switch its inspector on: it belongs to another user. ` +
        `Run as that user, or start it with --inspect.`,
    );
  }
  const expected = expectedEndpoint(flags);
  await assertPortFree(pid, expected);

  activateInspector(pid);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(POLL_INTERVAL_MS);
    if (!isAlive(pid)) throw new AttachError('ESRCH', `PID ${pid} exited while its inspector was being switched on`);
    const started = await findRunningInspector(facts, flags, notInspectors);
    if (started) return started;
  }
  await assertPortFree(pid, expected);
  throw new AttachError(
    'INSPECTOR_DID_NOT_START',
    `sent ${process.platform === 'win32' ? '_debugProcess' : 'SIGUSR1'} to PID ${pid}, ` +
      `but no inspector answered within ${timeoutMs} ms. ` +
      `The process may handle SIGUSR1 itself or be built without the inspector; start it with --inspect instead.`,
  );
}

/** Whether we may signal the process (false: another user's); throws ESRCH if there is none. */
function mayBeSignalled(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new AttachError('ESRCH', `no process with PID ${pid}`, { cause: error });
    if (code === 'EPERM') return false;
    throw error;
  }
}

function flagsOf(facts: ProcessFacts): InspectorFlags {
  return parseInspectorFlags(facts.argv, facts.nodeOptions);
}

/**
 * On Linux with readable sockets, the inspector among the process's own listening ports.
 * Otherwise the expected port, if the inspector there says it is this PID.
 * `notInspectors` remembers ports that answered as something else, across polls.
 */
async function findRunningInspector(
  facts: ProcessFacts,
  flags: InspectorFlags,
  notInspectors: Set<string>,
): Promise<ProcessInspector | undefined> {
  if (process.platform === 'linux') {
    const owned = await findOwnedInspector(facts.pid, notInspectors);
    if (owned !== null) return owned;
  }
  const expected = expectedEndpoint(flags);
  if (expected.port === 0 || !(await isNodeInspector(expected, PROBE_TIMEOUT_MS))) return undefined;
  try {
    const target = await fetchNodeTarget(expected, { timeoutMs: PROBE_TIMEOUT_MS, allowRemoteHosts: [expected.host] });
    return (await reportsPid(target.webSocketDebuggerUrl, facts.pid)) ? { ...target, ...expected, pid: facts.pid } : undefined;
  } catch {
    // Not confirmed as this process's inspector; the port then counts as busy.
    return undefined;
  }
}

/** The inspector among the sockets the process listens on; null when those are unreadable. */
async function findOwnedInspector(pid: number, notInspectors: Set<string>): Promise<ProcessInspector | undefined | null> {
  const sockets = await ownListeningSockets(pid);
  if (!sockets) return null;
  const endpoints = sockets
    .map((socket) => ({ host: connectableHost(socket.host), port: socket.port }))
    .filter((endpoint) => !notInspectors.has(endpointLabel(endpoint)));
  const answers = await Promise.all(endpoints.map((endpoint) => isNodeInspector(endpoint, PROBE_TIMEOUT_MS)));
  for (const [i, endpoint] of endpoints.entries()) {
    if (!answers[i]) {
      notInspectors.add(endpointLabel(endpoint));
      continue;
    }
    // The address is one this machine's process bound, so it is local even if not loopback.
    const target = await fetchNodeTarget(endpoint, { timeoutMs: PROBE_TIMEOUT_MS, allowRemoteHosts: [endpoint.host] });
    return { ...target, ...endpoint, pid };
  }
  return undefined;
}

/** Without /proc we cannot tell whose inspector a port is; the process can. */
async function reportsPid(webSocketDebuggerUrl: string, pid: number): Promise<boolean> {
  const connection = await CdpConnection.connect(webSocketDebuggerUrl, { connectTimeoutMs: PROBE_TIMEOUT_MS });
  try {
    const { result } = await connection.send(
      'Runtime.evaluate',
      { expression: 'process.pid', returnByValue: true },
      { timeoutMs: PROBE_TIMEOUT_MS },
    );
    return result.value === pid;
  } finally {
    await connection.close();
  }
}

function expectedEndpoint(flags: InspectorFlags): InspectorEndpoint {
  return { host: connectableHost(flags.host ?? DEFAULT_INSPECTOR_HOST), port: flags.port ?? DEFAULT_INSPECTOR_PORT };
}

/** A wildcard bind accepts connections on loopback. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/**
 * Called once the process's own inspector was not found at `endpoint`: anything that
 * accepts connections there belongs to someone else and keeps the inspector from binding.
 */
async function assertPortFree(pid: number, endpoint: InspectorEndpoint): Promise<void> {
  if (endpoint.port === 0 || !(await acceptsConnections(endpoint))) return;
  throw new AttachError(
    'PORT_BUSY',
    `port ${endpointLabel(endpoint)} is already in use by another process, so PID ${pid} cannot open its inspector there. ` +
      `Free the port, or start the process with --inspect-port=0 (any free port) or --inspect=127.0.0.1:0.`,
  );
}

function acceptsConnections({ host, port }: InspectorEndpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port, timeout: PROBE_TIMEOUT_MS });
    const finish = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

function activateInspector(pid: number): void {
  try {
    if (process.platform === 'win32') (process as unknown as { _debugProcess(pid: number): void })._debugProcess(pid);
    else process.kill(pid, 'SIGUSR1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const options = { cause: error };
    if (code === 'ESRCH') throw new AttachError('ESRCH', `PID ${pid} exited before its inspector could be switched on`, options);
    if (code === 'EPERM') throw new AttachError('EPERM', `not allowed to signal PID ${pid}`, options);
    const message = `could not switch on the inspector of PID ${pid}: ${errorMessage(error)}`;
    throw new AttachError('INSPECTOR_DID_NOT_START', message, options);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
