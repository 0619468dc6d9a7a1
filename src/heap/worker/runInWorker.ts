/**
 * Runs the heap analyser in a worker thread (`dist/heapWorker.js`), so a big snapshot never
 * blocks the caller's event loop (the editor, the language server). One worker per request:
 * its memory goes back to the system when it ends.
 */
import { Worker } from 'node:worker_threads';
import { builtFile } from '../../common/packageRoot';
import type { HeapAnalysisRequest, HeapAnalysisResult } from '../../protocol/heap';
import { HeapSnapshotParseError } from '../parser/parseError';

export type WorkerReply = { result: unknown } | { error: { message: string; parse?: { detail: string; offset: number; file?: string } } };

export interface WorkerOptions {
  /** Stops the worker; the promise rejects. */
  signal?: AbortSignal;
}

export function runHeapAnalysisInWorker<R extends HeapAnalysisRequest>(request: R, options: WorkerOptions = {}): Promise<HeapAnalysisResult<R>> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new Error('heap analysis aborted'));
  const worker = new Worker(builtFile('heapWorker.js'));
  return new Promise<HeapAnalysisResult<R>>((resolve, reject) => {
    const onAbort = () => {
      reject(new Error('heap analysis aborted'));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    worker.once('message', (reply: WorkerReply) => {
      done();
      if ('result' in reply) resolve(reply.result as HeapAnalysisResult<R>);
      else {
        const { message, parse } = reply.error;
        reject(parse ? new HeapSnapshotParseError(parse.detail, parse.offset, parse.file) : new Error(message));
      }
      void worker.terminate();
    });
    worker.once('error', (error) => {
      done();
      reject(error);
    });
    worker.once('exit', (code) => {
      done();
      reject(new Error(`the heap analysis worker exited with code ${code}`));
    });
    worker.postMessage(request);
  });
}
