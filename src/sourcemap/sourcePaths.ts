import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAbsolutePath } from './frames';

/** A URL scheme; at least two letters so that `C:` stays a Windows drive. */
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]+:/;

/**
 * The path of one `sources` entry: `sourceRoot` is prepended, `file://` URLs become paths,
 * other schemes (`webpack://app/./src/a.ts`, `vite:…`) are stripped to the path they carry,
 * and relative results are resolved against `baseDirectory` — the map's directory, or the
 * script's for an inline map. Without a base directory a relative source stays relative.
 */
export function resolveSourcePath(source: string, sourceRoot: string | undefined, baseDirectory: string | undefined): string {
  const joined = joinSourceRoot(sourceRoot, source);
  if (/^file:/i.test(joined)) {
    try {
      return fileURLToPath(joined);
    } catch {
      return joined;
    }
  }
  const local = SCHEME.test(joined) ? stripScheme(joined) : joined;
  if (isAbsolutePath(local)) return path.normalize(local);
  return baseDirectory === undefined ? local : path.resolve(baseDirectory, local);
}

/** The spec says sourceRoot is prepended; like source-map, join with one `/`. */
function joinSourceRoot(sourceRoot: string | undefined, source: string): string {
  if (!sourceRoot || SCHEME.test(source) || /^[a-zA-Z]:[\\/]/.test(source)) return source;
  return `${sourceRoot.endsWith('/') ? sourceRoot : `${sourceRoot}/`}${source.replace(/^\/+/, '')}`;
}

/**
 * `webpack://app/./src/a.ts?loader` → `./src/a.ts`; `webpack:///src/a.ts` → `src/a.ts`;
 * `webpack:////abs/a.ts` → `/abs/a.ts`. The authority (webpack's namespace, a host) names
 * no directory, so it is dropped; so is a query (webpack appends loaders there).
 */
function stripScheme(url: string): string {
  let rest = url.replace(SCHEME, '').replace(/\?.*$/, '');
  if (rest.startsWith('//')) rest = rest.slice(2).replace(/^[^/]*\/?/, '');
  return rest;
}
