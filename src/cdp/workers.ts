/**
 * Worker threads, reached through the main thread's `NodeWorker` domain: Node attaches
 * a session to each worker for us and relays its messages as events. Each worker is a
 * `CdpSession` like the main thread, so callers inspect every thread the same way.
 *
 * We enable with `waitForDebuggerOnStart: false` and never answer `waitingForDebugger`:
 * a worker held at start by another debugger is that debugger's business.
 */
import type { NodeWorkerInfo } from './protocol';
import { ProtocolSession, type CdpSession, type Disposable, type SessionOptions } from './session';

export class WorkerSession extends ProtocolSession {
  /** Node's worker id (`threadId`). */
  readonly id: string;
  readonly title: string;
  /** The worker's script URL; empty for `eval` workers. */
  readonly url: string;

  constructor(
    private readonly parent: CdpSession,
    private readonly sessionId: string,
    info: NodeWorkerInfo,
    options: SessionOptions,
  ) {
    super(`${info.title || `worker ${info.workerId}`} in ${parent.label}`, options);
    this.id = info.workerId;
    this.title = info.title;
    this.url = info.url;
    this.resources.push(
      parent.on('NodeWorker.receivedMessageFromWorker', (event) => {
        if (event.sessionId === sessionId) this.receive(String(event.message));
      }),
      parent.on('NodeWorker.detachedFromWorker', (event) => {
        if (event.sessionId === sessionId) this.terminate('the worker exited or was detached');
      }),
      parent.onDisconnected((reason) => this.terminate(`main thread session ended: ${reason}`)),
    );
  }

  protected transmit(message: string): Promise<void> {
    return this.parent.send('NodeWorker.sendMessageToWorker', { sessionId: this.sessionId, message: asciiJson(message) });
  }

  protected async release(): Promise<void> {
    if (this.parent.isClosed) return;
    // The worker may have exited meanwhile; then there is nothing left to detach.
    await this.parent.send('NodeWorker.detach', { sessionId: this.sessionId }).catch(() => undefined);
  }
}

/** Tracks the worker threads of one main-thread session. */
export class NodeWorkers {
  private readonly sessions = new Map<string, WorkerSession>();
  private readonly subscriptions: Disposable[];

  private constructor(
    private readonly parent: CdpSession,
    options: SessionOptions,
  ) {
    this.subscriptions = [
      parent.on('NodeWorker.attachedToWorker', ({ sessionId, workerInfo }) => {
        this.sessions.set(sessionId, new WorkerSession(parent, sessionId, workerInfo, options));
      }),
      parent.on('NodeWorker.detachedFromWorker', ({ sessionId }) => this.sessions.delete(sessionId)),
    ];
  }

  /**
   * Starts tracking. Node announces the workers that already run before it answers
   * `NodeWorker.enable`, so `list()` is complete as soon as this resolves.
   */
  static async enable(parent: CdpSession, options: SessionOptions = {}): Promise<NodeWorkers> {
    const workers = new NodeWorkers(parent, options);
    try {
      await parent.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
    } catch (error) {
      workers.stopTracking();
      throw error;
    }
    return workers;
  }

  /** The workers alive now, in the order they were announced. */
  list(): WorkerSession[] {
    return [...this.sessions.values()].filter((session) => !session.isClosed);
  }

  /** Detaches from every worker; the main-thread session stays open. */
  async dispose(): Promise<void> {
    this.stopTracking();
    if (!this.parent.isClosed) await this.parent.send('NodeWorker.disable');
  }

  private stopTracking(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    for (const session of this.sessions.values()) void session.close();
    this.sessions.clear();
  }
}

/**
 * Node garbles non-ASCII text relayed to a worker's inspector. In JSON, such characters can only
 * stand inside strings, where `\uXXXX` means the same: so the message arrives intact.
 */
function asciiJson(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
