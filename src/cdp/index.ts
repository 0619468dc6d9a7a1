/**
 * Chrome DevTools Protocol client for Node.js inspectors: finding a target (port, URL or
 * PID), opening a typed session on it, and reaching its worker threads.
 *
 * Engine code: no editor API, so the CLI, the extension and a language server share it.
 *
 * Coexistence: Node lets several inspector sessions attach at once, and the user's own
 * debugger may be one of them. Nothing here disturbs another session: we never call
 * `Debugger.disable`, pause, resume, or release a worker held by `waitForDebuggerOnStart`,
 * and every `enable` we send is scoped to our session.
 */
export type { CdpConnection } from './connection';
export { AttachError, CdpError, type AttachErrorCode, type CdpErrorCode } from './errors';
export { listNodeProcesses, type NodeProcess } from './processes';
export type { CommandName, CommandResult, EventName, EventParams } from './protocol';
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  type CdpSession,
  type Disposable,
  type EventListener,
  type SendOptions,
  type SessionOptions,
  type WaitOptions,
} from './session';
export { attach, parseTargetSpec, resolveTarget, type AttachOptions, type ResolvedTarget, type TargetSpec } from './targets';
export { NodeWorkers, type WorkerSession } from './workers';
