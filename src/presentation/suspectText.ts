/** Ranked suspects of every kind as text: the first thing the CLI prints of a report. */
import type { CapabilityWarning, InspectionReport, Suspect } from '../protocol/report';
import { formatBytes } from './bytes';
import { formatLocation, plural } from './paths';

/** `score 92 HIGH  async  15 live intervals  +4  src/game/session.ts:53:5  [main, 3 paths]`. */
export function suspectLine(suspect: Suspect, root?: string): string {
  const where = suspect.location ? formatLocation(suspect.location, root) : '(location unknown)';
  const growth = suspect.growth !== null && suspect.growth !== 0 ? `  ${suspect.growth > 0 ? '+' : ''}${suspect.growth}` : '';
  const notes = [suspect.thread, ...(suspect.paths.length > 1 ? [plural(suspect.paths.length, 'path')] : [])];
  if (suspect.retainedBytes !== null) notes.push(`retains ${formatBytes(suspect.retainedBytes)}`);
  if (suspect.estimated) notes.push('estimated');
  const holder = suspect.holder ? `  held by ${suspect.holder}` : '';
  return `score ${suspect.score} ${suspect.severity.toUpperCase()}  ${suspect.kind}  ${suspect.title}${growth}  ${where}${holder}  [${notes.join(', ')}]`;
}

/** `warning: [main] context-unavailable: …`. */
export function warningLine(warning: CapabilityWarning): string {
  return `warning: ${warning.thread ? `[${warning.thread}] ` : ''}${warning.code}: ${warning.message}`;
}

/** The report's head: target, time, warnings, then the ranked suspects of every kind. */
export function formatSuspectsText(report: InspectionReport, options: { root?: string; maxSuspects?: number } = {}): string {
  const { target } = report;
  const lines = [
    `${target.label}${target.nodeVersion ? ` · Node ${target.nodeVersion}` : ''} · report by ${report.producer} at ${new Date(report.createdAt).toISOString()}`,
    ...report.warnings.map(warningLine),
  ];
  const shown = report.suspects.slice(0, options.maxSuspects ?? report.suspects.length);
  lines.push(`${plural(report.suspects.length, 'suspect')}, highest score first:`);
  for (const suspect of shown) lines.push(`  ${suspectLine(suspect, options.root)}`);
  if (shown.length < report.suspects.length) lines.push(`  … ${plural(report.suspects.length - shown.length, 'more suspect')}`);
  return lines.join('\n') + '\n';
}
