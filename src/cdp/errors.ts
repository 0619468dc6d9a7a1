/**
 * The two ways talking to an inspector fails. `AttachError`: we never got a session
 * (bad target, refused host, process problems, unreachable endpoint). `CdpError`: a
 * session existed and a request or wait on it failed. Both carry a `code` to branch on
 * and a message that can be shown to the user as is.
 */

export type CdpErrorCode = 'PROTOCOL_ERROR' | 'TIMEOUT' | 'DISCONNECTED';

export class CdpError extends Error {
  override readonly name = 'CdpError';

  private constructor(
    readonly code: CdpErrorCode,
    /** Label of the target the session talks to. */
    readonly target: string,
    /** The CDP method, or awaited event, that failed. */
    readonly method: string,
    message: string,
    /** The error code the target answered with, for `PROTOCOL_ERROR`. */
    readonly protocolCode?: number,
  ) {
    super(message);
  }

  static protocol(target: string, method: string, protocolCode: number | undefined, detail: string): CdpError {
    const code = protocolCode === undefined ? '' : ` (CDP error ${protocolCode})`;
    return new CdpError('PROTOCOL_ERROR', target, method, `${method} failed on ${target}: ${detail}${code}`, protocolCode);
  }

  static timeout(target: string, method: string, timeoutMs: number): CdpError {
    return new CdpError('TIMEOUT', target, method, `${method} on ${target} timed out after ${timeoutMs} ms`);
  }

  static eventTimeout(target: string, event: string, timeoutMs: number): CdpError {
    return new CdpError('TIMEOUT', target, event, `no ${event} event from ${target} within ${timeoutMs} ms`);
  }

  /** The session closed while `method` was outstanding. */
  static closedWhileWaiting(target: string, method: string, reason: string): CdpError {
    return new CdpError('DISCONNECTED', target, method, `connection to ${target} closed while waiting for ${method} (${reason})`);
  }

  /** `method` was issued on a session that had already closed. */
  static alreadyClosed(target: string, method: string, reason: string): CdpError {
    return new CdpError('DISCONNECTED', target, method, `cannot send ${method}: connection to ${target} is closed (${reason})`);
  }
}

export type AttachErrorCode =
  /** The target string is not PORT, HOST:PORT, [IPv6]:PORT, ws://… or pid:PID. */
  | 'INVALID_TARGET'
  /** The host is neither loopback nor allow-listed. */
  | 'REMOTE_HOST_REFUSED'
  /** Nothing listens at the address. */
  | 'ECONNREFUSED'
  /** The endpoint did not answer in time. */
  | 'TIMEOUT'
  /** Any other network failure (DNS, reset, HTTP status on the WebSocket upgrade). */
  | 'CONNECT_FAILED'
  /** Something answered, but it is not a Node.js inspector. */
  | 'NOT_INSPECTOR'
  /** No process with that PID. */
  | 'ESRCH'
  /** The process belongs to another user. */
  | 'EPERM'
  /** The process is not Node.js, so it must not receive SIGUSR1 (which would kill it). */
  | 'NOT_NODE'
  /** The process was started with --disable-sigusr1. */
  | 'INSPECTOR_DISABLED'
  /** The inspector port the process would use is held by another process. */
  | 'PORT_BUSY'
  /** The process was signalled but no inspector came up. */
  | 'INSPECTOR_DID_NOT_START';

export class AttachError extends Error {
  override readonly name = 'AttachError';

  constructor(
    readonly code: AttachErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
