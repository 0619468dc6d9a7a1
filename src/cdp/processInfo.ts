/**
 * What can be learned about a local process without touching it: its command line and,
 * on Linux, its executable and NODE_OPTIONS. Linux reads /proc; macOS and other POSIX
 * systems ask `ps`; Windows asks PowerShell (CIM).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { splitCommandLine } from './inspectorFlags';
import { listPids, readArgv, readEnvironmentVariable, readExecutable } from './procfs';

/** `node`, `nodejs`, `node20`, `node.exe`… */
const NODE_EXECUTABLE = /^node(js)?[\d.]*(\.exe)?$/i;

export interface ProcessFacts {
  pid: number;
  /** Empty when unreadable, and for kernel threads and zombies. */
  argv: string[];
  /** Linux only: argv[0] can be changed by the process, the executable cannot. */
  executable?: string;
  /** Linux only, when the environment is readable. */
  nodeOptions?: string;
}

export async function readProcessFacts(pid: number): Promise<ProcessFacts> {
  if (process.platform !== 'linux') {
    return (await processTable()).find((facts) => facts.pid === pid) ?? { pid, argv: [] };
  }
  const [argv, executable, nodeOptions] = await Promise.all([
    readArgv(pid),
    readExecutable(pid),
    readEnvironmentVariable(pid, 'NODE_OPTIONS'),
  ]);
  return { pid, argv: argv ?? [], executable, nodeOptions };
}

/** Every process with a command line. */
export async function listProcesses(): Promise<ProcessFacts[]> {
  if (process.platform !== 'linux') return processTable();
  const facts = await Promise.all(
    (await listPids()).map(async (pid): Promise<ProcessFacts> => {
      const [argv, executable] = await Promise.all([readArgv(pid), readExecutable(pid)]);
      return { pid, argv: argv ?? [], executable };
    }),
  );
  return facts.filter((entry) => entry.argv.length > 0);
}

/** The executable's file name, for messages. */
export function programName(facts: ProcessFacts): string {
  return path.basename(facts.executable ?? facts.argv[0] ?? '') || 'unknown';
}

export function isNodeProcess(facts: ProcessFacts): boolean {
  return NODE_EXECUTABLE.test(programName(facts));
}

const execFileAsync = promisify(execFile);

async function processTable(): Promise<ProcessFacts[]> {
  const options = { maxBuffer: 64 * 1024 * 1024, windowsHide: true };
  if (process.platform === 'win32') {
    const script = 'Get-CimInstance Win32_Process | Select-Object ProcessId,CommandLine | ConvertTo-Json -Compress';
    const { stdout } = await execFileAsync('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], options);
    const rows: unknown = JSON.parse(stdout);
    return (Array.isArray(rows) ? rows : [rows]).map((row: { ProcessId: number; CommandLine: string | null }) => ({
      pid: row.ProcessId,
      argv: splitCommandLine(row.CommandLine ?? ''),
    }));
  }
  const { stdout } = await execFileAsync('ps', ['-A', '-ww', '-o', 'pid=', '-o', 'args='], options);
  return stdout.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    // ps prints the arguments joined by spaces; splitting on spaces is the best we can do.
    return match ? [{ pid: Number(match[1]), argv: match[2].split(' ') }] : [];
  });
}
