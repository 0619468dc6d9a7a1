/**
 * The game server: WebSocket players on an HTTP server, a lobby with matchmaking into
 * two-player rooms, the store pool and the ranking RPC. Every message is handled inside
 * `requestContext`, so async work carries `{ playerId, roomId, protocol }`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Battle, battles } from './battle';
import { requestContext } from './context';
import { LEAK_NAMES, type LeakSet } from './leaks';
import { CLOSE_GOING_AWAY, PlayerSession } from './player-session';
import { announce, presence, type Announcement } from './presence';
import { ProtocolError, parseClientMessage, type ClientMessage, type ErrorCode, type ServerMessage } from './protocol';
import { RankingClient } from './ranking-client';
import { isCurrentToken, issueReconnectToken, reconnectTokens } from './reconnect';
import { StorePool } from './store-pool';

export interface GameServerOptions {
  host: string;
  port: number;
  leaks: LeakSet;
  heartbeatMs: number;
  tickMs: number;
  matchTimeoutMs: number;
  readyTimeoutMs: number;
  rateLimit: number;
  maxPayload: number;
  poolSize: number;
  storePort: number;
  rankingPort: number;
}

/** Close code for a connection taken over by a reconnect of the same player. */
const CLOSE_REPLACED = 4000;

export class GameServer {
  private readonly http = http.createServer((req, res) => this.serveHttp(req, res));
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<PlayerSession>();
  private readonly online = new Map<string, PlayerSession>();
  private readonly lobbyQueue: PlayerSession[] = [];
  private readonly pool: StorePool;
  private readonly ranking: RankingClient;
  private readonly startedAt = Date.now();
  private logins = 0;
  private pendingReadyChecks = 0;
  private battlesFinished = 0;
  private messages = 0;
  private readonly replies: Partial<Record<ServerMessage['type'], number>> = {};
  /** Settles at shutdown: message handlers stop waiting for their work then. Pending until then. */
  private readonly stopping: Promise<undefined>;
  private settleStopping!: () => void;
  /** Handlers still running, each with the function that ends its wait at shutdown. */
  private readonly inFlight = new Set<() => void>();
  private shutdownReactions = 0;

  constructor(private readonly options: GameServerOptions) {
    this.wss = new WebSocketServer({ server: this.http, maxPayload: options.maxPayload });
    this.wss.on('connection', (socket) => this.accept(socket));
    this.pool = new StorePool({ host: '127.0.0.1', port: options.storePort, maxConnections: options.poolSize, idleMs: 1000, queryTimeoutMs: 2000 });
    this.ranking = new RankingClient({ port: options.rankingPort, pollWaitMs: 1000, requestTimeoutMs: 3000, maxBackoffMs: 2000 });
    this.stopping = new Promise((resolve) => (this.settleStopping = () => resolve(undefined)));
  }

  async listen(): Promise<AddressInfo> {
    this.http.listen(this.options.port, this.options.host);
    await once(this.http, 'listening');
    return this.http.address() as AddressInfo;
  }

