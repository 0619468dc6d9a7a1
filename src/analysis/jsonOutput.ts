import type { AsyncSnapshotJson, AsyncSnapshotReport } from '../protocol/asyncSnapshot';

/** The CLI's `--json` document; the schema version comes first so scripts can check it before reading on. */
export function toJsonOutput(report: AsyncSnapshotReport): AsyncSnapshotJson {
  return { schemaVersion: 1, ...report };
}
