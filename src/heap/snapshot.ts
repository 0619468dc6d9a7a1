/**
 * Heap snapshots streamed to disk. A snapshot pauses the target (the whole isolate stops while
 * V8 walks the heap), so callers should check `estimateSnapshot` and warn first.
 *
 * The file only ever appears complete: chunks go to `file + '.partial'`, which is renamed to
 * `file` once the target has answered the command and every byte is flushed; on any failure
 * the partial file is deleted.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { CdpSession, Disposable } from '../cdp';
import { errorMessage } from '../common/errors';
import { heapUsage } from './usage';

export interface SnapshotEstimate {
  /** Bytes of the JS heap in use now. */
  usedSize: number;
  /** Rough time the target will be paused, in ms. */
  estimatedPauseMs: number;
}

/**
 * Basis of the estimate: measured on this project's machine, a snapshot paused the target
 * ~0.7 s at a 20 MB heap and ~4.7 s at 86 MB. A straight line through those two points
 * (~61 ms per MB), never below MIN_PAUSE_MS. It is an order of magnitude for a warning, not
 * a promise: object count matters more than bytes, and CPU speed scales everything.
 */
const MB = 1024 * 1024;
const PAUSE_MS_PER_MB = (4700 - 700) / (86 - 20);
const PAUSE_MS_AT_ZERO = 700 - 20 * PAUSE_MS_PER_MB;
const MIN_PAUSE_MS = 100;

/**
 * The takeHeapSnapshot command still running per session. After an abort the target keeps
 * serializing and sending chunks; a new snapshot must not subscribe until that command has
 * answered, or it would write the old snapshot's tail into its file.
 */
const inFlight = new WeakMap<CdpSession, Promise<unknown>>();

/** Current heap size and a rough pause estimate for a snapshot of it. */
export async function estimateSnapshot(session: CdpSession): Promise<SnapshotEstimate> {
  const { usedSize } = await heapUsage(session);
  return { usedSize, estimatedPauseMs: estimatePauseMs(usedSize) };
}

/** The pause estimate for a heap of `usedSize` bytes (see `estimateSnapshot`). */
export function estimatePauseMs(usedSize: number): number {
  return Math.max(MIN_PAUSE_MS, Math.round(PAUSE_MS_AT_ZERO + (usedSize / MB) * PAUSE_MS_PER_MB));
}

export interface SnapshotProgress {
  /** Heap objects processed so far. */
  done: number;
  total: number;
  /** Set on the last progress event, when serialization starts. */
  finished: boolean;
}

export interface TakeHeapSnapshotOptions {
  onProgress?: (progress: SnapshotProgress) => void;
  /**
   * Gives up: the partial file is deleted and the promise rejects at once. The target cannot be
   * told to stop; it finishes the snapshot and its remaining chunks are ignored.
   */
  signal?: AbortSignal;
  /**
   * Take it by `HeapProfiler.stopTrackingHeapObjects`, which V8 answers with a snapshot (it
   * carries the allocation stacks of `startAllocationTracking`) and then stops tracking: one
   * pause instead of two.
   */
  stopsAllocationTracking?: boolean;
}

export interface HeapSnapshotResult {
  file: string;
  /** Bytes written, equal to the file's size. */
  bytes: number;
  durationMs: number;
}

export class HeapSnapshotError extends Error {
  override readonly name = 'HeapSnapshotError';

  constructor(
    /** Label of the target, e.g. `pid 1234 (127.0.0.1:9229)`. */
    readonly target: string,
    readonly file: string,
    readonly reason: 'aborted' | 'target' | 'disk',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`heap snapshot of ${target} failed: ${detail}; no file was written to ${file}`, options);
  }
}

/**
 * Takes a heap snapshot of the session's thread and streams it to `file`. Waits as long as the
 * snapshot takes (no request timeout). Rejects with a `HeapSnapshotError` if the target dies or
 * the connection drops, the signal aborts, or the disk fails; no partial file is left behind.
 * `HeapProfiler.disable` is never sent (it clears object ids for every session on the isolate).
 */
