/**
 * `leak-inspector check --inspect TARGET [--settle S] [--min-growth N] [--heap] [--alloc-stacks] [--promises] [--json] -- COMMAND…`
 * The `goleak.VerifyNone` of Node: observe, run a scenario against the target, let it settle,
 * observe again; exit 1 on a leak of any kind the command left behind (see `checkVerdict`):
 * grown creation sites, listeners that grew, with `--heap` holders/listeners/reactions/classes
 * that grew on the heap, with `--promises` new promises that can never settle.
 */
import { spawn } from 'node:child_process';
import type { PromiseTracking } from '../engine/agentConfig';
import { checkVerdict, inspectScenario, listenerScanOptions } from '../engine/inspection';
import { InspectorSession } from '../engine/inspectorSession';
import type { AgentConfig } from '../protocol/agentSnapshot';
import { formatHeapGrowthText, formatLocation, suspectLine } from '../presentation';
import type { SourceLocation } from '../protocol/asyncSnapshot';
import type { Suspect } from '../protocol/report';

export interface CheckCommandOptions {
  target: string;
  command: string[];
  settleS: number;
  /** Growth below this count at a site is tolerated (default 1: any growth fails). */
  minGrowth: number;
  /** Also compare heap snapshots taken before and after (each pauses the target). */
  heap: boolean;
  /** With the heap snapshots, V8's allocation stacks in between (implies `heap`; slows the target a lot while the command runs). */
  allocStacks: boolean;
  /** Exact pending-promise census before and after (a heap snapshot each): fails on new stuck promises. */
  promises: boolean;
  json: boolean;
  allowRemoteHosts: string[];
  agent: Partial<AgentConfig>;
  promiseTracking: PromiseTracking;
}

export async function checkCommand(options: CheckCommandOptions, out: (text: string) => void, notice: (text: string) => void = out): Promise<number> {
  const session = await InspectorSession.attach(options.target, {
    allowRemoteHosts: options.allowRemoteHosts,
    agent: options.agent,
    listeners: listenerScanOptions('check', { onNotice: notice }),
  });
  try {
    const root = process.cwd();
    // With --json, stdout is the report alone: the command's own output goes to stderr.
    const inspection = await inspectScenario(session, () => run(options.command, options.json), {
      producer: 'cli check',
      target: { address: options.target },
      promiseTracking: options.promiseTracking,
      heap: options.heap || options.allocStacks,
      allocationStacks: options.allocStacks,
      promises: options.promises,
      minGrowth: options.minGrowth,
      settleMs: options.settleS * 1000,
      onNotice: notice,
    });
    const exitCode = inspection.result;
    const verdict = checkVerdict(inspection, { minGrowth: options.minGrowth, commandExitCode: exitCode, settleMs: options.settleS * 1000 });
    const { report, heap } = inspection;
    const { suspectKeys, ...check } = verdict;
    report.check = { ...check, suspectKeys };
    if (options.json) {
      out(JSON.stringify(report, null, 2));
    } else {
      const { grown } = verdict;
      if (grown.length === 0) {
        out(`no async leaks: every creation site is back to its count before the command (settled ${options.settleS}s)`);
      } else {
        out(`${grown.length} creation site${grown.length === 1 ? '' : 's'} grew during the command and did not come back within ${options.settleS}s:\n`);
        for (const site of grown) out(`  +${site.delta}  ${site.type.padEnd(9)} ${site.before} → ${site.after}  ${where(site.location)}`);
      }
      const failing = report.suspects.filter((suspect) => suspectKeys.includes(suspect.key));
      const others = failing.filter((suspect) => suspect.kind !== 'heap-class');
      if (others.length > 0) {
        out(`\n${others.length} suspect${others.length === 1 ? '' : 's'} the command left behind (listeners, holders, promise reactions, stuck promises):\n`);
        for (const suspect of others) {
          out(`  ${suspectLine(suspect, root)}`);
          if (options.allocStacks) for (const line of allocationLines(suspect, root)) out(`      ${line}`);
        }
      } else {
        out(`no listener${heap ? ', holder, promise-reaction' : ''}${options.promises ? ' or stuck-promise' : ''} leaks: nothing medium or high grew during the command`);
      }
      if (heap) {
        const heapLeaks = heap.sites.filter((site) => site.severity !== 'low');
        const heapFailing = failing.some((suspect) => suspect.kind !== 'listener' || !report.threads.some((thread) => thread.listenerSuspects?.includes(suspect)));
        if (!heapFailing) out(`no heap leaks: no class of the program kept ${options.minGrowth} or more objects, and no holder grew, with a medium or high score`);
        if (heapLeaks.length > 0) out(`\n${formatHeapGrowthText({ ...heap, sites: heapLeaks }, { root })}`);
      }
      if (inspection.promiseCensus) {
        const { census, stuckCount } = inspection.promiseCensus.analysis;
        const before = inspection.promisesBefore?.analysis.stuckCount ?? 0;
        out(`promise census (exact, from heap snapshots): ${census.total} pending, ${stuckCount} can never settle (${before} before the command)`);
      }
    }
    if (exitCode !== 0) out(`(the command itself exited with ${exitCode})`);
    return verdict.leaked ? 1 : 0;
  } finally {
    await session.detach();
  }
}

function run(command: string[], outputToStderr: boolean): Promise<number> {
  const [file, ...args] = command;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['inherit', outputToStderr ? 2 : 'inherit', 'inherit'] });
    child.once('error', (error) => reject(new Error(`could not run ${file}: ${error.message}`)));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Labels of the details holder suspects get from allocation stacks (see engine/holderGrowth.ts). */
const ALLOCATION_LABELS = ['allocated by', 'registered by', 'added by'];

/** `allocated by join (src/lobby.ts:46:14) ×20`, from the suspect's allocation stacks; or why there are none. */
function allocationLines(suspect: Suspect, root: string): string[] {
  const detail = suspect.details.find(({ label }) => ALLOCATION_LABELS.includes(label));
  if (!detail) return [];
  if (suspect.paths.length === 0) return [`${detail.label}: ${detail.value}`];
  return suspect.paths.slice(0, 3).map(({ count, stack: [frame] }) => `${detail.label} ${frame.functionName} (${formatLocation(frame, root)}) ×${count}`);
}

function where(location: SourceLocation | null): string {
  return location ? formatLocation(location, process.cwd()) : '(location unknown)';
}
