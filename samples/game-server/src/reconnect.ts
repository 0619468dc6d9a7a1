/**
 * Reconnect tokens. A phone switching networks often reconnects before the server has noticed
 * that its old connection is dead; logging in again would be refused as "already online". The
 * `welcome` message carries a token, and a login presenting it takes over the old session.
 */
import { randomBytes } from 'node:crypto';
import type WebSocket from 'ws';

export interface ReconnectEntry {
  playerId: string;
  token: string;
  /** The connection the token was issued to: the one a takeover closes. */
  socket: WebSocket;
  joinedAt: number;
}

/** The current token of every logged-in player, by player id. Module-level, as such registries usually are. */
export const reconnectTokens = new Map<string, ReconnectEntry>();

export function issueReconnectToken(playerId: string, socket: WebSocket): string {
  const token = randomBytes(16).toString('base64url');
  reconnectTokens.set(playerId, { playerId, token, socket, joinedAt: Date.now() });
  return token;
}

/** True when `token` is the one issued to `playerId`'s current connection. */
export function isCurrentToken(playerId: string, token: string | undefined): boolean {
  return token !== undefined && reconnectTokens.get(playerId)?.token === token;
}
