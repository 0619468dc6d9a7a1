/**
 * Allocation sampling (`HeapProfiler.startSampling`): a cheap, low-overhead view of which
 * functions allocate the objects that are still alive, without a stop-the-world snapshot.
 */
import { writeFile } from 'node:fs/promises';
import type { Protocol } from 'devtools-protocol';
import type { CdpSession } from '../cdp';

export type SamplingHeapProfile = Protocol.HeapProfiler.SamplingHeapProfile;

/** V8's (and Chrome DevTools') default: on average one sample per 32 KiB allocated. */
export const DEFAULT_SAMPLING_INTERVAL = 32_768;

export interface SampleAllocationsOptions {
  /** Mean bytes between samples (default 32768). Smaller is more precise and slower. */
  samplingInterval?: number;
  /** Stops waiting early; the profile so far is still returned. */
  signal?: AbortSignal;
}

/**
 * Samples allocations for `durationMs` and returns the profile of what is still alive. Sampling
 * is stopped even when a step fails. `HeapProfiler.disable` is not sent: it clears heap object
 * ids for the whole isolate, which would disturb another session (e.g. the user's DevTools).
 */
export async function sampleAllocations(
  session: CdpSession,
  durationMs: number,
  options: SampleAllocationsOptions = {},
): Promise<SamplingHeapProfile> {
  await session.send('HeapProfiler.enable');
  await session.send('HeapProfiler.startSampling', { samplingInterval: options.samplingInterval ?? DEFAULT_SAMPLING_INTERVAL });
  try {
    await delay(durationMs, options.signal);
    const { profile } = await session.send('HeapProfiler.getSamplingProfile');
    return profile;
  } finally {
    if (!session.isClosed) await session.send('HeapProfiler.stopSampling').catch(() => undefined);
  }
}

/** Writes the profile as a `.heapprofile` file, the JSON Chrome DevTools saves and loads. */
export async function saveHeapProfile(profile: SamplingHeapProfile, file: string): Promise<void> {
  await writeFile(file, JSON.stringify(profile));
}

export interface AllocationSite {
  functionName: string;
  url: string;
  /** 1-based, of the function (V8 reports where the function starts, not the allocating line). */
  line: number;
  /** 1-based. */
  column: number;
  /** Live bytes sampled in this function itself (not in its callees), summed over all call paths. */
  bytes: number;
}

/** Sites allocating the most live bytes, most first; sites with no bytes are left out. */
export function topAllocationSites(profile: SamplingHeapProfile, n = 10): AllocationSite[] {
  const sites = new Map<string, AllocationSite>();
  const stack: Protocol.HeapProfiler.SamplingHeapProfileNode[] = [profile.head];
  for (let node = stack.pop(); node; node = stack.pop()) {
    stack.push(...node.children);
    if (node.selfSize <= 0) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const key = `${functionName}\0${url}\0${lineNumber}\0${columnNumber}`;
    const site = sites.get(key);
    if (site) site.bytes += node.selfSize;
    else sites.set(key, { functionName, url, line: lineNumber + 1, column: columnNumber + 1, bytes: node.selfSize });
  }
  return [...sites.values()].sort((a, b) => b.bytes - a.bytes).slice(0, Math.max(0, n));
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
