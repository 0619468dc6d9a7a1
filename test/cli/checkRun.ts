/** Runs `check --json` as a user does (the built dist/cli.js) and reads its report and verdict. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { InspectionReport, Suspect } from '../../src/protocol/report';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../dist/cli.js');

export interface CheckRun {
  code: number;
  report: InspectionReport;
  /** The suspects that made `check` fail, in rank order. */
  failing: Suspect[];
  stderr: string;
}

/** `check --json … -- COMMAND`: the report on stdout (the command's own output goes to stderr). */
export async function checkJson(target: string, flags: string[], command: string[], timeout = 120_000): Promise<CheckRun> {
  let stdout: string;
  let stderr: string;
  let code = 0;
  try {
    ({ stdout, stderr } = await run(process.execPath, [cli, 'check', '--json', '--inspect', target, ...flags, '--', ...command], { timeout, maxBuffer: 256 * 1024 * 1024 }));
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    ({ code } = failed as { code: number });
    stdout = failed.stdout ?? '';
    stderr = failed.stderr ?? '';
  }
  assert.ok(stdout.startsWith('{\n  "format"'), `check printed a report and nothing else:\n${stdout.slice(0, 2000)}\n${stderr}`);
  const report = JSON.parse(stdout) as InspectionReport;
  assert.ok(report.check, 'the report carries its verdict');
  const keys = new Set(report.check.suspectKeys ?? []);
  return { code, report, failing: report.suspects.filter((suspect) => keys.has(suspect.key)), stderr };
}

export function at(suspect: Suspect | undefined): string {
  return suspect?.location ? `${path.relative(process.cwd(), suspect.location.path)}:${suspect.location.line}` : '(none)';
}

export function describe(run: CheckRun): string {
  const grown = (run.report.check?.grown ?? []).map((site) => `grown: +${site.delta} ${site.type} ${site.location ? `${path.relative(process.cwd(), site.location.path)}:${site.location.line}` : ''}`);
  const failing = run.failing.map((s) => `failing: ${s.kind} ${s.score} ${s.title} ${at(s)} held by ${s.holder}`);
  return [...grown, ...failing, ''].join('\n') + run.report.suspects.filter((suspect) => suspect.kind !== 'async').slice(0, 8).map((s) => `${s.kind} ${s.score} ${s.title} ${at(s)} held by ${s.holder}`).join('\n') + `\n${run.stderr}`;
}

