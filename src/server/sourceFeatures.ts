/** Diagnostics, hovers and code lenses for leak sites, from a `SiteIndex`. Pure: no I/O. */
import { DiagnosticSeverity, MarkupKind, type CodeLens, type Diagnostic, type DiagnosticRelatedInformation, type Hover, type Range } from 'vscode-languageserver/node';
import type { Severity } from '../protocol/asyncSnapshot';
import { REVEAL_SITE_COMMAND, type RevealSiteArgs } from '../protocol/lsp';
import type { LocatedSuspect, SiteIndex } from './siteIndex';
import { diagnosticMessage, frameText, hoverMarkdown, lensTitle } from '../presentation';

export const DIAGNOSTIC_SOURCE = 'Leak Inspector';

/**
 * A leak is a runtime finding, not a broken build, so it never shows as an error: high scores
 * (80–100: act) are warnings, medium (50–79: look closer) information, low (only shown when the
 * threshold is lowered below 50) hints.
 */
const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  high: DiagnosticSeverity.Warning,
  medium: DiagnosticSeverity.Information,
  low: DiagnosticSeverity.Hint,
};

/** Clients clamp an end past the line's end to the line's end: the whole rest of the line. */
const LINE_END = 10_000;

function lineRange(suspect: LocatedSuspect): Range {
  return { start: { line: suspect.line, character: suspect.character }, end: { line: suspect.line, character: LINE_END } };
}

/** Diagnostics by URI, for every file with suspects. */
export function diagnosticsByUri(index: SiteIndex): Map<string, Diagnostic[]> {
  const result = new Map<string, Diagnostic[]>();
  for (const sourcePath of index.paths()) {
    const uri = index.uriOf(sourcePath);
    if (uri === undefined) continue;
    result.set(uri, index.inFile(sourcePath).map((suspect) => toDiagnostic(suspect, index)));
  }
  return result;
}

function toDiagnostic(suspect: LocatedSuspect, index: SiteIndex): Diagnostic {
  const { site } = suspect;
  const relatedInformation: DiagnosticRelatedInformation[] = site.stack.flatMap((frame) => {
    const uri = index.uriOf(frame.path);
    if (uri === undefined) return [];
    const line = Math.max(0, frame.line - 1);
    const character = Math.max(0, frame.column - 1);
    return [{ location: { uri, range: { start: { line, character }, end: { line, character } } }, message: `at ${frameText(frame)}` }];
  });
  const args: RevealSiteArgs = { targetId: suspect.targetId, threadId: suspect.threadId, siteKey: site.key };
  return {
    range: lineRange(suspect),
    severity: SEVERITY[site.severity],
    source: DIAGNOSTIC_SOURCE,
    code: site.type,
    message: diagnosticMessage(site),
    relatedInformation,
    data: args,
  };
}

export function hoverAt(index: SiteIndex, sourcePath: string, line: number): Hover | null {
  const suspects = index.atLine(sourcePath, line);
  if (suspects.length === 0) return null;
  return {
    contents: { kind: MarkupKind.Markdown, value: hoverMarkdown(suspects) },
    range: { start: { line, character: suspects[0].character }, end: { line, character: LINE_END } },
  };
}

export function codeLenses(index: SiteIndex, sourcePath: string): CodeLens[] {
  return index.inFile(sourcePath).map((suspect) => {
    const args: RevealSiteArgs = { targetId: suspect.targetId, threadId: suspect.threadId, siteKey: suspect.site.key };
    const range = { start: { line: suspect.line, character: suspect.character }, end: { line: suspect.line, character: suspect.character } };
    return { range, command: { title: lensTitle(suspect.site), command: REVEAL_SITE_COMMAND, arguments: [args] } };
  });
}
