/** A `.heapsnapshot` file that is truncated or not in the format, with where it went wrong. */
export class HeapSnapshotParseError extends Error {
  override readonly name = 'HeapSnapshotParseError';

  constructor(
    readonly detail: string,
    /** Byte offset in the file where the problem was found. */
    readonly offset: number,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}not a valid heap snapshot: ${detail} (at byte ${offset})`);
  }

  withFile(file: string): HeapSnapshotParseError {
    return new HeapSnapshotParseError(this.detail, this.offset, file);
  }
}