  /** Counters that tests and the demo read from `GET /debug/stats`. */
  stats() {
    const activeResources: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) activeResources[type] = (activeResources[type] ?? 0) + 1;
    const byState: Record<string, number> = {};
    for (const battle of battles.values()) byState[battle.state] = (byState[battle.state] ?? 0) + 1;
    return {
      uptimeMs: Date.now() - this.startedAt,
      leaks: LEAK_NAMES.filter((name) => this.options.leaks.has(name)),
      connections: this.sessions.size,
      playersOnline: this.online.size,
      logins: this.logins,
      lobbyQueue: this.lobbyQueue.length,
      battles: battles.size,
      battlesByState: byState,
      battlesFinished: this.battlesFinished,
      pendingReadyChecks: this.pendingReadyChecks,
      rankWatches: this.ranking.activeWatches,
      messages: this.messages,
      replies: this.replies,
      /** Lobby-feed listeners on the `presence` bus: one per online player. */
      presenceListeners: presence.listenerCount('broadcast'),
      /** Entries of the module-level `reconnectTokens` Map: one per online player. */
      reconnectTokens: reconnectTokens.size,
      /** Reactions added to the pending `stopping` promise (they go only when it settles). */
      shutdownReactions: this.shutdownReactions,
      handlersInFlight: this.inFlight.size,
      pool: this.pool.stats(),
      activeResources,
      heapUsedBytes: process.memoryUsage().heapUsed,
    };
  }

  /** Stops accepting, says goodbye to every player and releases everything we hold. */
  async shutdown(): Promise<void> {
    this.wss.close();
    this.http.close();
    this.settleStopping();
    for (const stopWaiting of this.inFlight) stopWaiting();
    for (const session of this.sessions) session.close(CLOSE_GOING_AWAY, 'server shutting down');
    for (const battle of battles.values()) battle.end(null, 'server shutdown');
    this.pool.close();
    this.ranking.close();
    const closing = [...this.sessions].map((session) => once(session.events, 'close'));
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  private serveHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'GET' && req.url === '/debug/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.stats()));
    } else if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: connect with a WebSocket client\n');
    }
  }

  private accept(socket: WebSocket): void {
    const session = new PlayerSession(socket, { heartbeatMs: this.options.heartbeatMs, rateLimit: this.options.rateLimit, leaks: this.options.leaks });
    this.sessions.add(session);
    // Protocol violations (oversize frames, bad opcodes) close the socket; log nothing noisy.
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => this.onFrame(session, data, isBinary));
    session.events.once('close', () =>
      requestContext.run({ playerId: session.playerId, roomId: session.roomId, protocol: 'disconnect' }, () => this.onClose(session)),
    );
  }

  private onFrame(session: PlayerSession, data: RawData, isBinary: boolean): void {
    if (!session.admit()) return this.replyError(session, 'rate_limited', 'too many messages: slow down');
    if (isBinary) return this.replyError(session, 'binary_not_supported', 'send JSON text frames');
    let message: ClientMessage;
    try {
      message = parseClientMessage(data.toString());
    } catch (error) {
      if (error instanceof ProtocolError) return this.replyError(session, error.code, error.message);
      throw error;
    }
    this.messages++;
    requestContext.run({ playerId: session.playerId, roomId: session.roomId, protocol: message.type }, () => void this.dispatch(session, message));
  }

  /** Handles one message and counts its reply; a shutdown ends the wait for a slow handler. */
  private async dispatch(session: PlayerSession, message: ClientMessage): Promise<void> {
    try {
      const reply = await this.untilShutdown(this.handle(session, message));
      if (reply) this.replies[reply.type] = (this.replies[reply.type] ?? 0) + 1;
    } catch (error) {
      if (error instanceof ProtocolError) this.replyError(session, error.code, error.message);
      else console.error(`error handling ${message.type} for ${session.playerId}:`, error);
    }
  }

  /** The result of `work`, or undefined as soon as the server shuts down. */
  private untilShutdown<T>(work: Promise<T>): Promise<T | undefined> {
    if (this.options.leaks.has('reactions')) {
      // LEAK(reactions): each race adds a reaction to `stopping`, which stays pending for the
      // server's life, and each reaction keeps its race's result (this message's reply) until
      // then (nodejs/node#17469). The correct branch below forgets its waiter once work is done.
      this.shutdownReactions++;
      return Promise.race([work, this.stopping]);
    }
    return new Promise((resolve, reject) => {
      const stopWaiting = () => resolve(undefined);
      this.inFlight.add(stopWaiting);
      work.then(
        (result) => (this.inFlight.delete(stopWaiting), resolve(result)),
        (error: unknown) => (this.inFlight.delete(stopWaiting), reject(error)),
      );
    });
  }

  /** Handles one message; resolves with the direct reply sent, if any. */
  private async handle(session: PlayerSession, message: ClientMessage): Promise<ServerMessage | undefined> {
    if (message.type === 'ping') return this.reply(session, { type: 'pong', t: message.t });
    if (message.type === 'login') return this.login(session, message.playerId, message.reconnectToken);
    if (!session.playerId) throw new ProtocolError('not_logged_in', `log in before sending ${message.type}`);
    session.events.emit(`message:${message.type}`);
    switch (message.type) {
      case 'queue':
        return this.enqueue(session);
      case 'ready':
        return undefined;
      case 'attack': {
        const battle = session.roomId ? battles.get(session.roomId) : undefined;
        if (!battle || battle.state !== 'ACTIVE') throw new ProtocolError('bad_state', 'not in an active battle');
        battle.attack(session, message.seq);
        return undefined;
      }
      case 'leave':
        void this.leave(session);
        return undefined;
    }
  }

  private reply(session: PlayerSession, message: ServerMessage): ServerMessage | undefined {
    return session.trySend(message) ? message : undefined;
  }

  private login(session: PlayerSession, playerId: string, reconnectToken: string | undefined): ServerMessage {
    if (session.playerId) throw new ProtocolError('already_logged_in', `already logged in as ${session.playerId}`);
    const previous = this.online.get(playerId);
    if (previous && !isCurrentToken(playerId, reconnectToken)) throw new ProtocolError('already_online', `${playerId} is already online`);
    // A reconnect with the token of the current connection: that one is half-open, take over.
    previous?.close(CLOSE_REPLACED, 'replaced by a new connection');
    session.playerId = playerId;
    this.online.set(playerId, session);
    this.logins++;
    requestContext.getStore()!.playerId = playerId;
    const welcome: ServerMessage = { type: 'welcome', playerId, heartbeatMs: this.options.heartbeatMs, reconnectToken: issueReconnectToken(playerId, session.socket) };
    session.send(welcome);
    session.startHeartbeat();
    // The lobby feed: every online player hears the announcements.
    const onAnnouncement = (announcement: Announcement) => session.trySend(announcement);
    presence.on('broadcast', onAnnouncement);
    session.events.once('close', () => {
      // LEAK(listener): the feed listener outlives its player; its closure keeps the session and socket.
      if (!this.options.leaks.has('listener')) presence.off('broadcast', onAnnouncement);
      // LEAK(holder): the token of a player who left stays in `reconnectTokens`, with the socket.
      if (!this.options.leaks.has('holder') && reconnectTokens.get(playerId)?.socket === session.socket) reconnectTokens.delete(playerId);
    });
    void this.sendProfile(session);
    // LEAK(abort): without a signal the rank watch cannot learn that its player left.
    const watchAbort = new AbortController();
    session.events.once('close', () => watchAbort.abort());
    const signal = this.options.leaks.has('abort') ? undefined : watchAbort.signal;
    void this.ranking.watch(playerId, (rank) => session.trySend({ type: 'rank', rank }), signal);
    return welcome;
  }

  private async sendProfile(session: PlayerSession): Promise<void> {
    const id = session.playerId!;
    try {
      const [wins, abandons] = await this.pool.use(async (conn) => [await conn.query('get', `wins:${id}`), await conn.query('get', `abandons:${id}`)]);
      session.trySend({ type: 'profile', playerId: id, wins: Number(wins ?? 0), abandons: Number(abandons ?? 0) });
    } catch (error) {
      console.error(`profile of ${id} unavailable: ${(error as Error).message}`);
    }
  }

  private enqueue(session: PlayerSession): ServerMessage | undefined {
    if (session.roomId || this.lobbyQueue.includes(session)) throw new ProtocolError('bad_state', 'already queued or in a room');
    this.lobbyQueue.push(session);
    const queued = this.reply(session, { type: 'queued', position: this.lobbyQueue.length });
    if (this.lobbyQueue.length >= 2) void this.startMatch(this.lobbyQueue.splice(0, 2));
    return queued;
  }

  private async startMatch(players: PlayerSession[]): Promise<void> {
    const battle = new Battle(players, {
      tickMs: this.options.tickMs,
      matchTimeoutMs: this.options.matchTimeoutMs,
      readyTimeoutMs: this.options.readyTimeoutMs,
      leaks: this.options.leaks,
      onEnd: (ended, winner, reason) => this.onBattleEnd(ended, winner, reason),
    });
    const store = requestContext.getStore();
    if (store) store.roomId = battle.id;
    this.pendingReadyChecks++;
    try {
      await battle.run();
    } finally {
      this.pendingReadyChecks--;
    }
  }

  private onBattleEnd(battle: Battle, winner: PlayerSession | null, reason: string): void {
    if (battle.state !== 'ACTIVE') return;
    this.battlesFinished++;
    if (!winner) return;
    const id = winner.playerId!;
    const loser = battle.players.find((player) => player !== winner)?.playerId;
    announce(`${id} beat ${loser} (${reason})`);
    this.pool.use((conn) => conn.query('incr', `wins:${id}`)).catch((error: Error) => console.error(`could not record win of ${id}: ${error.message}`));
  }

  private async leave(session: PlayerSession): Promise<void> {
    await this.abandonBattle(session);
    session.trySend({ type: 'left' });
    session.close(1000, 'bye');
  }

  private onClose(session: PlayerSession): void {
    this.sessions.delete(session);
    if (session.playerId && this.online.get(session.playerId) === session) this.online.delete(session.playerId);
    const queued = this.lobbyQueue.indexOf(session);
    if (queued >= 0) this.lobbyQueue.splice(queued, 1);
    void this.abandonBattle(session);
  }

  /** A player walks out of an active battle: the opponent wins and the abandon is recorded. */
  private async abandonBattle(session: PlayerSession): Promise<void> {
    const battle = session.roomId ? battles.get(session.roomId) : undefined;
    if (!battle || battle.state !== 'ACTIVE') return;
    battle.forfeit(session);
    const conn = await this.pool.acquire();
    try {
      const abandons = Number(await conn.query('incr', `abandons:${session.playerId}`));
      session.send({ type: 'penalty', abandons });
      this.pool.release(conn);
    } catch (error) {
      // LEAK(pool): the error path (the player already dropped, so send() throws) never
      // gives the connection back; once all are gone, every acquire() waits forever.
      if (!this.options.leaks.has('pool')) this.pool.release(conn);
      if (session.isOpen) console.error(`abandon of ${session.playerId} not recorded: ${(error as Error).message}`);
    }
  }

  private replyError(session: PlayerSession, code: ErrorCode, message: string): void {
    session.trySend({ type: 'error', code, message });
  }
}
