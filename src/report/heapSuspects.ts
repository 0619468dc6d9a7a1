/** Classes of the program that piled up between two heap snapshots, as `heap-class` suspects. */
import type { HeapGrowthSite, RetainerPath } from '../protocol/heap';
import type { Suspect } from '../protocol/report';
import { formatBytes } from '../presentation';

export function heapClassSuspect(site: HeapGrowthSite): Suspect {
  const where = site.location ? `${site.location.path}:${site.location.line}` : 'unknown';
  return {
    kind: 'heap-class',
    key: `heap-class ${site.className} ${where}`,
    title: `+${site.deltaCount} ${site.className} objects kept`,
    location: site.location,
    ...(site.retainerPath && { holder: nearestNamedHolder(site.retainerPath, site.className) }),
    // Heap snapshots are taken of the main thread.
    thread: 'main',
    score: site.score,
    severity: site.severity,
    factors: site.factors,
    count: site.deltaCount,
    growth: site.deltaCount,
    retainedBytes: null,
    paths: [],
    details: [
      { label: 'new', value: String(site.newCount) },
      { label: 'freed', value: String(site.deletedCount) },
      { label: 'size delta', value: formatBytes(site.sizeDelta) },
      ...(site.retainerPath ? [{ label: 'path from the GC roots', value: site.retainerPath.text }] : []),
    ],
    estimated: false,
  };
}

/**
 * The holder as a user names it: the last variable (`->battles`) or property (`.stopping` of a
 * GameServer) on the path from the GC roots, not the whole path (which stays in the details).
 * The path's start is the same for every object in a process (`global / … process._events …`)
 * and says nothing about the leak; its last named hop is what the user's code declared.
 */
function nearestNamedHolder(path: RetainerPath, className: string): string {
  for (let i = path.steps.length - 1; i >= 0; i--) {
    const { edgeLabel, edgeName, from } = path.steps[i];
    const rest = i === path.steps.length - 1 ? '' : ' → …';
    if (edgeLabel.startsWith('->')) return `${edgeName}${rest} → ${className}`;
    if (edgeLabel.startsWith('.') && !from.className.startsWith('system')) return `.${edgeName} of ${from.className}${rest} → ${className}`;
  }
  return path.text;
}
