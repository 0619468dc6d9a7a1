/** Turns source-mapped agent snapshots into scored, explainable leak reports. Pure: no I/O. */
export { analyzeSnapshot } from './analyzeSnapshot';
export type { AnalyzeOptions } from './analyzeSnapshot';
export { diffSnapshots } from './diffSnapshots';
export { formatDuration } from './duration';
export { formatSnapshotText } from './formatText';
export type { TextOptions } from './formatText';
export { toJsonOutput } from './jsonOutput';
export { LEAK_FACTORS, scoreSite, severityOf } from './leakScore';
export type { LeakFactor, SiteEvidence, SiteScore } from './leakScore';
export type { ResolvedAgentSnapshot, ResolvedSite } from './resolvedSite';
export { SiteHistory } from './siteHistory';
export type { SiteCount } from './siteHistory';
export { formatBytes } from './bytes';
export { scoreHeapGrowth } from './heapGrowthScore';
export { formatHeapGrowthText } from './formatHeapGrowth';
