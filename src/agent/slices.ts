/**
 * Long work in short slices. A snapshot of a big server (tens of thousands of live resources,
 * listeners on thousands of emitters) takes hundreds of milliseconds of the target's time; run in
 * one go, that is a stall every player feels. The work is written as a generator that yields
 * every few dozen items; the runner resumes it until a slice has used `sliceMs`, then gives the
 * event loop back (I/O, timers, the game) before the next slice.
 */

/** What a sliced run cost the target. */
export interface SliceCost {
  /** The longest slice: the longest the event loop was held by this work, in ms. */
  longestMs: number;
  /** All slices together, in ms. */
  workMs: number;
  slices: number;
}

/** Resumes `later` after the event loop has had its turn (the original `setImmediate`, so the agent never records itself). */
export type YieldToLoop = (later: () => void) => void;

export function runInSlices<T>(steps: Generator<void, T>, yieldToLoop: YieldToLoop, sliceMs: number): Promise<{ value: T; cost: SliceCost }> {
  return new Promise((resolve, reject) => {
    const cost: SliceCost = { longestMs: 0, workMs: 0, slices: 0 };
    const slice = () => {
      const started = performance.now();
      let step: IteratorResult<void, T>;
      try {
        do step = steps.next();
        while (!step.done && performance.now() - started < sliceMs);
      } catch (error) {
        reject(error as Error);
        return;
      }
      const spent = performance.now() - started;
      cost.longestMs = Math.max(cost.longestMs, spent);
      cost.workMs += spent;
      cost.slices++;
      if (step.done) resolve({ value: step.value, cost });
      else yieldToLoop(slice);
    };
    slice();
  });
}

/** Items handled between two checks of the slice's clock (a check costs ~50 ns, an item µs). */
export const ITEMS_PER_STEP = 64;
