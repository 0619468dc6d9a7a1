/** Rewrites a path the target reports into where this machine sees that file. */
export type PathMapper = (path: string) => string;

const TRAILING_SEPARATORS = /[\\/]+$/;

/**
 * Compiles a prefix → replacement table, e.g. a container's `/app` → the local workspace folder.
 * The longest matching prefix wins, and prefixes match whole segments: `/app` leaves `/apple` alone.
 */
export function createPathMapper(mapping: Readonly<Record<string, string>>): PathMapper {
  const rules = Object.entries(mapping)
    .map(([from, to]) => ({ from: from.replace(TRAILING_SEPARATORS, ''), to: to.replace(TRAILING_SEPARATORS, '') }))
    .sort((a, b) => b.from.length - a.from.length);
  return (path) => {
    for (const { from, to } of rules) {
      if (path === from) return to;
      const next = path[from.length];
      if (path.startsWith(from) && (next === '/' || next === '\\')) return to + path.slice(from.length);
    }
    return path;
  };
}
