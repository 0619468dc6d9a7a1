/**
 * Which process a debug session runs. JavaScript debug sessions (`pwa-node`, `node`) launched
 * by VS Code do not say, and the one the user sees is often a child of the launch session, so:
 * ask the process itself (`process.pid` through the debug adapter's `evaluate`) in the session
 * and its child sessions, then fall back to what an attach configuration names.
 */
import * as vscode from 'vscode';

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

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/** A target spec (`pid:N`, `host:port` or ws:// URL) for the session's process, if it can be told. */
export async function pidOfDebugSession(session: vscode.DebugSession, sessions: DebugSessions): Promise<string | undefined> {
  for (const candidate of [session, ...sessions.childrenOf(session)]) {
    const pid = await evaluatePid(candidate);
    if (pid !== undefined) return `pid:${pid}`;
  }
  const config = session.configuration as { request?: string; processId?: unknown; port?: unknown; address?: unknown; websocketAddress?: unknown };
  if (config.request !== 'attach') return undefined;
  const processId = Number(config.processId);
  if (Number.isSafeInteger(processId) && processId > 0) return `pid:${processId}`;
  if (typeof config.websocketAddress === 'string') return config.websocketAddress;
  if (typeof config.port === 'number') return `${typeof config.address === 'string' ? config.address : '127.0.0.1'}:${config.port}`;
  return undefined;
}

async function evaluatePid(session: vscode.DebugSession): Promise<number | undefined> {
  try {
    const reply = (await session.customRequest('evaluate', { expression: 'process.pid', context: 'repl' })) as { result?: unknown };
    const pid = Number(reply?.result);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // Not a JavaScript session, or one without a thread (a launch session's parent).
    return undefined;
  }
}
