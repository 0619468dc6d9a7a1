/**
 * `leak-inspector heap …`: capture a live target's heap (allocation sampling by default, or a
 * snapshot) and analyse snapshot files: summarize, diff, retainers.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { attach } from '../cdp';
import {
  diffHeapSnapshots,
  estimateSnapshot,
  heapRetainerPath,
  heapRetainers,
  sampleAllocations,
  saveHeapProfile,
  summarizeHeapSnapshot,
  takeHeapSnapshot,
} from '../heap';
import { sourceMappedAllocationSites } from '../engine/allocationSites';
import { formatBytes, formatDiff, formatDuration, formatRetainerPath, formatRetainers, formatSummary } from '../presentation';

type Out = (text: string) => void;

/** Allocation sites listed after sampling (the language server lists 20). */
const TOP_ALLOCATION_SITES = 15;

export function summarizeCommand(file: string, json: boolean, out: Out): void {
  const summary = summarizeHeapSnapshot(file);
  out(json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
}

export function diffCommand(before: string, after: string, json: boolean, out: Out): void {
  const diff = diffHeapSnapshots(before, after);
  out(json ? JSON.stringify(diff, null, 2) : formatDiff(diff));
}

export function retainersCommand(file: string, className: string, limit: number, json: boolean, out: Out): void {
  const retainers = heapRetainers(file, className, limit);
  out(json ? JSON.stringify(retainers, null, 2) : formatRetainers(retainers));
}

export function retainerPathCommand(file: string, id: number, json: boolean, out: Out): void {
  const path = heapRetainerPath(file, id);
  out(json ? JSON.stringify(path, null, 2) : formatRetainerPath(path));
}

export interface InspectHeapOptions {
  target: string;
  allowRemoteHosts: string[];
  /** Sampling duration; ignored when `snapshot` is set. */
  sampleS: number;
  /** Where to write a heap snapshot instead of sampling. */
  snapshot?: string;
  /** Where to save the sampling profile. */
  profileFile: string;
  json: boolean;
}

/** Samples allocations (or takes a snapshot, warning about the pause first) of a live target. */
export async function inspectHeapCommand(options: InspectHeapOptions, out: Out, progress: Out): Promise<void> {
  const session = await attach(options.target, { allowRemoteHosts: options.allowRemoteHosts });
  try {
    if (options.snapshot) {
      const file = path.resolve(options.snapshot);
      const { usedSize, estimatedPauseMs } = await estimateSnapshot(session);
      progress(`heap snapshot of ${session.label}: ${formatBytes(usedSize)} in use; the target will be paused for about ${formatDuration(estimatedPauseMs)} while V8 walks its heap`);
      let shown = -1;
      const result = await takeHeapSnapshot(session, file, {
        onProgress: ({ done, total, finished }) => {
          const percent = finished ? 100 : Math.floor((done / Math.max(1, total)) * 100);
          if (percent >= shown + 10 || finished) progress(`  ${finished ? 'serializing' : `${(shown = percent)}%`}`);
        },
      });
      const report = { file: result.file, bytes: result.bytes, durationMs: result.durationMs, estimatedPauseMs };
      out(options.json ? JSON.stringify(report, null, 2) : `wrote ${result.file} (${formatBytes(result.bytes)}) in ${formatDuration(result.durationMs)}`);
      return;
    }
    progress(`sampling allocations of ${session.label} for ${options.sampleS} s`);
    const profile = await sampleAllocations(session, options.sampleS * 1000);
    const file = path.resolve(options.profileFile);
    await saveHeapProfile(profile, file);
    const sites = await sourceMappedAllocationSites(profile, TOP_ALLOCATION_SITES);
    if (options.json) out(JSON.stringify({ profile: file, sites }, null, 2));
    else {
      const lines = sites.map((site) => `${formatBytes(site.bytes).padStart(10)}  ${site.functionName}  ${site.path ? `${site.path}:${site.line}:${site.column}` : '(native)'}`);
      out([`live bytes sampled by allocating function (saved ${file}; open it in Chrome DevTools or VS Code):`, ...lines].join('\n'));
    }
  } finally {
    session.close();
  }
}

export const HEAP_USAGE = `  heap --inspect TARGET [--sample S] [--out FILE.heapprofile] [--snapshot FILE] [--json]
      sample a live target's allocations for S seconds (default 10; cheap, no pause), save the
      .heapprofile and list the functions whose allocations are still alive, source-mapped; or,
      with --snapshot, write a .heapsnapshot (the target is paused meanwhile: the estimate is
      printed first).
  heap summarize FILE [--json]
      classes by retained size, as Chrome DevTools' Summary: count, self size, retained size.
  heap diff BEFORE AFTER [--json]
      objects new and deleted between two snapshots of one process, per class (DevTools'
      Comparison).
  heap retainers FILE (--name CLASS [--top N] | --id ID) [--json]
      the shortest path from the GC roots to the N objects of CLASS retaining the most (3),
      or to the object with heap id ID (@ID in DevTools), with the references' names.`;

/** `heap …` arguments (after the word heap); resolves with the exit code. */
export async function heapMain(args: string[], out: Out, progress: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      inspect: { type: 'string' },
      'allow-remote': { type: 'string', multiple: true, default: [] as string[] },
      sample: { type: 'string', default: '10' },
      out: { type: 'string' },
      snapshot: { type: 'string' },
      json: { type: 'boolean', default: false },
      name: { type: 'string' },
      id: { type: 'string' },
      top: { type: 'string', default: '3' },
    },
  });
  const [action, ...files] = positionals;
  const needFiles = (count: number) => {
    if (files.length !== count) throw new Error(`heap ${action} needs ${count === 1 ? 'a snapshot file' : `${count} snapshot files`}\n\n${HEAP_USAGE}`);
  };
  switch (action) {
    case undefined: {
      if (!values.inspect) throw new Error(`heap needs --inspect TARGET, or summarize, diff or retainers\n\n${HEAP_USAGE}`);
      const sampleS = Number(values.sample);
      if (!(sampleS > 0)) throw new Error(`--sample must be a positive number, got ${values.sample}`);
      await inspectHeapCommand(
        {
          target: values.inspect,
          allowRemoteHosts: values['allow-remote'],
          sampleS,
          snapshot: values.snapshot,
          profileFile: values.out ?? `heap-${new Date().toISOString().replace(/[:.]/g, '-')}.heapprofile`,
          json: values.json,
        },
        out,
        progress,
      );
      return 0;
    }
    case 'summarize':
      needFiles(1);
      summarizeCommand(files[0], values.json, out);
      return 0;
    case 'diff':
      needFiles(2);
      diffCommand(files[0], files[1], values.json, out);
      return 0;
    case 'retainers': {
      needFiles(1);
      if (values.id !== undefined) {
        const id = Number(values.id.replace(/^@/, ''));
        if (!Number.isInteger(id) || id < 0) throw new Error(`--id must be a heap object id, got ${values.id}`);
        retainerPathCommand(files[0], id, values.json, out);
        return 0;
      }
      if (!values.name) throw new Error(`heap retainers needs --name CLASS or --id ID\n\n${HEAP_USAGE}`);
      const top = Number(values.top);
      if (!Number.isInteger(top) || top < 1) throw new Error(`--top must be a whole number ≥ 1, got ${values.top}`);
      retainersCommand(files[0], values.name, top, values.json, out);
      return 0;
    }
    default:
      throw new Error(`unknown heap action "${action}"\n\n${HEAP_USAGE}`);
  }
}
