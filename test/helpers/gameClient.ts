/** A scripted player for tests: a real `ws` client with "wait for the next message of type X". */
import { once } from 'node:events';
import WebSocket, { type ClientOptions } from 'ws';
import type { ServerMessage } from '../../samples/game-server/src/protocol';

type MessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

export class GameClient {
  readonly received: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: Array<{ type: string; resolve: (m: ServerMessage) => void }> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      const waiter = this.waiters.findIndex((w) => w.type === message.type);
      if (waiter >= 0) this.waiters.splice(waiter, 1)[0].resolve(message);
      else this.received.push(message);
    });
    this.closed = once(socket, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
    socket.on('error', () => {});
  }

  static async connect(url: string, options: ClientOptions = {}): Promise<GameClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...options });
    await once(socket, 'open');
    return new GameClient(socket);
  }

  static async login(url: string, playerId: string, options?: ClientOptions): Promise<GameClient> {
    const client = await GameClient.connect(url, options);
    client.send({ type: 'login', playerId });
    await client.next('welcome');
    return client;
  }

  send(message: object | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message of `type` (already received or still to come), within `timeoutMs`. */
  next<T extends ServerMessage['type']>(type: T, timeoutMs = 3000): Promise<MessageOf<T>> {
    const at = this.received.findIndex((m) => m.type === type);
    if (at >= 0) return Promise.resolve(this.received.splice(at, 1)[0] as MessageOf<T>);
    return new Promise((resolve, reject) => {
      const waiter = { type, resolve: (m: ServerMessage) => (clearTimeout(timer), resolve(m as MessageOf<T>)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no "${type}" message within ${timeoutMs} ms; got: ${this.received.map((m) => m.type).join(', ')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** A ping round trip: proves the server still serves this client. */
  async roundTrip(): Promise<void> {
    const t = Math.random();
    this.send({ type: 'ping', t });
    const pong = await this.next('pong');
    if (pong.t !== t) throw new Error(`pong for ${pong.t}, expected ${t}`);
  }

  close(): void {
    this.socket.terminate();
  }
}
