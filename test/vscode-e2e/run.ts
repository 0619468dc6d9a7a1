/**
 * `npm run test:e2e`: the extension in a real VS Code. Installs code-server (cached in
 * .vscode-test/), installs our .vsix into a private profile, starts the server, runs the UI
 * scenarios (Playwright + Chromium) and the mocha suite inside the extension host, prints a
 * summary and exits non-zero on any failure. Nothing it starts outlives it, on failure and
 * Ctrl-C too. Screenshots and logs go to test-artifacts/vscode-e2e/.
 *
 * `node --import tsx test/vscode-e2e/run.ts [FILTER]` runs only the UI scenarios whose name
 * contains FILTER, or only the extension-host suite for FILTER `exthost`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createProfile, installExtension, startCodeServer, type CodeServer } from './codeServer';
import { bundleSuite, runExtensionHostSuite } from './extensionHost';
import { ensureInstalled } from './install';
import { claimRunDir, killRun, reapDeadRuns, RUN_MARKER } from './processes';
import { formatSummary, seconds, type TestResult, type Timing } from './results';
import { attachByPid } from './scenarios/attachByPid';
import { inspect } from './scenarios/inspect';
import { runScenario, type ScenarioContext } from './scenarios/scenario';
import { smoke } from './scenarios/smoke';
import { listenerLeak, openCliReport } from './scenarios/suspects';
import { launchBrowser, type Browser } from './workbench';

const ROOT = path.resolve(__dirname, '..', '..');
const CACHE_DIR = path.join(ROOT, '.vscode-test');
const ARTIFACTS_DIR = path.join(ROOT, 'test-artifacts', 'vscode-e2e');
const VSIX = path.join(ROOT, 'dist', 'leak-inspector.vsix');
const EXTENSION_ID = 'leak-inspector.leak-inspector';
/**
 * Built-in extensions left out of the server's scan: tsserver would load this whole repository
 * for every .ts file we open, competing for the machine's 2 CPUs with what we measure.
 */
const SKIPPED_BUILTINS = ['vscode.typescript-language-features'];

const FILTER = process.argv[2];
const t0 = Date.now();
const log = (line: string) => console.log(`[e2e ${seconds(Date.now() - t0).padStart(7)}] ${line}`);

const RUN_PREFIX = 'leak-inspector-e2e-';
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), RUN_PREFIX));
const runId = path.basename(runDir);
claimRunDir(runDir);
/** Artifacts are collected here and published to ARTIFACTS_DIR at the end, whole, so two runs in one checkout do not mix theirs. */
const stagingDir = path.join(runDir, 'artifacts');
let server: CodeServer | undefined;
let browser: Browser | undefined;

