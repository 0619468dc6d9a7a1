/**
 * The words editors show for a suspect of any kind (async site, listener, holder, promise
 * reactions, stuck promise, heap class): diagnostic messages, code lens titles, end-of-line
 * hints, hover Markdown and tree labels. One place, so the Problems view, the gutter, the
 * hover and the Leak Suspects view say the same thing.
 */
import type { StackFrame } from '../protocol/asyncSnapshot';
import type { Suspect, SuspectKind } from '../protocol/report';
import { formatBytes } from './bytes';
import { baseName } from './paths';
import { frameText } from './siteText';

/** What each kind is, for a reader: tree tooltips, hover headers. */
export const SUSPECT_KIND_NAMES: Record<SuspectKind, string> = {
  async: 'live async resources',
  listener: 'listeners',
  holder: 'growing collection',
  'promise-reactions': 'reactions on a pending promise',
  'stuck-promise': 'promises that can never settle',
  'orphaned-promise': 'pending promises whose owner is gone',
  'heap-class': 'objects piling up',
};

/** How the location relates to the suspect, said after the title (`15 live intervals created here`). */
const AT_LOCATION: Partial<Record<SuspectKind, string>> = { async: 'created here' };

/** Heading of the stack of a suspect's first path in hovers. */
const PATH_HEADING: Record<SuspectKind, string> = {
  async: 'Created at',
  listener: 'Registered at',
  holder: 'Added at',
  'promise-reactions': 'Reactions added at',
  'stuck-promise': 'Created at',
  'orphaned-promise': 'Created at',
  'heap-class': 'Allocated at',
};

/** Paths shown in a hover or as related information; the rest are counted. */
const MAX_PATHS = 3;

function detail(suspect: Suspect, label: string): string | undefined {
  return suspect.details.find((entry) => entry.label === label)?.value;
}

/** `owner-gone 30, growth 25`: the factors that gave points, largest first. */
export function suspectReasons(suspect: Suspect): string {
  return [...suspect.factors]
    .filter((factor) => factor.points > 0)
    .sort((a, b) => b.points - a.points)
    .map((factor) => `${factor.name} ${factor.points}`)
    .join(', ');
}

/** `15 live intervals created here`, `+240 'message' listeners on presence`. */
function headline(suspect: Suspect): string {
  const at = AT_LOCATION[suspect.kind];
  return at ? `${suspect.title} ${at}` : suspect.title;
}

/** The holder, unless the title already names it. */
function heldBy(suspect: Suspect): string | undefined {
  return suspect.holder && !suspect.title.includes(suspect.holder) ? `held by ${suspect.holder}` : undefined;
}

function oldest(suspect: Suspect): string | undefined {
  const value = detail(suspect, 'oldest');
  return value === undefined ? undefined : `oldest ${value}`;
}

function growth(suspect: Suspect): string | undefined {
  if (suspect.growth === null || suspect.growth === 0 || suspect.title.startsWith('+')) return undefined;
  return suspect.growth > 0 ? `trend ↑ +${suspect.growth}` : `trend ↓ ${suspect.growth}`;
}

/**
 * The Problems view's line: `15 live intervals created here · oldest 4m12s · score 92
 * (owner-gone 30, …) · players: 15 (15 gone)`, `+240 'message' listeners on presence · score 92 (…)`.
 */
export function suspectDiagnosticMessage(suspect: Suspect): string {
  const reasons = suspectReasons(suspect);
  const parts = [headline(suspect), oldest(suspect), heldBy(suspect), `score ${suspect.score}${reasons ? ` (${reasons})` : ''}`, growth(suspect)];
  if (suspect.retainedBytes !== null) parts.push(`retains ${formatBytes(suspect.retainedBytes)}`);
  const context = detail(suspect, 'context');
  if (context) parts.push(context);
  return parts.filter(Boolean).join(' · ');
}

/** `15 live intervals created here · oldest 4m12s · score 92`: a code lens above the line. */
export function suspectLensTitle(suspect: Suspect): string {
  return [headline(suspect), oldest(suspect), `score ${suspect.score}`].filter(Boolean).join(' · ');
}

/** `15 live intervals · oldest 4m12s · score 92`: the end-of-line hint next to the gutter icon. */
export function suspectHint(suspect: Suspect): string {
  return [suspect.title, oldest(suspect), `score ${suspect.score}`].filter(Boolean).join(' · ');
}

/** `player-session.ts:53`, or what the suspect is when it has no line. */
export function suspectLabel(suspect: Suspect): string {
  return suspect.location ? `${baseName(suspect.location.path)}:${suspect.location.line}` : (suspect.holder ?? suspect.title);
}

/** Related-information lines: the frames of the first paths (`at fn (file.ts:3:5)`, later paths numbered). */
export function suspectPathFrames(suspect: Suspect): Array<{ frame: StackFrame; message: string }> {
  return suspect.paths.slice(0, MAX_PATHS).flatMap((path, index) =>
    path.stack.map((frame) => ({ frame, message: index === 0 ? `at ${frameText(frame)}` : `path ${index + 1} (×${path.count}): at ${frameText(frame)}` })),
  );
}

/**
 * Markdown for every suspect at one line: score and title, the factors that explain the
 * score, the kind's details, then its paths (different call paths to the line stay apart).
 */
export function suspectHoverMarkdown(entries: readonly { suspect: Suspect; threadLabel: string }[]): string {
  return entries
    .map(({ suspect, threadLabel }) => {
      const head = [`**Leak Inspector** · score **${suspect.score}** (${suspect.severity})`, suspect.title, oldest(suspect), threadLabel].filter(Boolean).join(' · ');
      const lines = [head, ''];
      const factors = [...suspect.factors].filter((factor) => factor.points > 0).sort((a, b) => b.points - a.points);
      for (const factor of factors) lines.push(`- ${factor.name} ${factor.points}/${factor.weight}: ${factor.explanation}`);
      if (suspect.holder) lines.push(`- held by: ${suspect.holder}`);
      if (suspect.retainedBytes !== null) lines.push(`- retains: ${formatBytes(suspect.retainedBytes)}`);
      for (const { label, value } of suspect.details) if (label !== 'oldest') lines.push(`- ${label}: ${value}`);
      suspect.paths.slice(0, MAX_PATHS).forEach((path, index) => {
        const heading = index === 0 ? `${PATH_HEADING[suspect.kind]}:` : `Another path (×${path.count}):`;
        lines.push('', heading, '```', ...path.stack.map((frame) => `at ${frameText(frame)}`), '```');
      });
      if (suspect.paths.length > MAX_PATHS) lines.push('', `… ${suspect.paths.length - MAX_PATHS} more paths`);
      return lines.join('\n');
    })
    .join('\n\n---\n\n');
}
