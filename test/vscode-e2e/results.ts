/** Results of every suite in one shape, and the summary printed at the end of a run. */

export type Status = 'passed' | 'failed' | 'skipped';

export interface TestResult {
  suite: string;
  name: string;
  status: Status;
  ms: number;
  /** Failure message, or why it was skipped. */
  detail?: string;
}

export interface Timing {
  what: string;
  ms: number;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatSummary(results: TestResult[], timings: Timing[], artifacts: string[]): string {
  const mark: Record<Status, string> = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' };
  const lines = ['', '== VS Code e2e summary'];
  let suite = '';
  for (const result of results) {
    if (result.suite !== suite) lines.push(`  ${(suite = result.suite)}`);
    lines.push(`    ${mark[result.status]}  ${result.name} (${seconds(result.ms)})`);
    if (result.detail) lines.push(...result.detail.split('\n').slice(0, 12).map((line) => `          ${line}`));
  }
  lines.push('== timings', ...timings.map(({ what, ms }) => `  ${what.padEnd(40)} ${seconds(ms).padStart(8)}`));
  if (artifacts.length > 0) lines.push('== artifacts', ...artifacts.map((file) => `  ${file}`));
  const count = (status: Status) => results.filter((result) => result.status === status).length;
  lines.push(`== ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
  return lines.join('\n');
}
