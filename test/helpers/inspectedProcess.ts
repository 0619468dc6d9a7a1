/**
 * Real child processes for tests: spawn, wait until ready, kill when the test ends.
 *
 * No child outlives the run: each is killed by its test's `after` hook, all are killed
 * when the test process exits, and Node children also exit on their own once their
 * parent is gone (even after a SIGKILL of the runner).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** The part of node:test's TestContext used to register cleanup. */
export interface Cleanup {
  after(fn: () => unknown): void;
}

export interface SpawnedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The first match of `pattern` in the output; rejects if the process exits first or on timeout. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGKILLs the process and waits until it is gone. */
  kill(): Promise<void>;
}

export interface InspectedProcess extends SpawnedProcess {
  readonly webSocketDebuggerUrl: string;
  readonly port: number;
}

export interface NodeOptions {
  /** Node options placed before `-e`. */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Resolve only once the output matches, e.g. a line the script prints when set up. */
  ready?: RegExp;
  /** The Node binary (default: the one running the tests). */
  node?: string;
}

const DEFAULT_WAIT_MS = 5_000;
const INSPECTOR_LINE = /Debugger listening on (ws:\/\/\S+)/;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Exits the child when its parent is gone (its ppid changes); does not keep it alive. */
const WATCHDOG = `setInterval(() => { if (process.ppid !== ${process.pid}) process.exit(1); }, 500).unref();`;

/** Spawns any program, killed when the test ends. */
export function spawnProcess(
  cleanup: Cleanup,
  command: string,
  args: string[],
  options: Pick<SpawnOptions, 'env' | 'uid' | 'gid' | 'cwd'> = {},
): SpawnedProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  live.add(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  const spawned: SpawnedProcess = {
    child,
    pid: child.pid,
    output: () => output,
    waitForOutput(pattern, timeoutMs = DEFAULT_WAIT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) finish(() => resolve(match));
        };
        const onExit = () =>
          finish(() => reject(new Error(`${command} exited before printing ${pattern}; output:\n${output}`)));
        const timer = setTimeout(() => {
          const message = `${command} did not print ${pattern} within ${timeoutMs} ms; output:\n${output}`;
          finish(() => reject(new Error(message)));
        }, timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          child.off('exit', onExit);
          settle();
        };
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        child.once('exit', onExit);
        check();
        if (hasExited()) onExit();
      });
    },
    async kill() {
      if (!hasExited()) child.kill('SIGKILL');
      await exited;
    },
  };
  cleanup.after(() => spawned.kill());
  return spawned;
}

/** Spawns `node [nodeArgs] -e script`. */
export async function spawnNode(cleanup: Cleanup, script: string, options: NodeOptions = {}): Promise<SpawnedProcess> {
  const args = [...(options.nodeArgs ?? []), '-e', `${WATCHDOG}${script}`];
  const spawned = spawnProcess(cleanup, options.node ?? process.execPath, args, { env: options.env });
  if (options.ready) await spawned.waitForOutput(options.ready);
  return spawned;
}

/**
 * Spawns node with its inspector on (by default `--inspect=127.0.0.1:0`) and waits for its
 * URL. The inspector is up before the script runs: pass `ready` to wait for the script too.
 */
export async function spawnInspected(
  cleanup: Cleanup,
  script: string,
  options: NodeOptions = {},
): Promise<InspectedProcess> {
  const nodeArgs = options.nodeArgs ?? ['--inspect=127.0.0.1:0'];
  const spawned = await spawnNode(cleanup, script, { ...options, nodeArgs });
  const [, webSocketDebuggerUrl] = await spawned.waitForOutput(INSPECTOR_LINE);
  return { ...spawned, webSocketDebuggerUrl, port: Number(new URL(webSocketDebuggerUrl).port) };
}
