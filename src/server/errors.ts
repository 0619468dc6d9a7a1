/** Failures turned into LSP ResponseErrors whose message can be shown to the user as is. */
import { ResponseError } from 'vscode-languageserver/node';
import { AttachError } from '../cdp';
import { errorMessage } from '../common/errors';
import { HeapSnapshotError } from '../heap';
import { ErrorCodes, type LeakInspectorErrorData } from '../protocol/lsp';

/** An error the server raises itself, already in LSP terms. */
export class ServerError extends Error {
  constructor(
    readonly lspCode: number,
    readonly data: LeakInspectorErrorData,
    message: string,
  ) {
    super(message);
  }
}

export function unknownTarget(targetId: string | undefined): ServerError {
  const message = targetId === undefined ? 'Leak Inspector is not attached to any process' : `no attached target with id ${targetId}`;
  return new ServerError(ErrorCodes.UnknownTarget, { code: 'UNKNOWN_TARGET' }, message);
}

export function toResponseError(error: unknown): ResponseError<LeakInspectorErrorData> {
  if (error instanceof ResponseError) return error as ResponseError<LeakInspectorErrorData>;
  if (error instanceof ServerError) return new ResponseError(error.lspCode, error.message, error.data);
  if (error instanceof AttachError) return new ResponseError(ErrorCodes.AttachFailed, error.message, { code: error.code });
  if (error instanceof HeapSnapshotError) return new ResponseError(ErrorCodes.OperationFailed, error.message, { code: `HEAP_SNAPSHOT_${error.reason.toUpperCase()}` });
  return new ResponseError(ErrorCodes.OperationFailed, errorMessage(error), { code: 'FAILED' });
}
