import type { AgentSite, AgentSnapshot } from '../protocol/agentSnapshot';
import type { ClosureEvidence, LocationKind, SourceLocation, StackFrame } from '../protocol/asyncSnapshot';
import { isUserFrame, type ResolvedLocation } from '../sourcemap';

/**
 * An agent site whose frames the engine has already source-mapped, so analysis needs no I/O.
 * `resolvedStack[i]` is `frames[i]` resolved; `callbackLocation` is the `[[FunctionLocation]]`
 * of `callbackObjectId`, resolved, for resources created before the attach.
 */
export type ResolvedSite = AgentSite & { resolvedStack: ResolvedLocation[]; callbackLocation?: ResolvedLocation; closures?: ClosureEvidence };

/** `closureScan`: what the engine's look into closures covered and cost (see `engine/closureEvidence`). */
export type ResolvedAgentSnapshot = Omit<AgentSnapshot, 'sites'> & { sites: ResolvedSite[]; closureScan?: { sites: number; functions: number; ms: number } };

export function toStackFrames(site: ResolvedSite): StackFrame[] {
  return site.resolvedStack.map((location, index) => {
    const functionName = location.generated.functionName || site.frames[index]?.functionName || '<anonymous>';
    const frame: StackFrame = { functionName, ...toSourceLocation(location), mapped: location.mapped };
    if (!location.mapped) frame.reason = location.reason;
    return frame;
  });
}

/** The top frame in the program's own code, else the innermost frame, else the callback. */
export function creationLocation(site: ResolvedSite): { location: SourceLocation; kind: LocationKind } | null {
  const user = site.resolvedStack.find(isUserFrame);
  if (user) return { location: toSourceLocation(user), kind: 'user-frame' };
  if (site.resolvedStack.length > 0) return { location: toSourceLocation(site.resolvedStack[0]), kind: 'first-frame' };
  if (site.callbackLocation) return { location: toSourceLocation(site.callbackLocation), kind: 'callback' };
  return null;
}

/**
 * Identifies a site independently of the agent's ids, which restart with every installation:
 * the type plus the whole original-source stack (the top location alone would merge sites that
 * reach it from different callers, which the agent keeps apart). With no position known at all
 * nothing is stable, so the id is kept in the key rather than merging unrelated callbacks.
 */
export function stableSiteKey(site: ResolvedSite): string {
  if (site.resolvedStack.length > 0) return `${site.type} ${site.resolvedStack.map(formatPosition).join(' < ')}`;
  if (site.callbackLocation) return `${site.type} callback ${formatPosition(site.callbackLocation)}`;
  return `${site.type} hint ${site.callbackHint ?? ''} #${site.id}`;
}

function toSourceLocation(location: ResolvedLocation): SourceLocation {
  return { path: location.path, line: location.line, column: location.column };
}

function formatPosition(location: SourceLocation): string {
  return `${location.path}:${location.line}:${location.column}`;
}
