/** The JSON messages between game clients and the server (one JSON object per text frame). */

export type ClientMessage =
  | { type: 'login'; playerId: string; reconnectToken?: string }
  | { type: 'queue' }
  | { type: 'ready' }
  | { type: 'attack'; seq: number }
  | { type: 'ping'; t: number }
  | { type: 'leave' };

export type ServerMessage =
  | { type: 'welcome'; playerId: string; heartbeatMs: number; reconnectToken: string }
  | { type: 'profile'; playerId: string; wins: number; abandons: number }
  | { type: 'queued'; position: number }
  | { type: 'match_found'; roomId: string; opponent: string }
  | { type: 'match_cancelled'; roomId: string; reason: string }
  | { type: 'battle_start'; roomId: string }
  | { type: 'state'; tick: number; hp: Record<string, number> }
  | { type: 'attack_ack'; seq: number; damage: number }
  | { type: 'battle_end'; roomId: string; winner: string | null; reason: string }
  | { type: 'penalty'; abandons: number }
  | { type: 'rank'; rank: number }
  | { type: 'pong'; t: number }
  | { type: 'announcement'; text: string }
  | { type: 'left' }
  | { type: 'error'; code: ErrorCode; message: string };

export type ErrorCode =
  | 'bad_json'
  | 'bad_message'
  | 'unknown_type'
  | 'binary_not_supported'
  | 'not_logged_in'
  | 'already_logged_in'
  | 'already_online'
  | 'bad_state'
  | 'rate_limited';

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const PLAYER_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses and validates one frame; throws ProtocolError with a code the client can act on. */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('bad_json', 'message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('bad_message', 'message must be a JSON object');
  }
  const msg = value as Record<string, unknown>;
  switch (msg.type) {
    case 'login':
      if (typeof msg.playerId !== 'string' || !PLAYER_ID.test(msg.playerId)) {
        throw new ProtocolError('bad_message', 'login.playerId must be 1-32 characters of A-Z a-z 0-9 _ -');
      }
      if (msg.reconnectToken !== undefined && (typeof msg.reconnectToken !== 'string' || msg.reconnectToken.length > 64)) {
        throw new ProtocolError('bad_message', 'login.reconnectToken must be the string from welcome');
      }
      return { type: 'login', playerId: msg.playerId, reconnectToken: msg.reconnectToken };
    case 'attack':
      if (!Number.isSafeInteger(msg.seq)) throw new ProtocolError('bad_message', 'attack.seq must be an integer');
      return { type: 'attack', seq: msg.seq as number };
    case 'ping':
      if (typeof msg.t !== 'number' || !Number.isFinite(msg.t)) throw new ProtocolError('bad_message', 'ping.t must be a number');
      return { type: 'ping', t: msg.t };
    case 'queue':
    case 'ready':
    case 'leave':
      return { type: msg.type };
    default:
      throw new ProtocolError('unknown_type', `unknown message type ${JSON.stringify(String(msg.type)).slice(0, 40)}`);
  }
}
