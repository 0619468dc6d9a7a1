/** Type guards for data read from outside (JSON files, LSP clients, CDP replies). Node-free. */

/** A plain object (not null, not an array): safe to read fields from. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
