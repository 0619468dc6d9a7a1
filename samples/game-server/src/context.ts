import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who a piece of async work belongs to. Every message is handled inside `requestContext.run`,
 * so timers, sockets and promises created while handling it carry these tags — which is how
 * an inspector can say "this interval belongs to player p42 in room r7, created by `login`".
 */
export interface RequestContext {
  playerId?: string;
  roomId?: string;
  protocol: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
