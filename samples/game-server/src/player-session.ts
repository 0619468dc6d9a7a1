/** One connected player: the socket, the heartbeat, the rate limit and who they are. */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { LeakSet } from './leaks';
import type { ClientMessage, ServerMessage } from './protocol';

export class PlayerGoneError extends Error {
  constructor(playerId: string | undefined) {
    super(`player ${playerId ?? '(anonymous)'} is no longer connected`);
  }
}

export interface SessionOptions {
  heartbeatMs: number;
  /** Messages per second allowed per connection (bursts of twice that); 0 turns the limit off. */
  rateLimit: number;
  leaks: LeakSet;
}

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;

export class PlayerSession {
  playerId: string | undefined;
  roomId: string | undefined;
  /** Fires `message:<type>` for every valid message and `close` once. */
  readonly events = new EventEmitter();
  private heartbeat: NodeJS.Timeout | undefined;
  private alive = true;
  private tokens: number;
  private lastRefill = Date.now();
  private rejectedInWindow = 0;

  constructor(
    readonly socket: WebSocket,
    private readonly options: SessionOptions,
  ) {
    this.tokens = options.rateLimit * 2;
    socket.on('pong', () => (this.alive = true));
    socket.once('close', () => {
      // LEAK(heartbeat): the interval outlives its connection, pinging a closed socket forever.
      if (!options.leaks.has('heartbeat')) clearInterval(this.heartbeat);
      this.events.emit('close');
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Starts ping/pong liveness checks: a connection that misses a pong is dropped. */
  startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      if (!this.alive) {
        this.socket.terminate();
        return;
      }
      this.alive = false;
      this.socket.ping();
    }, this.options.heartbeatMs);
  }

  /** Sends or throws PlayerGoneError: callers that must know the player got it use this. */
  send(message: ServerMessage): void {
    if (!this.isOpen) throw new PlayerGoneError(this.playerId);
    this.socket.send(JSON.stringify(message));
  }

  /** Best-effort send for broadcasts: a gone player simply misses it. */
  trySend(message: ServerMessage): boolean {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(code, reason);
  }

  /**
   * Token bucket. Returns false when the message must be dropped; a client that keeps
   * flooding at more than twice its allowance within a second is disconnected.
   */
  admit(): boolean {
    const { rateLimit } = this.options;
    if (rateLimit <= 0) return true;
    const now = Date.now();
    const elapsed = now - this.lastRefill;
    if (elapsed >= 1000) this.rejectedInWindow = 0;
    this.tokens = Math.min(rateLimit * 2, this.tokens + (elapsed * rateLimit) / 1000);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    if (++this.rejectedInWindow > rateLimit * 2) this.close(CLOSE_POLICY_VIOLATION, 'message flood');
    return false;
  }

  /**
   * Resolves when the player sends a message of `type`. Rejects if they disconnect or do
   * not answer within `timeoutMs`.
   */
  waitFor(type: ClientMessage['type'], timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.options.leaks.has('pending')) {
        // LEAK(pending): nothing settles this promise if the player never sends `type`
        // (they dropped): the awaiting handler and everything it holds stay forever.
        this.events.once(`message:${type}`, () => resolve());
        return;
      }
      if (!this.isOpen) return reject(new PlayerGoneError(this.playerId));
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off(`message:${type}`, onMessage);
        this.events.off('close', onClose);
      };
      const onMessage = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        reject(new PlayerGoneError(this.playerId));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`player ${this.playerId} did not send ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.once(`message:${type}`, onMessage);
      this.events.once('close', onClose);
    });
  }
}
