/**
 * Type maps for the protocol a Node.js inspector speaks: the Chrome DevTools Protocol
 * (from `devtools-protocol`) plus Node's own `NodeWorker` domain, which that package
 * does not describe (source: node/src/inspector/node_protocol.pdl).
 */
import type { ProtocolMapping } from 'devtools-protocol/types/protocol-mapping';

export interface NodeWorkerInfo {
  workerId: string;
  type: string;
  title: string;
  url: string;
}

interface NodeWorkerCommands {
  'NodeWorker.enable': { paramsType: [{ waitForDebuggerOnStart: boolean }]; returnType: void };
  'NodeWorker.disable': { paramsType: []; returnType: void };
  'NodeWorker.detach': { paramsType: [{ sessionId: string }]; returnType: void };
  'NodeWorker.sendMessageToWorker': { paramsType: [{ sessionId: string; message: string }]; returnType: void };
}

interface NodeWorkerEvents {
  'NodeWorker.attachedToWorker': [{ sessionId: string; workerInfo: NodeWorkerInfo; waitingForDebugger: boolean }];
  'NodeWorker.detachedFromWorker': [{ sessionId: string }];
  'NodeWorker.receivedMessageFromWorker': [{ sessionId: string; message: string }];
}

type Commands = ProtocolMapping.Commands & NodeWorkerCommands;
type Events = ProtocolMapping.Events & NodeWorkerEvents;

export type CommandName = keyof Commands & string;
export type EventName = keyof Events & string;

/** The command's result; `void` for commands that return nothing. */
export type CommandResult<M extends CommandName> = Commands[M]['returnType'];

/** Arguments after the method name: params (optional when the command allows), then options. */
export type SendArgs<M extends CommandName, Options> = Commands[M]['paramsType'] extends [infer P]
  ? [params: P, options?: Options]
  : Commands[M]['paramsType'] extends [(infer P)?]
    ? [params?: P, options?: Options]
    : [params?: undefined, options?: Options];

/** The event's payload; `undefined` for events without one (e.g. `Debugger.resumed`). */
export type EventParams<E extends EventName> = Events[E] extends [infer P] ? P : undefined;
