/**
 * The listener census as `listener` suspects: the agent's groups (already source-mapped and
 * filtered of Node's own listeners by the engine) merged to one entry per emitter kind, event
 * and source line, with growth from the history of earlier censuses, scored by `listenerScore`.
 * Pure: no I/O.
 */
import type { AgentListenerGroup } from '../protocol/agentSnapshot';
import type { ClosureEvidence, SourceLocation } from '../protocol/asyncSnapshot';
import type { Suspect, SuspectPath } from '../protocol/report';
import { formatDuration } from '../presentation/duration';
import { isUserFrame, type ResolvedLocation } from '../sourcemap';
import { scoreListenerGroup } from './listenerScore';
import type { SiteHistory } from './siteHistory';

/** A group whose registering stack and listener function the engine resolved to original sources. */
export type ResolvedListenerGroup = AgentListenerGroup & {
  resolvedStack: ResolvedLocation[];
  listenerLocation?: ResolvedLocation;
  /** How the user knows the emitter (`presence`, `.bus of GameServer`), when the engine could tell. */
  emitterName?: string;
  /** What the closures of a few sampled listeners hold (the engine's `scanClosures`), when it looked. */
  closures?: ClosureEvidence;
};

export interface ListenerSuspectOptions {
  /** Earlier censuses of the same thread; this one is recorded into it. */
  history?: SiteHistory;
  takenAt: number;
  processUptimeMs: number;
  /** `main`, `worker-1`. */
  thread: string;
}

interface Merged {
  key: string;
  first: ResolvedListenerGroup;
  location: SourceLocation | null;
  locationKind: 'registration' | 'listener' | null;
  groups: ResolvedListenerGroup[];
}

/** Suspects of one census, highest score first. */
export function listenerSuspects(groups: readonly ResolvedListenerGroup[], options: ListenerSuspectOptions): Suspect[] {
  const merged = mergeByLine(groups);
  const growthById = options.history?.record(
    options.takenAt,
    merged.map((entry) => ({ id: entry.first.id, key: entry.key, count: sum(entry.groups, (group) => group.count) })),
  );
  return merged
    .map((entry) => toSuspect(entry, growthById?.get(entry.first.id)?.trend, options))
    .sort((a, b) => b.score - a.score || b.count - a.count || a.key.localeCompare(b.key));
}

/**
 * One entry per emitter kind, event and listener code: different registering paths become its
 * `paths`. The key is the listener function's line where known, not the registering line: the
 * latter is known only once a registration was sampled, and the key must not change when it is.
 */