export async function takeHeapSnapshot(
  session: CdpSession,
  file: string,
  options: TakeHeapSnapshotOptions = {},
): Promise<HeapSnapshotResult> {
  const { signal, onProgress } = options;
  const started = Date.now();
  const partial = `${file}.partial`;
  const fail = (reason: HeapSnapshotError['reason'], detail: string, cause?: unknown) =>
    new HeapSnapshotError(session.label, file, reason, detail, { cause });
  if (signal?.aborted) throw fail('aborted', 'aborted before it started', signal.reason);

  await inFlight.get(session);
  if (signal?.aborted) throw fail('aborted', 'aborted before it started', signal.reason);

  const out = new ChunkWriter(createWriteStream(partial));
  const subscriptions: Disposable[] = [];
  let failure: HeapSnapshotError | undefined;
  let rejectEarly: (error: HeapSnapshotError) => void = () => undefined;
  const early = new Promise<never>((_, reject) => (rejectEarly = reject));
  early.catch(() => undefined);
  const stop = (error: HeapSnapshotError) => {
    failure ??= error;
    rejectEarly(failure);
  };
  const onAbort = () => stop(fail('aborted', 'aborted', signal?.reason));
  try {
    signal?.addEventListener('abort', onAbort, { once: true });
    out.onError((error) => stop(fail('disk', `could not write ${partial}: ${error.message}`, error)));
    subscriptions.push(
      session.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => {
        if (!failure) out.write(chunk);
      }),
      session.on('HeapProfiler.reportHeapSnapshotProgress', ({ done, total, finished }) => {
        if (!failure) onProgress?.({ done, total, finished: finished === true });
      }),
    );
    const command = (async () => {
      await session.send('HeapProfiler.enable');
      if (options.stopsAllocationTracking) await session.send('HeapProfiler.stopTrackingHeapObjects', { reportProgress: true }, { timeoutMs: Infinity });
      else await session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: true }, { timeoutMs: Infinity });
    })();
    const settled = command.catch(() => undefined);
    inFlight.set(session, settled);
    void settled.then(() => inFlight.get(session) === settled && inFlight.delete(session));
    try {
      await Promise.race([command, early]);
    } catch (error) {
      throw failure ?? fail('target', errorMessage(error), error);
    }
    // Every chunk arrived before the command's answer; stop listening, then flush.
    for (const subscription of subscriptions.splice(0)) subscription.dispose();
    await Promise.race([out.end(), early]);
    await rename(partial, file).catch((error: unknown) => {
      throw fail('disk', `could not rename ${partial} to ${file}: ${errorMessage(error)}`, error);
    });
    return { file, bytes: out.bytes, durationMs: Date.now() - started };
  } catch (error) {
    for (const subscription of subscriptions.splice(0)) subscription.dispose();
    await out.destroy();
    await rm(partial, { force: true }).catch(() => undefined);
    throw error instanceof HeapSnapshotError ? error : fail('disk', errorMessage(error), error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Switches the target's GC compaction off (V8's `--no-compact`, through `v8.setFlagsFromString`:
 * process-wide, workers too) unless the process was started without it. While allocations are tracked this keeps their
 * stacks: V8 moves an object's allocation stack along with the object only while the object has
 * no heap id yet (`HeapProfiler::ObjectMoveEvent`), and the tracking's heap-stats timer gives
 * every object one at least every 50 ms. Compaction then moves the survivors of fragmented pages
 * without their stacks (on the lobby fixture none of 20 Map entries kept theirs; all 20 with
 * compaction off), and the page left behind keeps stale stacks for whatever lands there next.
 *
 * Answers a token (a remote object in our session) or `false`. Compaction comes back when the
 * last token is given back (`resumeCompaction`), or collected: a session that ends without
 * giving it back (a killed CLI) releases its remote objects, and a FinalizationRegistry switches
 * compaction on at a later GC. Tokens are counted, so two tracking sessions do not undo each other.
 */
const SUSPEND_COMPACTION = `(() => {
  const v8 = globalThis.process?.getBuiltinModule?.('v8');
  if (!v8) return false;
  const key = Symbol.for('leak-inspector.compaction');
  let state = globalThis[key];
  if (!state) {
    const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\\s+/)];
    if (args.some((arg) => /^--no[-_]compact$/.test(arg))) return false;
    state = {
      tokens: 0,
      release() {
        if (--state.tokens > 0) return;
        delete globalThis[key];
        v8.setFlagsFromString('--compact');
      },
    };
    state.registry = new FinalizationRegistry(() => state.release());
    Object.defineProperty(globalThis, key, { value: state, configurable: true });
    v8.setFlagsFromString('--no-compact');
  }
  const token = {};
  state.tokens++;
  state.registry.register(token, undefined, token);
  return token;
})()`;

const RESUME_COMPACTION = `function () {
  const state = globalThis[Symbol.for('leak-inspector.compaction')];
  if (state?.registry.unregister(this)) state.release();
}`;

const COMPACTION_GROUP = 'leak-inspector-compaction';

/**
 * Starts V8's allocation tracking: from now on every object the thread allocates records its
 * allocation stack, and the next snapshot carries them (`trace_tree`, node `trace_node_id`).
 * GC compaction is suspended meanwhile (see `SUSPEND_COMPACTION`): give `compactionToken` to
 * `resumeCompaction` after the last snapshot. Tracking slows the target a lot (every allocation
 * walks the stack, and V8's heap-stats timer runs a full GC every 50 ms or more): stop it as
 * soon as the scenario is over, with `takeHeapSnapshot(…, { stopsAllocationTracking: true })`
 * or `stopAllocationTracking`. Ending the session stops both (V8 disables a closing session's
 * heap profiler; the token is collected).
 */
export async function startAllocationTracking(session: CdpSession): Promise<{ compactionToken?: string }> {
  await inFlight.get(session);
  await session.send('HeapProfiler.enable');
  const { result } = await session.send('Runtime.evaluate', { expression: SUSPEND_COMPACTION, objectGroup: COMPACTION_GROUP, silent: true });
  const compactionToken = result.type === 'object' ? result.objectId : undefined;
  try {
    await session.send('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
  } catch (error) {
    if (compactionToken) await resumeCompaction(session, compactionToken).catch(() => undefined);
    throw error;
  }
  return compactionToken ? { compactionToken } : {};
}

/** Switches GC compaction back on (unless another session still tracks) with the token `startAllocationTracking` gave. */
export async function resumeCompaction(session: CdpSession, compactionToken: string): Promise<void> {
  if (session.isClosed) return;
  const { exceptionDetails } = await session.send('Runtime.callFunctionOn', { functionDeclaration: RESUME_COMPACTION, objectId: compactionToken, silent: true });
  await session.send('Runtime.releaseObject', { objectId: compactionToken });
  if (exceptionDetails) throw new Error(`could not switch GC compaction back on in ${session.label}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
}

/**
 * Stops allocation tracking without keeping a snapshot. V8 only stops by taking one (a pause
 * like any snapshot; its chunks are dropped); `HeapProfiler.disable` would stop it without, but
 * clears the heap ids of every session on the isolate. A closed session has nothing to stop.
 */
export async function stopAllocationTracking(session: CdpSession): Promise<void> {
  if (session.isClosed) return;
  await inFlight.get(session);
  const command = session.send('HeapProfiler.stopTrackingHeapObjects', { reportProgress: false }, { timeoutMs: Infinity });
  const settled = command.catch(() => undefined);
  inFlight.set(session, settled);
  void settled.then(() => inFlight.get(session) === settled && inFlight.delete(session));
  await command;
}

/**
 * Appends chunks in order, respecting backpressure: once `write()` returns false, further chunks
 * wait in our queue until 'drain' instead of piling into the stream. (The target itself cannot
 * be slowed down: V8 emits chunks as fast as it serializes.) Chunks are never joined.
 */
class ChunkWriter {
  bytes = 0;
  private readonly queue: string[] = [];
  private waitingForDrain = false;
  private error: Error | undefined;
  private readonly closed: Promise<void>;

  constructor(private readonly stream: WriteStream) {
    this.closed = new Promise((resolve) => stream.once('close', () => resolve()));
    stream.on('error', (error) => (this.error ??= error));
    stream.on('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
  }

  onError(listener: (error: Error) => void): void {
    this.stream.on('error', listener);
  }

  write(chunk: string): void {
    this.bytes += Buffer.byteLength(chunk, 'utf8');
    this.queue.push(chunk);
    this.pump();
  }

  /** Resolves when every chunk is written and the file closed. */
  async end(): Promise<void> {
    while ((this.queue.length > 0 || this.waitingForDrain) && !this.error) {
      await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
    }
    if (this.error) throw this.error;
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
    await this.closed;
    if (this.error) throw this.error;
  }

  /** Drops everything and waits until the file is closed, so it can be deleted. */
  async destroy(): Promise<void> {
    this.queue.length = 0;
    if (!this.stream.destroyed) this.stream.destroy();
    await this.closed;
  }

  private pump(): void {
    while (!this.waitingForDrain && !this.error && this.queue.length > 0) {
      const chunk = this.queue.shift() as string;
      if (!this.stream.write(chunk)) this.waitingForDrain = true;
    }
  }
}
