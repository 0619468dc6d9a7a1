/**
 * `leak-inspector check --inspect TARGET [--settle S] [--min-growth N] [--json] -- COMMAND…`
 * The `goleak.VerifyNone` of Node: snapshot, run a scenario against the target, let it settle,
 * snapshot again; exit 1 listing the creation sites that grew and did not come back.
 */
import { spawn } from 'node:child_process';
import { diffSnapshots } from '../analysis';
import type { PromiseTracking } from '../engine/agentConfig';
import { HeapGrowthProbe } from '../engine/heapGrowth';
import { InspectorSession } from '../engine/inspectorSession';
import type { AgentConfig } from '../protocol/agentSnapshot';
import { formatHeapGrowthText, formatLocation } from '../presentation';
import type { SourceLocation } from '../protocol/asyncSnapshot';
import { buildReport, heapClassSuspect } from '../report';

export interface CheckCommandOptions {
  target: string;
  command: string[];
  settleS: number;
  /** Growth below this count at a site is tolerated (default 1: any growth fails). */
  minGrowth: number;
  /** Also compare heap snapshots taken before and after (each pauses the target). */
  heap: boolean;
  json: boolean;
  allowRemoteHosts: string[];
  agent: Partial<AgentConfig>;
  promiseTracking: PromiseTracking;
}

export async function checkCommand(options: CheckCommandOptions, out: (text: string) => void): Promise<number> {
  const session = await InspectorSession.attach(options.target, { allowRemoteHosts: options.allowRemoteHosts, agent: options.agent });
  try {
    const [before] = await session.snapshot();
    const heapProbe = options.heap ? await HeapGrowthProbe.start(session, { minGrowth: options.minGrowth }) : undefined;
    try {
      const exitCode = await run(options.command);
      await new Promise((resolve) => setTimeout(resolve, options.settleS * 1000));
      const threads = await session.snapshot();
      const [after] = threads;
      const grown = diffSnapshots(before, after).sites.filter((site) => site.delta >= options.minGrowth);
      const heap = heapProbe ? await heapProbe.finish() : undefined;
      const heapLeaks = heap?.sites.filter((site) => site.severity !== 'low') ?? [];
      const leaked = grown.length > 0 || heapLeaks.length > 0;
      if (options.json) {
        const report = buildReport({
          threads,
          target: { address: options.target },
          producer: 'cli check',
          suspects: heapLeaks.map(heapClassSuspect),
          sampling: { promiseTracking: options.promiseTracking, notes: heap ? ['heap snapshots before and after the command (each paused the target) compared by class: heap-class suspects'] : [] },
        });
        report.check = { commandExitCode: exitCode, leaked, settleMs: options.settleS * 1000, grown, ...(heap && { heapGrowthBytes: heap.heapGrowthBytes }) };
        out(JSON.stringify(report, null, 2));
      } else {
        if (grown.length === 0) {
          out(`no async leaks: every creation site is back to its count before the command (settled ${options.settleS}s)`);
        } else {
          out(`${grown.length} creation site${grown.length === 1 ? '' : 's'} grew during the command and did not come back within ${options.settleS}s:\n`);
          for (const site of grown) out(`  +${site.delta}  ${site.type.padEnd(9)} ${site.before} → ${site.after}  ${where(site.location)}`);
        }
        if (heap && heapLeaks.length === 0) out(`no heap leaks: no class of the program kept ${options.minGrowth} or more objects with a medium or high score`);
        if (heap && heapLeaks.length > 0) out(`\n${formatHeapGrowthText({ ...heap, sites: heapLeaks }, { root: process.cwd() })}`);
      }
      if (exitCode !== 0) out(`(the command itself exited with ${exitCode})`);
      return leaked ? 1 : 0;
    } finally {
      await heapProbe?.dispose();
    }
  } finally {
    await session.detach();
  }
}

function run(command: string[]): Promise<number> {
  const [file, ...args] = command;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    child.once('error', (error) => reject(new Error(`could not run ${file}: ${error.message}`)));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function where(location: SourceLocation | null): string {
  return location ? formatLocation(location, process.cwd()) : '(location unknown)';
}

