/**
 * What the agent cannot do on this target, reported with every snapshot (`warnings`) so that a
 * front end says so instead of showing empty data as if nothing were there.
 */
import type { CapabilityWarning } from '../protocol/report';
import type { OwnershipTracker } from './ownership';

export function capabilityWarnings(timerListsFound: boolean, ownership: OwnershipTracker): CapabilityWarning[] {
  const warnings = ownership.warnings();
  if (!timerListsFound) {
    warnings.push({ code: 'timer-lists-missing', message: `Node ${process.versions.node}'s timer lists were not found: timers and immediates created before the attach are not seen` });
  }
  return warnings;
}