async function main(): Promise<number> {
  const results: TestResult[] = [];
  const timings: Timing[] = [];
  const timed = async <T>(what: string, body: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await body();
    } finally {
      timings.push({ what, ms: Date.now() - started });
    }
  };
  fs.mkdirSync(stagingDir, { recursive: true });
  const reaped = await reapDeadRuns(os.tmpdir(), RUN_PREFIX);
  if (reaped.length > 0) log(`cleaned up after killed runs: ${reaped.join(', ')}`);
  if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} is missing: run "npm run package"`);

  const installation = await timed('install code-server + Node 24 (cached)', () => ensureInstalled(CACHE_DIR, log));
  const profile = createProfile(runDir, runId, {
    LEAK_INSPECTOR_E2E_DIR: runDir,
    LEAK_INSPECTOR_E2E_NODE: process.execPath,
    VSCODE_SKIP_BUILTIN_EXTENSIONS: SKIPPED_BUILTINS.join(','),
  });
  const extensionDir = await timed('install the .vsix', () => installExtension(installation, profile, VSIX, EXTENSION_ID));
  log(`extension installed in ${extensionDir}`);
  server = await timed('start code-server', () => startCodeServer(installation, profile));
  log(`code-server ${server.url} (PID ${server.pid}, log ${server.log})`);
  const suiteEntry = await timed('bundle the extension-host suite', () => bundleSuite(path.join(runDir, 'suite')));
  browser = await launchBrowser(runDir, { ...process.env, [RUN_MARKER]: runId });

  const context: ScenarioContext = {
    browser,
    url: server.url,
    workspace: ROOT,
    artifactsDir: stagingDir,
    runDir,
    runId,
    env: { ...process.env, [RUN_MARKER]: runId },
    extensionDir,
    manifest: JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8')) as ScenarioContext['manifest'],
  };
  for (const scenario of [smoke, inspect, attachByPid, listenerLeak, openCliReport].filter(({ name }) => !FILTER || name.includes(FILTER))) {
    log(`ui scenario: ${scenario.name}`);
    results.push(...(await timed(`ui: ${scenario.name}`, () => runScenario(scenario, context, log))));
  }
  const hostLog = path.join(stagingDir, 'exthost-console.log');
  if (!FILTER || FILTER === 'exthost') {
    log('extension-host suite');
    const suite = {
      browser,
      url: server.url,
      workspace: ROOT,
      extensionDir,
      suiteEntry,
      resultsFile: path.join(runDir, 'exthost-results.json'),
      logFile: hostLog,
      artifactsDir: stagingDir,
      timeoutMs: 5 * 60_000,
    };
    results.push(...(await timed('extension host (mocha)', () => runExtensionHostSuite(suite))));
  }
  log(browser.blocked.size > 0 ? `aborted non-loopback requests: ${[...browser.blocked].join(', ')}` : 'the browser made no non-loopback request');

  const { stopped, killed } = await timed('shut down', shutDown);
  log(`stopped ${stopped.length} processes of the run${killed.length > 0 ? `; SIGKILL was needed for:\n  ${killed.join('\n  ')}` : ''}`);
  timings.push({ what: 'total', ms: Date.now() - t0 });
  const published = fs.existsSync(ARTIFACTS_DIR) ? fs.readdirSync(ARTIFACTS_DIR).sort().map((name) => path.join(ARTIFACTS_DIR, name)) : [];
  console.log(formatSummary(results, timings, published));
  return results.some((result) => result.status === 'failed') || results.length === 0 ? 1 : 0;
}

let stopping: ReturnType<typeof killRun> | undefined;

/**
 * Closes the browser, stops code-server's process group and anything else of this run, and
 * publishes the artifacts. Runs once: a signal and the end of main() share the same promise.
 */
function shutDown(): ReturnType<typeof killRun> {
  stopping ??= (async () => {
    await browser?.close().catch(() => undefined);
    const stopped = await killRun(server?.pid, runId);
    if (server && fs.existsSync(server.log)) fs.copyFileSync(server.log, path.join(stagingDir, 'code-server.log'));
    keepExtensionLogs(path.join(runDir, 'data', 'logs'), stagingDir);
    fs.rmSync(ARTIFACTS_DIR, { recursive: true, force: true });
    if (fs.existsSync(stagingDir)) fs.cpSync(stagingDir, ARTIFACTS_DIR, { recursive: true });
    fs.rmSync(runDir, { recursive: true, force: true });
    return stopped;
  })();
  return stopping;
}

/** Our extension's output channels (the language server's log among them): what a failed step was doing. */
function keepExtensionLogs(logsDir: string, into: string): void {
  if (!fs.existsSync(logsDir)) return;
  for (const entry of fs.readdirSync(logsDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /leak.?inspector/i.test(entry.name)) {
      fs.mkdirSync(into, { recursive: true });
      fs.copyFileSync(path.join(entry.parentPath, entry.name), path.join(into, `output-${entry.name.replace(/\s+/g, '-')}`));
    }
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything this run started`);
    void shutDown().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await shutDown();
    process.exit(interrupted ? 130 : code);
  },
  async (error: unknown) => {
    console.error('e2e run failed:', error);
    await shutDown().catch(() => undefined);
    process.exit(interrupted ? 130 : 1);
  },
);
