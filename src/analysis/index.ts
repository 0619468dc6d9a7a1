/** Turns source-mapped agent snapshots into scored, explainable leak reports. Pure: no I/O. (Wording and text dumps: src/presentation.) */
export { analyzeSnapshot } from './scoreAsyncSites';
export type { AnalyzeOptions } from './scoreAsyncSites';
export { diffSnapshots } from './diffSnapshots';
export { LEAK_FACTORS, scoreSite, severityOf } from './leakScore';
export type { LeakFactor, SiteEvidence, SiteScore } from './leakScore';
export type { ResolvedAgentSnapshot, ResolvedSite } from './resolvedSite';
export { SiteHistory } from './siteHistory';
export type { SiteCount } from './siteHistory';
export { scoreHeapGrowth } from './heapGrowthScore';
