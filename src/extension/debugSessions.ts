/**
 * Which process a debug session runs. JavaScript debug sessions (`pwa-node`, `node`) launched
 * by VS Code do not say, and the one the user sees is often a child of the launch session, so:
 * ask the process itself (`process.pid` through the debug adapter's `evaluate`) in the session
 * and its child sessions, then fall back to what an attach configuration names, and for a launch
 * whose program's session has not started yet, wait for that child session.
 */
import * as vscode from 'vscode';

/** Debug types of VS Code's JavaScript debugger, whose launch sessions run the program in a child session. */
const JS_DEBUG_TYPES = new Set(['pwa-node', 'node', 'node-terminal']);
/** How long to wait for a launch session's child (the program's own session) to start. */
const CHILD_SESSION_TIMEOUT_MS = 10_000;

/** Keeps the running debug sessions, to find a session's children. */
export class DebugSessions implements vscode.Disposable {
  private readonly sessions = new Set<vscode.DebugSession>();
  private readonly subscriptions = [
    vscode.debug.onDidStartDebugSession((session) => this.sessions.add(session)),
    vscode.debug.onDidTerminateDebugSession((session) => this.sessions.delete(session)),
  ];

  constructor() {
    if (vscode.debug.activeDebugSession) this.sessions.add(vscode.debug.activeDebugSession);
  }

  childrenOf(parent: vscode.DebugSession): vscode.DebugSession[] {
    return [...this.sessions].filter((session) => session.parentSession?.id === parent.id);
  }

  /** The next child session of `parent` to start, or undefined after `timeoutMs` or when `parent` ends. */
  nextChildOf(parent: vscode.DebugSession, timeoutMs: number): Promise<vscode.DebugSession | undefined> {
    return new Promise((resolve) => {
      const finish = (child: vscode.DebugSession | undefined) => {
        clearTimeout(timer);
        started.dispose();
        ended.dispose();
        resolve(child);
      };
      const started = vscode.debug.onDidStartDebugSession((session) => session.parentSession?.id === parent.id && finish(session));
      const ended = vscode.debug.onDidTerminateDebugSession((session) => session.id === parent.id && finish(undefined));
      const timer = setTimeout(() => finish(undefined), timeoutMs);
    });
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/** A target spec (`pid:N`, `host:port` or ws:// URL) for the session's process, if it can be told. */
export async function pidOfDebugSession(session: vscode.DebugSession, sessions: DebugSessions): Promise<string | undefined> {
  const own = await evaluatePid(session);
  if (own !== undefined) return `pid:${own}`;
  // Listed after that answer: a child may start while the session is asked.
  for (const child of sessions.childrenOf(session)) {
    const pid = await evaluatePid(child);
    if (pid !== undefined) return `pid:${pid}`;
  }
  const config = session.configuration as { request?: string; processId?: unknown; port?: unknown; address?: unknown; websocketAddress?: unknown };
  if (config.request === 'attach') {
    const processId = Number(config.processId);
    if (Number.isSafeInteger(processId) && processId > 0) return `pid:${processId}`;
    if (typeof config.websocketAddress === 'string') return config.websocketAddress;
    if (typeof config.port === 'number') return `${typeof config.address === 'string' ? config.address : '127.0.0.1'}:${config.port}`;
  }
  // Run the moment a launch starts, the program's own session (a child) may not exist yet.
  if (JS_DEBUG_TYPES.has(session.type) && sessions.childrenOf(session).length === 0) {
    const deadline = Date.now() + CHILD_SESSION_TIMEOUT_MS;
    const child = await sessions.nextChildOf(session, CHILD_SESSION_TIMEOUT_MS);
    // A session that just started may not evaluate yet.
    for (let pid = child && (await evaluatePid(child)); child; pid = await evaluatePid(child)) {
      if (pid !== undefined) return `pid:${pid}`;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return undefined;
}

/**
 * How long a session may take to say its `process.pid`. A session that runs no code may never
 * answer: js-debug's top-level launch or attach session (the parent of the one the process runs
 * in) logs "Unknown request: evaluate" and leaves the request pending, which would hang the command.
 */
const EVALUATE_TIMEOUT_MS = 2000;

async function evaluatePid(session: vscode.DebugSession): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = (await Promise.race([
      session.customRequest('evaluate', { expression: 'process.pid', context: 'repl' }),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), EVALUATE_TIMEOUT_MS))),
    ])) as { result?: unknown } | undefined;
    const pid = Number(reply?.result);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // Not a JavaScript session, or one without a thread (a launch session's parent).
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
