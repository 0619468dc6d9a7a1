/**
 * The inspection report (`src/protocol/report.ts`): one writer, one reader and the ranked
 * suspects. Pure and Node-free, so the CLI, `watch`, the language server and the extension all
 * use the same code.
 */
export { buildReport, collectWarnings } from './buildReport';
export type { ReportInput } from './buildReport';
export { parseReport, ReportFormatError } from './parseReport';
export { asyncSuspectKey, asyncSuspects, mergeSuspects, rankSuspects } from './suspects';
export { heapClassSuspect } from './heapSuspects';
