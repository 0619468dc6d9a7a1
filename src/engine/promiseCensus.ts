/**
 * The exact census of a target's pending promises (created before the attach too) and the ones
 * that can never settle, from one heap snapshot of its main thread.
 *
 * A heap snapshot does not show a promise's state (pending without reactions and fulfilled with
 * `undefined` look alike), so just before it the target names its pending promises: V8's
 * `queryObjects` lists every promise (it runs a GC: a short pause of its own) and Node's own
 * `getPromiseDetails` (found in `util.inspect`'s closure scope) keeps the pending ones in a probe
 * object the analysis recognises and ignores. After the snapshot, entries that settled meanwhile
 * are dropped, so "pending" means pending throughout. The snapshot pauses the target
 * (`estimateSnapshot`, announced through `onEstimate` first); the analysis runs in a worker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { toOrphanedPromiseSuspects, toStuckPromiseSuspects } from '../analysis/stuckPromiseSuspects';
import type { CdpSession } from '../cdp';
import { estimateSnapshot, runHeapAnalysisInWorker, takeHeapSnapshot, type SnapshotEstimate, type SnapshotProgress } from '../heap';
import { heapPendingPromises } from '../heap/analyzePromiseFile';
import type { HeapScriptLocation, PromiseHeapAnalysis } from '../protocol/heap';
import type { Suspect } from '../protocol/report';
import type { InspectorSession } from './inspectorSession';

/** The probe's class name: unique enough never to be a class of the program. */
export const PROBE_CLASS = 'LeakInspectorPendingPromiseProbe';
const OBJECT_GROUP = 'leak-inspector-promise-census';

export interface PromiseCensusOptions {
  /** Called with the heap size and the estimated pause before the snapshot is taken. */
  onEstimate?: (estimate: SnapshotEstimate) => void;
  onProgress?: (progress: SnapshotProgress) => void;
  /** Keep the snapshot at this path (default: a temporary file, removed afterwards). */
  snapshotFile?: string;
  /** Run the analysis in this thread instead of a worker (tests, the CLI on a quiet machine). */
  inProcess?: boolean;
  /** Counts per suspect key from a previous census, for growth. */
  previous?: ReadonlyMap<string, number>;
  signal?: AbortSignal;
}

export interface PromiseCensusResult {
  analysis: PromiseHeapAnalysis;
  suspects: Suspect[];
  /** The snapshot's measured duration (the target's pause and the transfer) and size. */
  snapshot: { file: string | null; durationMs: number; bytes: number };
  estimate: SnapshotEstimate;
  /** False when Node's promise state function was not found and `util.inspect` was used instead. */
  exactStateFunction: boolean;
}

