/** Entry of `dist/heapWorker.js`: runs one heap analysis request off the caller's thread. */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../common/errors';
import type { HeapAnalysisRequest } from '../../protocol/heap';
import { runHeapRequest } from '../analyzeFiles';
import { HeapSnapshotParseError } from '../parser/parseError';
import type { WorkerReply } from './runInWorker';

parentPort?.once('message', (request: HeapAnalysisRequest) => {
  let reply: WorkerReply;
  try {
    reply = { result: runHeapRequest(request) };
  } catch (error) {
    const parse = error instanceof HeapSnapshotParseError ? { detail: error.detail, offset: error.offset, file: error.file } : undefined;
    reply = { error: { message: errorMessage(error), parse } };
  }
  parentPort?.postMessage(reply);
});