function mergeByLine(groups: readonly ResolvedListenerGroup[]): Merged[] {
  const byKey = new Map<string, Merged>();
  for (const group of groups) {
    const registration = group.resolvedStack.find(isUserFrame);
    const location = registration ?? group.listenerLocation ?? group.resolvedStack[0];
    const stable = group.listenerLocation ?? location;
    const where = stable ? `${stable.path}:${stable.line}:${stable.column}` : `#${group.id} ${group.listenerHint ?? ''}`;
    const key = `listener '${group.event}' on ${group.emitter} ${where}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = {
        key,
        first: group,
        location: location ? { path: location.path, line: location.line, column: location.column } : null,
        locationKind: registration ? 'registration' : group.listenerLocation ? 'listener' : location ? 'registration' : null,
        groups: [],
      };
      byKey.set(key, entry);
    }
    entry.groups.push(group);
    // A sampled registering line is the line to fix: it wins over the listener's own line.
    if (registration && entry.locationKind !== 'registration') {
      entry.location = { path: registration.path, line: registration.line, column: registration.column };
      entry.locationKind = 'registration';
    }
    // The group holding the most on one emitter names the entry.
    if (group.maxPerEmitter > entry.first.maxPerEmitter) entry.first = group;
  }
  return [...byKey.values()];
}

function toSuspect(entry: Merged, trend: readonly number[] | undefined, options: ListenerSuspectOptions): Suspect {
  const { groups, first } = entry;
  const count = sum(groups, (group) => group.count);
  const ownerGoneCount = sum(groups, (group) => group.ownerGoneCount);
  const ownerKnownCount = sum(groups, (group) => group.ownerKnownCount);
  const closureGoneCount = sum(groups, (group) => group.closures?.closed ?? 0);
  const closureKnownCount = sum(groups, (group) => (group.closures ? group.closures.closed + group.closures.open : 0));
  const closureShown = groups.find((group) => group.closures?.kind)?.closures;
  const sampled = sum(groups, (group) => group.sampledCount);
  const oldest = Math.min(...groups.map((group) => group.oldestRegisteredAt ?? Infinity));
  const oldestAgeMs = Number.isFinite(oldest) ? Math.max(0, options.takenAt - oldest) : undefined;
  const emitterAgeMs = Math.max(0, options.takenAt - first.emitterSeenAt);
  const fullTrend = trend ?? [count];
  const { score, severity, factors } = scoreListenerGroup({
    count,
    emitters: sum(groups, (group) => group.emitters),
    maxPerEmitter: Math.max(...groups.map((group) => group.maxPerEmitter)),
    trend: fullTrend,
    ownerGoneCount,
    ownerKnownCount,
    closureGoneCount,
    closureKnownCount,
    emitterLabel: first.emitter,
    emitterAgeMs,
    emitterPreexisting: first.emitterPreexisting,
    oldestAgeMs,
    processUptimeMs: options.processUptimeMs,
  });
  const growth = fullTrend.length > 1 ? fullTrend[fullTrend.length - 1] - fullTrend[fullTrend.length - 2] : null;
  const shown = growth !== null && growth > 0 ? `+${growth}` : `${count}`;
  const on = first.emitterName ? `${first.emitterName} (${first.emitter})` : first.emitter;
  const details: Suspect['details'] = [
    { label: 'listeners', value: `${count} on ${sum(groups, (group) => group.emitters)} emitter(s), up to ${first.maxPerEmitter} on one` },
    { label: 'emitter', value: `${on}, ${first.emitterKind}${first.emitterPreexisting ? ', existed before the attach' : ''}, known for ${formatDuration(emitterAgeMs)}` },
  ];
  if (first.listenerLocation) details.push({ label: 'listener function', value: `${first.listenerHint ?? '<anonymous>'} at ${first.listenerLocation.path}:${first.listenerLocation.line}` });
  else if (first.listenerHint) details.push({ label: 'listener function', value: first.listenerHint });
  details.push({ label: 'registrations sampled', value: `${sampled} of ${count} (stack, time and owner are known for these)` });
  if (ownerKnownCount > 0) details.push({ label: 'owner gone', value: `${ownerGoneCount} of ${ownerKnownCount} sampled` });
  if (closureKnownCount > 0) {
    const what = closureShown?.kind ? ` (${closureShown.kind} \`${closureShown.path}\`)` : '';
    details.push({ label: 'connection closed', value: `${closureGoneCount} of ${closureKnownCount} sampled listeners' closures hold a closed connection${what}` });
  }
  if (oldestAgeMs !== undefined) details.push({ label: 'oldest sampled', value: `registered ${formatDuration(oldestAgeMs)} ago` });
  if (entry.locationKind === 'listener') details.push({ label: 'location', value: "the listener function's line (no registration was sampled)" });
  return {
    kind: 'listener',
    key: entry.key,
    title: `${shown} '${first.event}' listener${count === 1 ? '' : 's'} on ${on}`,
    location: entry.location,
    holder: first.emitterName ?? first.emitter,
    thread: options.thread,
    score,
    severity,
    factors,
    count,
    growth,
    retainedBytes: null,
    paths: pathsOf(groups),
    details,
    estimated: false,
  };
}

/** Registering stacks, most listeners first; groups without a sampled stack add no path. */
function pathsOf(groups: readonly ResolvedListenerGroup[]): SuspectPath[] {
  return groups
    .filter((group) => group.resolvedStack.length > 0)
    .sort((a, b) => b.count - a.count)
    .map((group) => ({
      count: group.count,
      stack: group.resolvedStack.map((location, index) => {
        const frame = {
          functionName: location.generated.functionName || group.frames[index]?.functionName || '<anonymous>',
          path: location.path,
          line: location.line,
          column: location.column,
          mapped: location.mapped,
        };
        return location.mapped ? frame : { ...frame, reason: location.reason };
      }),
    }));
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
