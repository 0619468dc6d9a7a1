/**
 * A CDP session over the inspector's WebSocket. It applies no host policy: go through
 * `attach()` (targets.ts), which refuses non-loopback hosts unless allow-listed.
 */
import WebSocket from 'ws';
import { AttachError } from './errors';
import { errorMessage } from '../common/errors';
import { ProtocolSession, type SessionOptions } from './session';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Heap snapshot chunks and large evaluation results arrive as single messages. */
const MAX_PAYLOAD_BYTES = 512 * 1024 * 1024;

/** How long `close()` waits for the closing handshake before dropping the socket. */
const CLOSE_GRACE_MS = 1_000;

export interface ConnectOptions extends SessionOptions {
  /** Names the target in errors; defaults to the URL. */
  label?: string;
  connectTimeoutMs?: number;
}

export class CdpConnection extends ProtocolSession {
  /** Socket error seen just before a close, to explain the disconnect. */
  private lastSocketError: string | undefined;

  private constructor(
    readonly url: string,
    private readonly socket: WebSocket,
    label: string,
    options: SessionOptions,
  ) {
    super(label, options);
    // binaryType is 'nodebuffer', so data is a Buffer; CDP only sends text frames.
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.warn(`ignored a binary frame from ${label}`);
      else this.receive(data.toString());
    });
    socket.on('error', (error) => (this.lastSocketError = error.message));
    socket.on('close', (code, reason) => this.terminate(closeReason(code, reason.toString(), this.lastSocketError)));
  }

  /** Opens a session; rejects with an `AttachError` if the socket cannot be opened in time. */
  static connect(url: string, options: ConnectOptions = {}): Promise<CdpConnection> {
    const { label = url, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS, ...sessionOptions } = options;
    return new Promise((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES });
      } catch (error) {
        reject(new AttachError('INVALID_TARGET', `${url} is not a WebSocket URL: ${errorMessage(error)}`, { cause: error }));
        return;
      }
      const timer = setTimeout(() => {
        reject(new AttachError('TIMEOUT', `connecting to ${label} timed out after ${connectTimeoutMs} ms`));
        socket.terminate();
      }, connectTimeoutMs);
      // Stays attached so a late error after a timeout is not an unhandled 'error' event.
      const onError = (error: Error) => {
        clearTimeout(timer);
        reject(connectError(label, error));
      };
      socket.on('error', onError);
      socket.once('open', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new CdpConnection(url, socket, label, sessionOptions));
      });
    });
  }

  protected transmit(message: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(message, (error) => (error ? reject(error) : resolve())));
  }

  protected async release(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.close(1000);
    const timer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }
}

function connectError(label: string, error: Error): AttachError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') {
    return new AttachError(
      'ECONNREFUSED',
      `could not connect to ${label}: connection refused. Is the process running with the inspector on that port?`,
      { cause: error },
    );
  }
  const status = /Unexpected server response: (\d+)/.exec(error.message)?.[1];
  if (status !== undefined) {
    return new AttachError(
      'CONNECT_FAILED',
      `could not connect to ${label}: the server answered HTTP ${status}. The id in an inspector URL changes ` +
        `whenever the process restarts; attach by host:port or PID to look it up.`,
      { cause: error },
    );
  }
  return new AttachError('CONNECT_FAILED', `could not connect to ${label}: ${error.message}`, { cause: error });
}

function closeReason(code: number, reason: string, socketError: string | undefined): string {
  const detail = [`code ${code}`, reason, socketError].filter(Boolean).join(', ');
  return `socket closed: ${detail}`;
}
