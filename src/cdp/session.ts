/**
 * A CDP session: request/response bookkeeping, timeouts and typed events over some
 * message channel. The channel is a WebSocket for the main thread (connection.ts) and
 * `NodeWorker.sendMessageToWorker` for worker threads (workers.ts); both expose the
 * same `CdpSession` so callers treat every thread alike.
 */
import { errorMessage } from '../common/errors';
import { isRecord } from '../common/guards';
import { CdpError } from './errors';
import type { CommandName, CommandResult, EventName, EventParams, SendArgs } from './protocol';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface Disposable {
  dispose(): void;
}

export interface SendOptions {
  /** Overrides the session's request timeout; `Infinity` waits forever (e.g. heap snapshots). */
  timeoutMs?: number;
}

export interface WaitOptions<E extends EventName> {
  /** Defaults to the session's request timeout; `Infinity` waits forever. */
  timeoutMs?: number;
  /** Only resolve for events this accepts. */
  filter?: (params: EventParams<E>) => boolean;
}

export type EventListener<E extends EventName> = (params: EventParams<E>) => void;

export interface SessionOptions {
  /** Default timeout for each request, in ms. */
  requestTimeoutMs?: number;
  /**
   * Receives messages the session ignored (garbled input from the target) and errors thrown
   * by event listeners. Defaults to `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
}

export interface CdpSession {
  /** Names the target in error messages, e.g. `pid 1234 (127.0.0.1:9229)`. */
  readonly label: string;
  readonly isClosed: boolean;
  send<M extends CommandName>(method: M, ...args: SendArgs<M, SendOptions>): Promise<CommandResult<M>>;
  /** Subscribes to an event; dispose the result to unsubscribe. */
  on<E extends EventName>(event: E, listener: EventListener<E>): Disposable;
  off<E extends EventName>(event: E, listener: EventListener<E>): void;
  /** The next matching event; rejects with a `CdpError` on timeout or disconnect. */
  once<E extends EventName>(event: E, options?: WaitOptions<E>): Promise<EventParams<E>>;
  /** Called once when the session ends, with the reason. Called soon if it already has. */
  onDisconnected(listener: (reason: string) => void): Disposable;
  close(): Promise<void>;
}

interface PendingRequest {
  method: string;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

type AnyListener = (params: unknown) => void;

/** Longest excerpt of target-supplied text we put in messages. */
const MAX_QUOTED_CHARS = 300;

export abstract class ProtocolSession implements CdpSession {
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly listeners = new Map<string, Set<AnyListener>>();
  private readonly disconnectListeners = new Set<(reason: string) => void>();
  private closedReason: string | undefined;
  /** Released when the session ends. */
  protected readonly resources: Disposable[] = [];

  protected constructor(
    readonly label: string,
    private readonly options: SessionOptions,
  ) {}

  /** Delivers one serialized message to the target; rejects if it could not. */
  protected abstract transmit(message: string): Promise<void>;

