/**
 * Source paths as people read them. String-based rather than `node:path`: this module runs in
 * the extension and the webview too, and the target may run on another OS than the reader.
 */
import type { SourceLocation } from '../protocol/asyncSnapshot';

/** The file name of a path with `/` or `\` separators. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** `path` relative to `root` when it lies under it, else unchanged. */
export function relativeTo(path: string, root: string | undefined): string {
  if (!root) return path;
  const base = root.replace(/[\\/]+$/, '');
  return path.startsWith(base) && /^[\\/]/.test(path.slice(base.length)) ? path.slice(base.length + 1) : path;
}

/** `src/game/session.ts:42:5` (relative to `root` when under it). */
export function formatLocation({ path, line, column }: SourceLocation, root: string | undefined): string {
  return `${relativeTo(path, root)}:${line}:${column}`;
}

/** `session.ts:42`: the short form views use. */
export function shortLocation({ path, line }: Pick<SourceLocation, 'path' | 'line'>): string {
  return `${baseName(path)}:${line}`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
