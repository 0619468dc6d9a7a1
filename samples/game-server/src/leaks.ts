/**
 * The nine leak switches of the sample server. Each is a faithful Node.js version of a
 * goroutine-leak pattern from Go game servers; the code at each bug site is marked
 * `LEAK(name)` so a reader can compare the leaky and the correct branch side by side.
 */
export const LEAK_NAMES = ['heartbeat', 'pool', 'pending', 'timer', 'abort', 'battle', 'listener', 'holder', 'reactions'] as const;
export type LeakName = (typeof LEAK_NAMES)[number];

export const LEAK_DESCRIPTIONS: Record<LeakName, string> = {
  heartbeat: 'heartbeat interval not cleared when the connection closes',
  pool: 'store connection not released on an error path; the pool\'s waiters pile up',
  pending: 'ready check awaits a message that never comes from a dropped player',
  timer: 'match timeout not cleared when the match ends early',
  abort: 'ranking RPC without AbortSignal keeps retrying after the player left',
  battle: 'finished battles stay ACTIVE in the module-level battles Map',
  listener: 'each player\'s lobby-feed listener stays on the server-wide presence bus after they leave',
  holder: 'reconnect tokens (with their sockets) stay in the module-level reconnectTokens Map after the player leaves',
  reactions: 'every message races the never-settling shutdown promise, adding a reaction that keeps its reply',
};

export type LeakSet = ReadonlySet<LeakName>;

/** Parses `all`, `none` or a comma-separated list such as `heartbeat,pool`. */
export function parseLeaks(spec: string): LeakSet {
  const trimmed = spec.trim();
  if (trimmed === 'all') return new Set(LEAK_NAMES);
  if (trimmed === 'none' || trimmed === '') return new Set();
  const leaks = new Set<LeakName>();
  for (const part of trimmed.split(',')) {
    const name = part.trim();
    if (!(LEAK_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown leak "${name}": expected all, none or a list of ${LEAK_NAMES.join(', ')}`);
    }
    leaks.add(name as LeakName);
  }
  return leaks;
}
