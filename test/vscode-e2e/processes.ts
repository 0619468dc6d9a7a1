/**
 * Process bookkeeping for the e2e run, so nothing it started outlives it. code-server runs in
 * its own process group (one signal stops it and its children), and every process started for
 * the run carries a marker in its environment: terminals (their own session, outside the group)
 * and anything else that escaped are found by it in /proc and killed by PID.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const RUN_MARKER = 'LEAK_INSPECTOR_E2E_RUN';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pids(): number[] {
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
}

/** The process group of a live process; undefined once it is gone or a zombie. */
function processGroupOf(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name: state ppid pgrp ...
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? undefined : Number(pgrp);
  } catch {
    return undefined;
  }
}

function hasMarker(pid: number, runId: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${RUN_MARKER}=${runId}`);
  } catch {
    return false;
  }
}

/** Processes of the group `pgid` plus those carrying this run's marker, ourselves excepted. */
function processesOfRun(pgid: number | undefined, runId: string): number[] {
  return pids().filter((pid) => {
    if (pid === process.pid) return false;
    const group = processGroupOf(pid);
    return group !== undefined && ((pgid !== undefined && group === pgid) || hasMarker(pid, runId));
  });
}

/**
 * SIGTERM to the group and the marked processes, SIGKILL to whatever is left after `graceMs`.
 * Returns the PIDs signalled, and the command lines of those that needed SIGKILL.
 */
export async function killRun(pgid: number | undefined, runId: string, graceMs = 5000): Promise<{ stopped: number[]; killed: string[] }> {
  const signal = (name: NodeJS.Signals) => {
    const left = processesOfRun(pgid, runId);
    if (pgid !== undefined) tryKill(-pgid, name);
    for (const pid of left) tryKill(pid, name);
    return left;
  };
  const stopped = signal('SIGTERM');
  for (const deadline = Date.now() + graceMs; Date.now() < deadline && processesOfRun(pgid, runId).length > 0; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const killed = processesOfRun(pgid, runId).map((pid) => `${pid} ${commandLine(pid).join(' ').slice(0, 160)}`);
  if (killed.length > 0) {
    signal('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { stopped, killed };
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Live processes carrying this run's marker, with their command lines. */
export function markedProcesses(runId: string): { pid: number; argv: string[] }[] {
  return processesOfRun(undefined, runId)
    .map((pid) => ({ pid, argv: commandLine(pid) }))
    .filter(({ argv }) => argv.length > 0);
}

function commandLine(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

const OWNER_FILE = 'owner.pid';

/** Records the harness PID in its run dir, so a later run can tell the run died. */
export function claimRunDir(runDir: string): void {
  fs.writeFileSync(path.join(runDir, OWNER_FILE), String(process.pid));
}

/**
 * Cleans up after runs whose harness was killed outright (SIGKILL leaves no chance to clean):
 * their run dirs, and the processes that still carry their marker. Runs in progress elsewhere
 * in this checkout or machine have a live owner and are left alone.
 */
export async function reapDeadRuns(parent: string, prefix: string): Promise<string[]> {
  const reaped: string[] = [];
  for (const name of fs.readdirSync(parent).filter((entry) => entry.startsWith(prefix))) {
    const dir = path.join(parent, name);
    let owner = 0;
    try {
      owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue; // being set up, or not ours
    }
    if (!owner || isAlive(owner)) continue;
    await killRun(undefined, name);
    fs.rmSync(dir, { recursive: true, force: true });
    reaped.push(name);
  }
  return reaped;
}
