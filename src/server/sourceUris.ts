/**
 * Original source paths ↔ the URIs diagnostics are published under. A source on disk is a
 * `file:` URI. A source that exists only inside a source map's `sourcesContent` (the sample
 * server of an installed extension) gets a `SOURCE_SCHEME` URI, whose text the client fetches
 * with `leakInspector/sourceContent` and shows read-only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SOURCE_SCHEME } from '../protocol/lsp';

/** Only absolute paths are sources an editor can open (not `node:internal/…`, not `<anonymous>`). */
export function isSourcePath(sourcePath: string): boolean {
  return path.isAbsolute(sourcePath);
}

export function sourceUri(sourcePath: string, existsOnDisk: (file: string) => boolean = fs.existsSync): string {
  const fileUri = pathToFileURL(sourcePath).href;
  return existsOnDisk(sourcePath) ? fileUri : `${SOURCE_SCHEME}:${fileUri.slice('file:'.length)}`;
}

/**
 * The source path a URI names, whatever its encoding (clients re-encode URIs), or undefined
 * for other schemes.
 */
export function pathOfUri(uri: string): string | undefined {
  const scheme = /^([a-z][a-z\d+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme !== 'file' && scheme !== SOURCE_SCHEME) return undefined;
  try {
    return fileURLToPath(`file:${uri.slice(scheme.length + 1)}`);
  } catch {
    return undefined;
  }
}
