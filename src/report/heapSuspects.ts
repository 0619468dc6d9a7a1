/** Classes of the program that piled up between two heap snapshots, as `heap-class` suspects. */
import type { HeapGrowthSite } from '../protocol/heap';
import type { Suspect } from '../protocol/report';
import { formatBytes } from '../presentation';

export function heapClassSuspect(site: HeapGrowthSite): Suspect {
  const where = site.location ? `${site.location.path}:${site.location.line}` : 'unknown';
  return {
    kind: 'heap-class',
    key: `heap-class ${site.className} ${where}`,
    title: `+${site.deltaCount} ${site.className} objects kept`,
    location: site.location,
    ...(site.retainerPath && { holder: site.retainerPath.text }),
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
    ],
    estimated: false,
  };
}