  /** Releases the channel after `close()`. */
  protected abstract release(): Promise<void>;

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  send<M extends CommandName>(method: M, ...args: SendArgs<M, SendOptions>): Promise<CommandResult<M>> {
    const [params, options] = args as [object | undefined, SendOptions | undefined];
    if (this.closedReason !== undefined) {
      return Promise.reject(CdpError.alreadyClosed(this.label, method, this.closedReason));
    }
    const id = this.nextId++;
    const timeoutMs = options?.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<CommandResult<M>>((resolve, reject) => {
      const timer = this.startTimer(timeoutMs, () => {
        this.pending.delete(id);
        reject(CdpError.timeout(this.label, method, timeoutMs));
      });
      this.pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject, timer });
      this.transmit(JSON.stringify({ id, method, params: params ?? {} })).catch((error: unknown) => {
        this.settle(id, (request) => request.reject(CdpError.closedWhileWaiting(this.label, method, errorMessage(error))));
      });
    });
  }

  on<E extends EventName>(event: E, listener: EventListener<E>): Disposable {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as AnyListener);
    return { dispose: () => this.off(event, listener) };
  }

  off<E extends EventName>(event: E, listener: EventListener<E>): void {
    this.listeners.get(event)?.delete(listener as AnyListener);
  }

  once<E extends EventName>(event: E, options: WaitOptions<E> = {}): Promise<EventParams<E>> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        subscription.dispose();
        disconnect.dispose();
        settle();
      };
      const subscription = this.on(event, (params) => {
        if (!options.filter || options.filter(params)) finish(() => resolve(params));
      });
      const disconnect = this.onDisconnected((reason) =>
        finish(() => reject(CdpError.closedWhileWaiting(this.label, event, reason))),
      );
      const timer = this.startTimer(timeoutMs, () =>
        finish(() => reject(CdpError.eventTimeout(this.label, event, timeoutMs))),
      );
    });
  }

  onDisconnected(listener: (reason: string) => void): Disposable {
    const reason = this.closedReason;
    if (reason !== undefined) {
      let active = true;
      queueMicrotask(() => active && this.guard('disconnect', () => listener(reason)));
      return { dispose: () => (active = false) };
    }
    this.disconnectListeners.add(listener);
    return { dispose: () => this.disconnectListeners.delete(listener) };
  }

  async close(): Promise<void> {
    this.terminate('closed by client');
    await this.release();
  }

  /** Parses and routes one message from the target. Never throws: the target may be hostile. */
  protected receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.warn(`ignored a message from ${this.label} that is not JSON: ${quote(text)}`);
      return;
    }
    if (!isRecord(message)) {
      this.warn(`ignored a message from ${this.label} that is not an object: ${quote(text)}`);
    } else if (typeof message.id === 'number') {
      // Unknown ids are normally late answers to requests that timed out: nothing to do.
      this.settle(message.id, (request) => this.answer(request, message));
    } else if (typeof message.method === 'string') {
      this.dispatch(message.method, isRecord(message.params) ? message.params : undefined);
    } else {
      this.warn(`ignored a message from ${this.label} with neither id nor method: ${quote(text)}`);
    }
  }

  /** Ends the session: every pending request rejects now, then disconnect listeners run. */
  protected terminate(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    const requests = [...this.pending.values()];
    this.pending.clear();
    for (const request of requests) {
      clearTimeout(request.timer);
      request.reject(CdpError.closedWhileWaiting(this.label, request.method, reason));
    }
    this.listeners.clear();
    for (const resource of this.resources.splice(0)) resource.dispose();
    const listeners = [...this.disconnectListeners];
    this.disconnectListeners.clear();
    for (const listener of listeners) this.guard('disconnect', () => listener(reason));
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private startTimer(timeoutMs: number, onTimeout: () => void): NodeJS.Timeout | undefined {
    // setTimeout would turn Infinity into 1 ms.
    return Number.isFinite(timeoutMs) ? setTimeout(onTimeout, timeoutMs) : undefined;
  }

  private settle(id: number, action: (request: PendingRequest) => void): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    clearTimeout(request.timer);
    action(request);
  }

  private answer(request: PendingRequest, message: Record<string, unknown>): void {
    const { error, result } = message;
    if (error !== undefined) {
      const code = isRecord(error) && typeof error.code === 'number' ? error.code : undefined;
      const detail = isRecord(error) && typeof error.message === 'string' ? error.message : 'malformed error';
      request.reject(CdpError.protocol(this.label, request.method, code, quote(detail)));
    } else if (isRecord(result)) {
      request.resolve(result);
    } else {
      request.reject(CdpError.protocol(this.label, request.method, undefined, 'malformed response without a result'));
    }
  }

  private dispatch(method: string, params: Record<string, unknown> | undefined): void {
    const set = this.listeners.get(method);
    if (!set) return;
    for (const listener of [...set]) this.guard(method, () => listener(params));
  }

  /** A throwing listener must not break routing for the others. */
  private guard(what: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.warn(`a ${what} listener on ${this.label} threw: ${errorMessage(error)}`);
    }
  }

  protected warn(message: string): void {
    if (this.options.onWarning) this.options.onWarning(message);
    else process.emitWarning(message, 'CdpWarning');
  }
}

function quote(text: string): string {
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}