export async function takePromiseCensus(session: InspectorSession, options: PromiseCensusOptions = {}): Promise<PromiseCensusResult> {
  const [main] = session.threadSessions;
  const cdp = main.session;
  const estimate = await estimateSnapshot(cdp);
  options.onEstimate?.(estimate);
  const dir = options.snapshotFile ? undefined : await mkdtemp(path.join(tmpdir(), 'leak-inspector-promises-'));
  const file = options.snapshotFile ?? path.join(dir!, 'promises.heapsnapshot');
  try {
    const probe = new PendingProbe(cdp);
    let snapshot;
    let settledIndexes: number[];
    try {
      await probe.start();
      snapshot = await takeHeapSnapshot(cdp, file, { onProgress: options.onProgress, signal: options.signal });
      settledIndexes = await probe.finish();
    } finally {
      await probe.release();
    }
    const request = { kind: 'promises' as const, file, probe: { className: PROBE_CLASS, settledIndexes } };
    const analysis = options.inProcess ? heapPendingPromises(file, request.probe) : await runHeapAnalysisInWorker(request, { signal: options.signal });
    await sourceMap(session, analysis);
    return {
      analysis,
      suspects: [...toStuckPromiseSuspects(analysis, { thread: 'main', previous: options.previous }), ...toOrphanedPromiseSuspects(analysis, { thread: 'main', previous: options.previous })],
      snapshot: { file: options.snapshotFile ?? null, durationMs: snapshot.durationMs, bytes: snapshot.bytes },
      estimate,
      exactStateFunction: probe.exact,
    };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** Fills every site's `location` (original source, 1-based) from its script position. */
async function sourceMap(session: InspectorSession, analysis: PromiseHeapAnalysis): Promise<void> {
  const located: Array<{ scriptLocation?: HeapScriptLocation; location?: { path: string; line: number; column: number } | null }> = [
    ...analysis.census.sites,
    ...analysis.census.awaitingFunctions,
    ...[...analysis.stuck, ...(analysis.orphaned ?? [])].flatMap((group) => [group.site, ...(group.consequences ?? []).map((consequence) => consequence.site)]),
  ];
  const withScript = located.filter((entry) => entry.scriptLocation);
  const resolved = await session.resolveScriptPositions(
    withScript.map(({ scriptLocation }) => ({ scriptId: String(scriptLocation!.scriptId), lineNumber: scriptLocation!.line, columnNumber: scriptLocation!.column })),
  );
  withScript.forEach((entry, i) => {
    const at = resolved[i];
    entry.location = at ? { path: at.path, line: at.line, column: at.column } : null;
  });
  for (const entry of located) entry.location ??= null;
}

/**
 * The target's side of the census: names the pending promises before the snapshot and tells
 * which of them settled by its end. Everything it creates is in one object group, released after.
 */
class PendingProbe {
  exact = true;
  private probeId: string | undefined;
  private stateArgs: Array<{ objectId?: string; value?: unknown }> = [];

  constructor(private readonly cdp: CdpSession) {}

  async start(): Promise<void> {
    this.stateArgs = await this.stateFunction();
    const prototype = await this.cdp.send('Runtime.evaluate', { expression: 'Promise.prototype', objectGroup: OBJECT_GROUP, silent: true });
    const { objects } = await this.cdp.send('Runtime.queryObjects', { prototypeObjectId: prototype.result.objectId!, objectGroup: OBJECT_GROUP });
    const made = await this.call(
      objects.objectId!,
      `function (state, kPending) {
        class ${PROBE_CLASS} { constructor(pending) { this.pending = pending; } }
        const pending = [];
        for (let i = 0; i < this.length; i++) { try { if (state(this[i]) === kPending) pending.push(this[i]); } catch {} }
        this.length = 0;
        return new ${PROBE_CLASS}(pending);
      }`,
      false,
    );
    await this.cdp.send('Runtime.releaseObject', { objectId: objects.objectId! }).catch(() => undefined);
    this.probeId = made.objectId;
    if (!this.probeId) throw new Error('the pending-promise probe could not be created in the target');
  }

  /** Indexes of the probe's promises that are no longer pending; empties the probe. */
  async finish(): Promise<number[]> {
    const result = await this.call(
      this.probeId!,
      `function (state, kPending) {
        const settled = [];
        this.pending.forEach((promise, i) => { try { if (state(promise) !== kPending) settled.push(i); } catch { settled.push(i); } });
        this.pending.length = 0;
        return settled;
      }`,
      true,
    );
    return (result.value as number[] | undefined) ?? [];
  }

  async release(): Promise<void> {
    await this.cdp.send('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP }).catch(() => undefined);
  }

  private async call(objectId: string, functionDeclaration: string, returnByValue: boolean) {
    const { result, exceptionDetails } = await this.cdp.send('Runtime.callFunctionOn', {
      objectId,
      functionDeclaration,
      arguments: this.stateArgs,
      returnByValue,
      objectGroup: OBJECT_GROUP,
      silent: true,
    });
    if (exceptionDetails) throw new Error(`the pending-promise probe failed in ${this.cdp.label}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result;
  }

  /**
   * `(promise) => state` and the pending state: Node's `getPromiseDetails` (0.5 µs a promise),
   * from `util.inspect`'s module scope; else `util.inspect` itself (a few µs, same answer).
   */
  private async stateFunction(): Promise<Array<{ objectId?: string; value?: unknown }>> {
    const inspect = await this.cdp.send('Runtime.evaluate', { expression: "process.getBuiltinModule('util').inspect", objectGroup: OBJECT_GROUP, silent: true });
    const found: { details?: string; kPending?: unknown } = {};
    if (inspect.result.objectId) {
      const { internalProperties = [] } = await this.cdp.send('Runtime.getProperties', { objectId: inspect.result.objectId, ownProperties: true });
      const scopes = internalProperties.find((property) => property.name === '[[Scopes]]')?.value?.objectId;
      const scopeList = scopes ? (await this.cdp.send('Runtime.getProperties', { objectId: scopes, ownProperties: true })).result : [];
      for (const scope of scopeList) {
        if (!scope.value?.objectId || found.details) continue;
        const { result } = await this.cdp.send('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true });
        const details = result.find((variable) => variable.name === 'getPromiseDetails')?.value?.objectId;
        const kPending = result.find((variable) => variable.name === 'kPending')?.value;
        if (details && kPending && 'value' in kPending) Object.assign(found, { details, kPending: kPending.value });
      }
    }
    if (found.details) {
      const state = await this.cdp.send('Runtime.callFunctionOn', {
        objectId: found.details,
        functionDeclaration: 'function () { const details = this; return (promise) => details(promise)[0]; }',
        objectGroup: OBJECT_GROUP,
        silent: true,
      });
      if (state.result.objectId) return [{ objectId: state.result.objectId }, { value: found.kPending }];
    }
    this.exact = false;
    const fallback = await this.cdp.send('Runtime.evaluate', {
      expression: `(() => { const { inspect } = process.getBuiltinModule('util'); return (promise) => /^[^{]*\\{ <pending>/.test(inspect(promise, { depth: 0, customInspect: false })) ? 'pending' : 'settled'; })()`,
      objectGroup: OBJECT_GROUP,
      silent: true,
    });
    return [{ objectId: fallback.result.objectId }, { value: 'pending' }];
  }
}
