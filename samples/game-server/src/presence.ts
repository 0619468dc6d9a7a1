/**
 * The lobby feed: a server-wide bus that every logged-in player listens to for announcements
 * ("alice beat bob by knockout"). In a cluster this would be a Redis pub/sub channel; here it
 * is one process, so a plain EventEmitter.
 */
import { EventEmitter } from 'node:events';
import type { ServerMessage } from './protocol';

export type Announcement = Extract<ServerMessage, { type: 'announcement' }>;

export interface PresenceEvents {
  broadcast: [Announcement];
}

/** Lives as long as the process. Every online player has one `broadcast` listener on it. */
export const presence = new EventEmitter<PresenceEvents>();
// One listener per online player is the design, not a leak: no MaxListenersExceededWarning.
presence.setMaxListeners(0);

export function announce(text: string): void {
  presence.emit('broadcast', { type: 'announcement', text });
}
