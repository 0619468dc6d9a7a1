import type { HeapGrowthReport, HeapGrowthSite } from '../protocol/heap';
import { formatBytes } from './bytes';
import { formatLocation } from './paths';

/** The classes of the program that piled up between two heap snapshots, as the dump's heap part. */
export function formatHeapGrowthText(report: HeapGrowthReport, options: { root?: string; maxSites?: number } = {}): string {
  const lines = [`heap grew ${formatBytes(report.heapGrowthBytes)} · ${report.sites.length} ${report.sites.length === 1 ? 'class' : 'classes'} of the program's own code with more objects alive`];
  for (const site of report.sites.slice(0, options.maxSites ?? report.sites.length)) lines.push('', ...formatSite(site, options.root));
  return lines.join('\n') + '\n';
}

function formatSite(site: HeapGrowthSite, root: string | undefined): string[] {
  const where = site.location ? formatLocation(site.location, root) : '(location unknown)';
  const reasons = site.factors.filter((factor) => factor.points > 0).sort((a, b) => b.points - a.points);
  return [
    `score ${site.score} ${site.severity.toUpperCase()}  +${site.deltaCount} × ${site.className} (${site.newCount} new, ${site.deletedCount} freed, ${formatBytes(site.sizeDelta)})  ${where}`,
    `    held by: ${site.retainerPath ? site.retainerPath.text : '(not looked up)'}`,
    `    why: ${reasons.length > 0 ? reasons.map((f) => `${f.name} ${f.points}/${f.weight}: ${f.explanation}`).join('; ') : 'no leak evidence'}`,
  ];
}
