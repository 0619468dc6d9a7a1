/**
 * `leak-inspector heap promises --inspect TARGET [--json] [--keep FILE]`: the exact census of
 * the target's pending promises and those that can never settle, from one heap snapshot (the
 * target pauses: the estimate is printed first). `heap promises FILE` analyses a saved snapshot
 * (without the probe, only promises with reactions are known pending there).
 */
import { parseArgs } from 'node:util';
import { InspectorSession } from '../engine/inspectorSession';
import { takePromiseCensus } from '../engine/promiseCensus';
import { heapPendingPromises } from '../heap/analyzePromiseFile';
import { toStuckPromiseSuspects } from '../analysis/stuckPromiseSuspects';
import type { PromiseHeapAnalysis } from '../protocol/heap';
import type { Suspect } from '../protocol/report';
import { formatBytes } from '../presentation/bytes';

type Out = (text: string) => void;

export const PROMISES_USAGE = 'usage: leak-inspector heap promises (--inspect TARGET | FILE) [--json] [--keep FILE] [--allow-remote HOST]';

export async function promisesMain(args: string[], out: Out, err: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      inspect: { type: 'string' },
      json: { type: 'boolean', default: false },
      keep: { type: 'string' },
      'allow-remote': { type: 'string', multiple: true, default: [] as string[] },
    },
  });
  if (!values.inspect === (positionals.length !== 1)) {
    err(PROMISES_USAGE);
    return 2;
  }
  let analysis: PromiseHeapAnalysis;
  let suspects: Suspect[];
  if (values.inspect) {
    const session = await InspectorSession.attach(values.inspect, { allowRemoteHosts: values['allow-remote'], workers: false });
    try {
      ({ analysis, suspects } = await takePromiseCensus(session, {
        snapshotFile: values.keep,
        onEstimate: ({ usedSize, estimatedPauseMs }) => err(`heap ${formatBytes(usedSize)}: a heap snapshot pauses the target about ${(estimatedPauseMs / 1000).toFixed(1)} s`),
      }));
    } finally {
      await session.detach();
    }
  } else {
    analysis = heapPendingPromises(positionals[0]);
    suspects = toStuckPromiseSuspects(analysis);
  }
  out(values.json ? JSON.stringify({ ...analysis, suspects }, null, 2) : formatPromises(analysis, suspects));
  return 0;
}

function where(site: { location?: { path: string; line: number } | null; scriptLocation?: { scriptId: number; line: number }; holder?: string }): string {
  if (site.location) return `${site.location.path}:${site.location.line}`;
  // A saved file has no script URLs: V8's script id and 1-based line.
  return site.scriptLocation ? `script ${site.scriptLocation.scriptId} line ${site.scriptLocation.line + 1}` : site.holder ?? '';
}

export function formatPromises(analysis: PromiseHeapAnalysis, suspects: Suspect[]): string {
  const { census } = analysis;
  const lines = [
    `${census.total} pending promises (${census.withReactions} with reactions${census.probed ? '' : '; without a probe, pending promises without reactions are not counted'}), ${analysis.stuckCount} can never settle`,
    '',
    'pending, by site:',
    ...census.sites.slice(0, 20).map((site) => `  ${String(site.count).padStart(6)}  ${site.kind} ${site.functionName}  ${where(site)}`),
  ];
  if (census.awaitingFunctions.length) {
    lines.push('', 'suspended async functions, by function:', ...census.awaitingFunctions.slice(0, 20).map((fn) => `  ${String(fn.count).padStart(6)}  ${fn.functionName}  ${where(fn)}`));
  }
  if (suspects.length) {
    lines.push('', 'can never settle:');
    for (const suspect of suspects) {
      lines.push(`  ${suspect.score} ${suspect.severity}  ${suspect.title}${suspect.location ? `  ${suspect.location.path}:${suspect.location.line}` : ''}`);
      lines.push(`      held by ${suspect.holder}; ${formatBytes(suspect.retainedBytes ?? 0)} kept`);
    }
  }
  return lines.join('\n');
}
