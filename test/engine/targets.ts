/**
 * Helpers for the engine tests: real target scripts written to a temp folder (so their frames
 * have a file URL and known lines), started under `--inspect=127.0.0.1:0`, inspected with an
 * `InspectorSession`, and looked at through a second, raw CDP connection.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { attach, type CdpConnection, type CdpSession } from '../../src/cdp';
import { InspectorSession, type InspectorOptions } from '../../src/engine/inspectorSession';
import type { AsyncSnapshotReport, SiteReport } from '../../src/protocol/asyncSnapshot';
import { spawnInspected, type Cleanup, type InspectedProcess, type NodeOptions } from '../helpers/inspectedProcess';

export const AGENT = "globalThis[Symbol.for('leak-inspector.agent')]";
export const READY = /^ready$/m;
/** Each test takes a few seconds at most; a hang fails instead of blocking the run. */
export const LIMITS = { timeout: 30_000 };

/** Writes `text` to a fresh temp folder as `name`; removed when the test ends. */
export function writeScript(t: Cleanup, name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-engine-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return fs.realpathSync(file);
}

/** 1-based line of the only line of `file` that contains `marker`. */
export function lineOf(file: string, marker: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found = lines.flatMap((text, i) => (text.includes(marker) ? [i + 1] : []));
  assert.equal(found.length, 1, `${marker} should be on exactly one line of ${file}`);
  return found[0];
}

/**
 * Runs `file` (CommonJS through `require`, `.mjs` through `import()`) in a node with its
 * inspector on a random loopback port, and waits for it to print `ready` on a line of its own.
 */
export function startScript(t: Cleanup, file: string, options: NodeOptions = {}): Promise<InspectedProcess> {
  const load = file.endsWith('.mjs') ? `import(${JSON.stringify(pathToFileURL(file).href)})` : `require(${JSON.stringify(file)})`;
  const nodeArgs = ['--inspect=127.0.0.1:0', ...(options.nodeArgs ?? [])];
  return spawnInspected(t, `${load};`, { ready: READY, ...options, nodeArgs });
}

/** An `InspectorSession` detached when the test ends (a no-op if the test detached it). */
export async function inspect(t: Cleanup, target: string, options?: InspectorOptions): Promise<InspectorSession> {
  const session = await InspectorSession.attach(target, options);
  t.after(() => session.detach().catch(() => undefined));
  return session;
}

/** A raw CDP connection of our own, like another debugger's; closed when the test ends. */
export async function rawConnection(t: Cleanup, target: string): Promise<CdpConnection> {
  const connection = await attach(target);
  t.after(() => connection.close());
  return connection;
}

/** Evaluates in the target (awaiting promises) and returns the value; throws what the target threw. */
export async function evaluate(session: CdpSession, expression: string): Promise<unknown> {
  const { result, exceptionDetails } = await session.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
  if (exceptionDetails) throw new Error(`${expression} threw in ${session.label}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
  return result.value;
}

/** Polls `check` until it returns true, or fails with `what`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function describeSites(report: AsyncSnapshotReport): string {
  return `stacks: ${JSON.stringify(report.stackSampling)}\n` + report.sites
    .map((site) => `${site.type} ×${site.count} ${site.preexisting ? 'pre ' : ''}${site.locationKind ?? '-'} ${site.location ? `${site.location.path}:${site.location.line}` : '(nowhere)'}`)
    .join('\n');
}

/** The site of `type` located at `file:line`; fails listing every site when there is none. */
export function siteAt(report: AsyncSnapshotReport, type: SiteReport['type'], file: string, line: number): SiteReport {
  const site = report.sites.find((candidate) => candidate.type === type && candidate.location?.path === file && candidate.location.line === line);
  assert.ok(site, `no ${type} site at ${path.basename(file)}:${line} in ${report.target.label}; sites:\n${describeSites(report)}`);
  return site;
}
