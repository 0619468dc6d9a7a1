/**
 * One code-server for the run: a private profile (HOME, XDG dirs, TMPDIR, user data and
 * extensions under the run dir, so nothing of the user's or other engineers' VS Code leaks in
 * or out), our .vsix installed into it, the server on a free loopback port in its own process
 * group.
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Installation } from './install';
import { freeLoopbackPort } from '../../src/common/freePort';
import { killRun, RUN_MARKER } from './processes';

const execFileAsync = promisify(execFile);

/** Workbench settings that keep a test run quiet, deterministic and offline. */
const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  // The DOM renderer puts terminal text in the page, where a test can read it.
  'terminal.integrated.gpuAcceleration': 'off',
  // Our sample servers listen on loopback ports; forwarding them would only add noise.
  'remote.autoForwardPorts': false,
  // The workspace is this repository: keep the built-in git and file watching off the hot path.
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'files.watcherExclude': { '**/node_modules/**': true, '**/dist/**': true, '**/.vscode-test/**': true, '**/.git/**': true },
  'files.exclude': { '**/.vscode-test': true },
  'search.exclude': { '**/.vscode-test': true },
};

export interface Profile {
  runDir: string;
  runId: string;
  /** The environment of code-server and everything it starts. */
  env: NodeJS.ProcessEnv;
  args: string[];
  extensionsDir: string;
}

export interface CodeServer {
  url: string;
  pid: number;
  log: string;
}

export function createProfile(runDir: string, runId: string, extraEnv: NodeJS.ProcessEnv): Profile {
  const home = path.join(runDir, 'home');
  const dirs = {
    home,
    tmp: path.join(runDir, 'tmp'),
    data: path.join(runDir, 'data'),
    extensionsDir: path.join(runDir, 'extensions'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(dirs.data, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.data, 'User', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
  const config = path.join(runDir, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\n');
  return {
    runDir,
    runId,
    extensionsDir: dirs.extensionsDir,
    args: ['--config', config, '--user-data-dir', dirs.data, '--extensions-dir', dirs.extensionsDir],
    env: {
      ...process.env,
      ...privateHome(home),
      TMPDIR: dirs.tmp,
      // No marketplace: nothing is fetched from outside.
      EXTENSIONS_GALLERY: '{}',
      [RUN_MARKER]: runId,
      ...extraEnv,
    },
  };
}

/** HOME and XDG dirs under `home`: code-server and Chromium write caches and config there. */
export function privateHome(home: string): NodeJS.ProcessEnv {
  return {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
  };
}

/** Installs a .vsix into the profile; returns the folder it was unpacked to. */
export async function installExtension(installation: Installation, profile: Profile, vsix: string, id: string): Promise<string> {
  await execFileAsync(installation.node, [installation.entry, ...profile.args, '--install-extension', vsix, '--force'], {
    env: profile.env,
    timeout: 120_000,
  });
  const folder = fs.readdirSync(profile.extensionsDir).find((name) => name.toLowerCase().startsWith(`${id.toLowerCase()}-`));
  if (!folder) throw new Error(`${id} is not in ${profile.extensionsDir} after installing ${vsix}`);
  return path.join(profile.extensionsDir, folder);
}

export async function startCodeServer(installation: Installation, profile: Profile): Promise<CodeServer> {
  const port = await freeLoopbackPort();
  const log = path.join(profile.runDir, 'code-server.log');
  const out = fs.openSync(log, 'w');
  const args = [
    installation.entry,
    ...profile.args,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    // Lets the extension host of a closed browser tab exit after 5 s instead of hours.
    '--reconnection-grace-time', '5',
    // Makes the web workbench honour ?payload= (extensionTestsPath) and report the exit code.
    '--vscode-option', 'enable-smoke-test-driver',
  ];
  // detached: setsid(), so the server and its children form one process group we stop at once.
  const child = spawn(installation.node, args, { env: profile.env, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const pid = child.pid!;
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealthy(url, () => child.exitCode !== null, 60_000);
  } catch (error) {
    await killRun(pid, profile.runId);
    throw new Error(`${(error as Error).message}\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
  }
  return { url, pid, log };
}

async function waitForHealthy(url: string, exited: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (exited()) throw new Error('code-server exited during start-up');
    if (await answers(`${url}/healthz`)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms`);
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}
