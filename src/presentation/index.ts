/**
 * How Leak Inspector says things, for every front end (CLI, language server, extension, watch):
 * bytes, durations, paths, site and suspect wording, hover Markdown, text dumps. Pure and
 * Node-free (no `node:*`, no `vscode`), so the extension and the webview can import it too.
 */
export { formatBytes } from './bytes';
export { formatDuration } from './duration';
export { formatHeapGrowthText } from './heapGrowthText';
export { formatDiff, formatRetainerPath, formatRetainers, formatSummary } from './heapText';
export { baseName, formatLocation, plural, relativeTo, shortLocation } from './paths';
export { contextSummary, diagnosticMessage, frameText, hoverMarkdown, lensTitle, scoreReasons, siteHint, siteLabel, threadName, trendArrow, typeName } from './siteText';
export { formatPause, formatSnapshotText } from './snapshotText';
export type { TextOptions } from './snapshotText';
export { formatSuspectsText, suspectLine, warningLine } from './suspectText';
export { SUSPECT_KIND_NAMES, suspectDiagnosticMessage, suspectHint, suspectHoverMarkdown, suspectLabel, suspectLensTitle, suspectPathFrames, suspectReasons } from './suspectEditorText';
