import { fileURLToPath } from 'node:url';
import { isAbsolutePath } from './frames';

export function isNodeInternalUrl(url: string): boolean {
  return url.startsWith('node:');
}

/**
 * The local-form path a script URL names, or undefined when it names no file (`node:…`,
 * `http:…`, `evalmachine.<anonymous>`, ''): those must never be looked up on disk.
 */
export function scriptUrlToPath(url: string): string | undefined {
  if (/^file:/i.test(url)) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return isAbsolutePath(url) ? url : undefined;
}
