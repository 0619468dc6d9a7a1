/**
 * A pool of TCP connections to the key-value store, with acquire/release as in any
 * database driver. Idle connections are closed after `idleMs`, so an idle server holds none.
 * There is deliberately no acquire timeout: a caller that never releases starves everyone
 * queued behind it, which is exactly how a leaked pool connection shows up in production.
 */
import * as net from 'node:net';

export interface StorePoolOptions {
  host: string;
  port: number;
  maxConnections: number;
  idleMs: number;
  queryTimeoutMs: number;
}

export interface PoolStats {
  open: number;
  leased: number;
  idle: number;
  waiters: number;
}

interface StoreReply {
  id: number;
  ok: boolean;
  value?: string | number | null;
  error?: string;
}

export class StoreConnection {
  private nextId = 1;
  private buffered = '';
  private readonly pending = new Map<number, { resolve: (r: StoreReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  closed = false;
  idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly queryTimeoutMs: number,
    onClose: (conn: StoreConnection) => void,
  ) {
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      this.failAll(new Error('store connection closed'));
      onClose(this);
    });
  }

  static connect(options: StorePoolOptions, onClose: (conn: StoreConnection) => void): Promise<StoreConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(options.port, options.host);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new StoreConnection(socket, options.queryTimeoutMs, onClose));
      });
      socket.once('error', reject);
    });
  }

  async query(op: 'get' | 'set' | 'incr', key: string, value?: string): Promise<StoreReply['value']> {
    if (this.closed) throw new Error('store connection closed');
    const id = this.nextId++;
    const reply = await new Promise<StoreReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`store ${op} ${key} timed out after ${this.queryTimeoutMs} ms`));
      }, this.queryTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(JSON.stringify({ id, op, key, value }) + '\n');
    });
    if (!reply.ok) throw new Error(`store ${op} ${key} failed: ${reply.error}`);
    return reply.value;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const reply = JSON.parse(this.buffered.slice(0, newline)) as StoreReply;
      this.buffered = this.buffered.slice(newline + 1);
      const waiter = this.pending.get(reply.id);
      if (!waiter) continue;
      this.pending.delete(reply.id);
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    }
  }

  private failAll(error: Error): void {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(error);
    }
    this.pending.clear();
  }
}

export class StorePool {
  private readonly idle: StoreConnection[] = [];
  private readonly leased = new Set<StoreConnection>();
  private readonly waiters: Array<(conn: StoreConnection) => void> = [];
  private connecting = 0;
  private closed = false;

  constructor(private readonly options: StorePoolOptions) {}

  stats(): PoolStats {
    return { open: this.idle.length + this.leased.size, leased: this.leased.size, idle: this.idle.length, waiters: this.waiters.length };
  }

  async acquire(): Promise<StoreConnection> {
    if (this.closed) throw new Error('store pool is closed');
    const conn = this.idle.pop();
    if (conn) return this.lease(conn);
    if (this.hasCapacity()) return this.lease(await this.open());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(conn: StoreConnection): void {
    if (!this.leased.delete(conn)) return;
    if (conn.closed || this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.lease(conn));
      return;
    }
    conn.idleTimer = setTimeout(() => {
      this.idle.splice(this.idle.indexOf(conn), 1);
      conn.close();
    }, this.options.idleMs);
    this.idle.push(conn);
  }

  /** Runs `work` with a connection and always gives it back. */
  async use<T>(work: (conn: StoreConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    try {
      return await work(conn);
    } finally {
      this.release(conn);
    }
  }

  close(): void {
    this.closed = true;
    for (const conn of [...this.idle, ...this.leased]) {
      clearTimeout(conn.idleTimer);
      conn.close();
    }
    this.idle.length = 0;
    this.leased.clear();
  }

  private lease(conn: StoreConnection): StoreConnection {
    clearTimeout(conn.idleTimer);
    conn.idleTimer = undefined;
    this.leased.add(conn);
    return conn;
  }

  private hasCapacity(): boolean {
    return this.leased.size + this.idle.length + this.connecting < this.options.maxConnections;
  }

  private async open(): Promise<StoreConnection> {
    this.connecting++;
    try {
      return await StoreConnection.connect(this.options, (conn) => this.forget(conn));
    } finally {
      this.connecting--;
    }
  }

  /** A connection died (store restarted): drop it and let a waiter open a replacement. */
  private forget(conn: StoreConnection): void {
    clearTimeout(conn.idleTimer);
    this.leased.delete(conn);
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    const waiter = !this.closed && this.hasCapacity() ? this.waiters.shift() : undefined;
    if (waiter) {
      this.open().then(
        (fresh) => waiter(this.lease(fresh)),
        () => this.waiters.unshift(waiter),
      );
    }
  }
}
