/** Diagnostics, hovers and code lenses for leak suspects of every kind, from a `SiteIndex`. Pure: no I/O. */
import { DiagnosticSeverity, MarkupKind, type CodeLens, type Diagnostic, type DiagnosticRelatedInformation, type Hover, type Range } from 'vscode-languageserver/node';
import type { Severity } from '../protocol/asyncSnapshot';
import { REVEAL_SITE_COMMAND, type RevealSiteArgs } from '../protocol/lsp';
import type { LocatedSuspect, SiteIndex } from './siteIndex';
import { suspectDiagnosticMessage, suspectHoverMarkdown, suspectLensTitle, suspectPathFrames } from '../presentation';

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

function lineRange(located: LocatedSuspect): Range {
  return { start: { line: located.line, character: located.character }, end: { line: located.line, character: LINE_END } };
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

/** At the suspect's line; related information: the frames of its paths (creation or registration stacks). */
function toDiagnostic(located: LocatedSuspect, index: SiteIndex): Diagnostic {
  const { suspect } = located;
  const relatedInformation: DiagnosticRelatedInformation[] = suspectPathFrames(suspect).flatMap(({ frame, message }) => {
    const uri = index.uriOf(frame.path);
    if (uri === undefined) return [];
    const line = Math.max(0, frame.line - 1);
    const character = Math.max(0, frame.column - 1);
    return [{ location: { uri, range: { start: { line, character }, end: { line, character } } }, message }];
  });
  return {
    range: lineRange(located),
    severity: SEVERITY[suspect.severity],
    source: DIAGNOSTIC_SOURCE,
    code: suspect.kind,
    message: suspectDiagnosticMessage(suspect),
    relatedInformation,
    data: revealArgs(located),
  };
}

function revealArgs(located: LocatedSuspect): RevealSiteArgs {
  return { targetId: located.targetId, threadId: located.threadId, suspectKey: located.suspect.key };
}

export function hoverAt(index: SiteIndex, sourcePath: string, line: number): Hover | null {
  const suspects = index.atLine(sourcePath, line);
  if (suspects.length === 0) return null;
  return {
    contents: { kind: MarkupKind.Markdown, value: suspectHoverMarkdown(suspects) },
    range: { start: { line, character: suspects[0].character }, end: { line, character: LINE_END } },
  };
}

export function codeLenses(index: SiteIndex, sourcePath: string): CodeLens[] {
  return index.inFile(sourcePath).map((located) => {
    const range = { start: { line: located.line, character: located.character }, end: { line: located.line, character: located.character } };
    return { range, command: { title: suspectLensTitle(located.suspect), command: REVEAL_SITE_COMMAND, arguments: [revealArgs(located)] } };
  });
}
