/**
 * Runs the mocha suite in suite/ inside the real extension host. The host needs JavaScript, so
 * the suite is bundled with esbuild (mocha included, `vscode` left to the host). The workbench
 * opened with `payload=[extensionDevelopmentPath, extensionTestsPath]` loads our installed
 * extension as the one under development, calls the suite's `run()` and reports the outcome
 * through `window.codeAutomationExit` (code-server's `enable-smoke-test-driver`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import * as esbuild from 'esbuild';
import type { TestResult } from './results';
import { openWorkbench, screenshot, type Browser } from './workbench';

const SUITE = 'extension host (mocha)';

export async function bundleSuite(outDir: string): Promise<string> {
  await esbuild.build({
    entryPoints: { index: path.join(__dirname, 'suite', 'index.ts') },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    sourcemap: 'inline',
    external: ['vscode'],
    // Mocha's parallel mode (unused here) resolves worker files next to itself.
    logOverride: { 'require-resolve-not-external': 'silent' },
    logLevel: 'error',
  });
  return path.join(outDir, 'index');
}

export interface ExtensionHostRun {
  browser: Browser;
  url: string;
  workspace: string;
  extensionDir: string;
  suiteEntry: string;
  /** Where suite/index.ts writes its per-test outcomes. */
  resultsFile: string;
  /** The host's console output (mocha's spec reporter among it). */
  logFile: string;
  artifactsDir: string;
  timeoutMs: number;
}

export async function runExtensionHostSuite(run: ExtensionHostRun): Promise<TestResult[]> {
  const started = Date.now();
  fs.rmSync(run.resultsFile, { force: true });
  const remote = (file: string) => `vscode-remote://${new URL(run.url).host}${file}`;
  const log = fs.createWriteStream(run.logFile);
  let reportExit: (code: unknown) => void = () => {};
  const exited = new Promise<unknown>((resolve) => (reportExit = resolve));
  const page = await openWorkbench(run.browser, run.url, run.workspace, {
    payload: [
      ['extensionDevelopmentPath', remote(run.extensionDir)],
      ['extensionTestsPath', remote(run.suiteEntry)],
    ],
    async prepare(page) {
      page.on('console', (message) => {
        void Promise.all(message.args().map((arg) => arg.jsonValue()))
          .then(formatHostLog, () => message.text())
          .then((line) => log.write(`${line}\n`));
      });
      await page.exposeFunction('codeAutomationExit', (code: unknown) => reportExit(code));
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), run.timeoutMs)));
  const code = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (code !== 0) await screenshot(page, run.artifactsDir, 'exthost-suite-end').catch(() => undefined);
  await page.close();
  log.end();

  const results = readResults(run.resultsFile);
  const failedInside = results.some((result) => result.status === 'failed');
  if (code === 0 && !failedInside && results.length > 0) return results;
  // A run that died before or around mocha (bundle error, host crash, timeout) is a failure too.
  if (!failedInside) {
    const why = code === 'timeout' ? `no exit code within ${run.timeoutMs} ms` : `exit code ${String(code)}`;
    results.push({ suite: SUITE, name: 'the suite runs to completion', status: 'failed', ms: Date.now() - started, detail: `${why}; see ${path.basename(run.logFile)}` });
  }
  return results;
}

function readResults(file: string): TestResult[] {
  if (!fs.existsSync(file)) return [];
  const outcomes = JSON.parse(fs.readFileSync(file, 'utf8')) as Omit<TestResult, 'suite'>[];
  return outcomes.map((outcome) => ({ suite: SUITE, ...outcome }));
}

/**
 * Host logs reach the page as `('%c INFO', 'color: …', format, ...args)`, mocha's reporter
 * lines among them (`'✔ %s (%dms)', title, ms`): printed as the host would.
 */
function formatHostLog(args: unknown[]): string {
  const [first, , ...rest] = args;
  if (typeof first === 'string' && first.startsWith('%c')) return `${first.slice(2).trim()} ${format(...rest)}`;
  return format(...args);
}
