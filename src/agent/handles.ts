/**
 * Sockets, servers, child processes and workers: enumerated on demand from
 * `process._getActiveHandles()`; creation stacks recorded by wrapping `Socket#connect` and
 * `Server#listen` (accepted sockets are attributed to their server).
 */
import type { ResourceType } from '../protocol/agentSnapshot';
import type { OwnershipTracker } from './ownership';
import type { Patcher } from './patcher';
import { createdRecord, type Registry } from './registry';
import type { StackSampler } from './stacks';

interface HandleLike {
  _handle?: { constructor?: { name?: string } } | null;
  server?: unknown;
  destroyed?: boolean;
  constructor?: { name?: string };
  listeners?: (event: string) => unknown[];
}

export interface LiveHandle {
  handle: object;
  type: ResourceType;
  /** Accepted sockets: the server that accepted them. */
  server: object | undefined;
}

export class HandleTracking {
  constructor(
    private readonly registry: Registry,
    private readonly sampler: StackSampler,
    private readonly ownership: OwnershipTracker,
  ) {}

  install(patcher: Patcher, getBuiltin: (id: string) => unknown): void {
    const net = getBuiltin('net') as { Socket: { prototype: object }; Server: { prototype: object } };
    const dgram = getBuiltin('dgram') as { Socket: { prototype: object } };
    this.wrapCreation(patcher, net.Socket.prototype, 'connect');
    this.wrapCreation(patcher, net.Server.prototype, 'listen');
    this.wrapCreation(patcher, dgram.Socket.prototype, 'bind');
  }

  /** Every active handle of the process, typed; stdio and the inspector's own are skipped. */
  live(): LiveHandle[] {
    const getActiveHandles = (process as unknown as { _getActiveHandles?: () => HandleLike[] })._getActiveHandles;
    if (!getActiveHandles) return [];
    const result: LiveHandle[] = [];
    for (const handle of getActiveHandles.call(process)) {
      const type = typeOf(handle);
      if (type) result.push({ handle, type, server: type === 'TCPSocket' && handle.server && typeof handle.server === 'object' ? handle.server : undefined });
    }
    return result;
  }

  /** The objects an owner reference may point at (socket handles) for live connections. */
  liveOwnerHandles(live: readonly LiveHandle[]): Set<object> {
    const set = new Set<object>();
    for (const { handle } of live) {
      set.add(handle);
      const inner = (handle as HandleLike)._handle;
      if (inner) set.add(inner);
    }
    return set;
  }

  /** A listener that stands for this handle when it has no creation stack. */
  representativeCallback(handle: object, server: object | undefined): unknown {
    const source = (server ?? handle) as HandleLike;
    if (typeof source.listeners !== 'function') return undefined;
    for (const event of ['request', 'connection', 'upgrade', 'data', 'connect', 'message', 'listening']) {
      const listeners = source.listeners(event);
      if (listeners.length) return listeners[listeners.length - 1];
    }
    return undefined;
  }

  private wrapCreation(patcher: Patcher, prototype: object, key: string): void {
    const type: ResourceType = key === 'listen' ? 'TCPServer' : key === 'bind' ? 'UDPSocket' : 'TCPSocket';
    const record = (handle: object, above: () => unknown) => {
      if (this.registry.get(handle)) return;
      const holder = this.sampler.capture(above);
      if (holder) this.registry.add(handle, createdRecord(type, holder, this.ownership.capture()));
    };
    patcher.wrap(prototype, key, (original) => {
      const wrapper = function (this: HandleLike, ...args: unknown[]) {
        record(this, wrapper);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      return wrapper as never;
    });
  }
}

function typeOf(handle: HandleLike): ResourceType | undefined {
  const kind = handle._handle?.constructor?.name;
  const name = handle.constructor?.name;
  if (kind === 'TTY') return undefined;
  if (name === 'Server' || name === 'WebSocketServer') return kind === 'Pipe' ? 'PipeServer' : 'TCPServer';
  if (kind === 'TCP' || kind === 'TLSWrap') return 'TCPSocket';
  if (kind === 'Pipe') return 'PipeSocket';
  if (name === 'ChildProcess') return 'ChildProcess';
  if (name === 'Worker') return 'Worker';
  if (kind === 'UDP' || name === 'Socket') return 'UDPSocket';
  return 'Other';
}
