/**
 * The LSP face of the targets: standard diagnostics, hovers and code lenses at leak sites, the
 * `leakInspector/…` requests, and the `leakInspector/state` notification after every change.
 */
import type { CancellationToken, Connection, InitializeResult } from 'vscode-languageserver/node';
import { CodeLensRefreshRequest, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { listNodeProcesses } from '../cdp';
import { runHeapAnalysisInWorker } from '../heap';
import type { HeapAnalysisRequest as HeapWork } from '../protocol/heap';
import {
  AttachRequest,
  AutoRefreshRequest,
  DeepScanEstimateRequest,
  DeepScanRequest,
  DetachRequest,
  ExportSnapshotRequest,
  FlameGraphRequest,
  HeapDiffRequest,
  HeapRetainersRequest,
  HeapSummaryRequest,
  HeapSnapshotEstimateRequest,
  HeapSnapshotRequest,
  ListProcessesRequest,
  OpenReportRequest,
  SampleAllocationsRequest,
  SnapshotRequest,
  SourceContentRequest,
  StateNotification,
  type LeakInspectorState,
} from '../protocol/lsp';
import { toResponseError } from './errors';
import { parseSettings } from './settings';
import { SiteIndex } from './siteIndex';
import { codeLenses, diagnosticsByUri, hoverAt } from './sourceFeatures';
import { pathOfUri } from './sourceUris';
import { TargetManager } from './targetManager';

const DEFAULT_RETAINER_PATHS = 5;

export function startLeakServer(connection: Connection): void {
  let manager: TargetManager | undefined;
  let index = new SiteIndex({ targets: [], suspects: [], autoRefresh: { enabled: false, intervalSeconds: 0 }, sourceUris: {} });
  let published = new Set<string>();
  let canRefreshLenses = false;

  const targets = (): TargetManager => {
    if (!manager) throw new Error('the server is not initialized');
    return manager;
  };

  /** Publishes diagnostics for files with suspects and clears those that no longer have any. */
  const onChange = (state: LeakInspectorState): void => {
    index = new SiteIndex(state);
    const diagnostics = diagnosticsByUri(index);
    for (const uri of published) if (!diagnostics.has(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
    for (const [uri, list] of diagnostics) void connection.sendDiagnostics({ uri, diagnostics: list });
    published = new Set(diagnostics.keys());
    // Clients ask for code lenses when a document changes, not when the process does.
    if (canRefreshLenses) connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    void connection.sendNotification(StateNotification, state);
  };

  /** Runs a request handler, turning any failure into a ResponseError with a readable message. */
  const handle =
    <P, R>(handler: (params: P, token: CancellationToken) => Promise<R> | R) =>
    async (params: P, token: CancellationToken): Promise<R> => {
      try {
        return await handler(params, token);
      } catch (error) {
        throw toResponseError(error);
      }
    };

  connection.onInitialize((params): InitializeResult => {
    const options = params.initializationOptions as { settings?: unknown } | undefined;
    canRefreshLenses = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    manager = new TargetManager(parseSettings(options?.settings), onChange, (message) => connection.console.warn(message));
    return {
      // Leak sites come from the running process, not from document text: no sync needed.
      capabilities: { textDocumentSync: TextDocumentSyncKind.None, hoverProvider: true, codeLensProvider: { resolveProvider: false } },
      serverInfo: { name: 'Leak Inspector' },
    };
  });

  connection.onDidChangeConfiguration(({ settings }) => {
    // `{ settings }` is ours; `{ settings: { leakInspector } }` is what generic clients send.
    const nested = (settings as { leakInspector?: unknown } | null)?.leakInspector;
    targets().updateSettings(parseSettings(nested ?? settings));
  });

  connection.onHover(({ textDocument, position }) => {
    const sourcePath = pathOfUri(textDocument.uri);
    return sourcePath === undefined ? null : hoverAt(index, sourcePath, position.line);
  });

  connection.onCodeLens(({ textDocument }) => {
    const sourcePath = pathOfUri(textDocument.uri);
    return sourcePath === undefined ? [] : codeLenses(index, sourcePath);
  });

  connection.onRequest(
    AttachRequest,
    handle(async (params) => (await targets().attach(params)).state()),
  );
  connection.onRequest(
    DetachRequest,
    handle((params) => targets().detach(params.targetId)),
  );
  connection.onRequest(
    SnapshotRequest,
    handle((params) => targets().snapshot(params.targetId)),
  );
  connection.onRequest(
    AutoRefreshRequest,
    handle((params) => targets().setAutoRefresh(params.enabled)),
  );
  connection.onRequest(ListProcessesRequest, async () => {
    try {
      return (await listNodeProcesses()).map(({ pid, commandLine, inspectorPort }) => ({ pid, commandLine, ...(inspectorPort ? { inspectorPort } : {}) }));
    } catch (error) {
      throw toResponseError(error);
    }
  });
  connection.onRequest(
    SourceContentRequest,
    handle(async ({ uri }) => {
      const sourcePath = pathOfUri(uri);
      const text = sourcePath === undefined ? undefined : await targets().sourceContent(sourcePath);
      if (text === undefined) throw new Error(`no source map of an attached process holds the text of ${sourcePath ?? uri}`);
      return text;
    }),
  );
  connection.onRequest(
    ExportSnapshotRequest,
    handle(({ targetId }) => {
      const chosen = targetId === undefined ? targets().all() : [targets().get(targetId)];
      return chosen.filter((target) => targetId !== undefined || target.reports().length > 0).map((target) => target.report());
    }),
  );
  connection.onRequest(
    OpenReportRequest,
    handle(async (params) => (await targets().openReport(params)).state()),
  );

  connection.onRequest(
    DeepScanEstimateRequest,
    handle(({ targetId }) => targets().get(targetId).estimateHeapSnapshot()),
  );
  connection.onRequest(
    DeepScanRequest,
    handle(async (params, token) => {
      const target = targets().get(params.targetId);
      const progress = connection.window.attachWorkDoneProgress(params.workDoneToken);
      const cancel = abortOnCancel(token);
      progress.begin(`Finding promises that can never settle in ${target.label}`, 0, 'snapshot of every thread', true);
      let ticker: NodeJS.Timeout | undefined;
      try {
        // The engine announces the pause before it starts; the bar follows the time against twice that (snapshot, transfer, analysis).
        const { estimatedPauseMs } = await target.estimateHeapSnapshot();
        const started = Date.now();
        let message = 'snapshot of every thread';
        ticker = setInterval(() => progress.report(Math.min(95, Math.floor(((Date.now() - started) / (2 * estimatedPauseMs + 1000)) * 100)), message), 250);
        const result = await target.deepScanNow((notice) => progress.report((message = notice)), cancel.signal);
        onChange(targets().state());
        return result;
      } finally {
        clearInterval(ticker);
        cancel.dispose();
        progress.done();
      }
    }),
  );
  connection.onRequest(
    HeapSnapshotEstimateRequest,
    handle(({ targetId }) => targets().get(targetId).estimateHeapSnapshot()),
  );
  connection.onRequest(
    HeapSnapshotRequest,
    handle(async (params, token) => {
      const target = targets().get(params.targetId);
      const progress = connection.window.attachWorkDoneProgress(params.workDoneToken);
      const cancel = abortOnCancel(token);
      progress.begin(`Heap snapshot of ${target.label}`, 0, 'the target is paused while V8 walks its heap', true);
      try {
        const file = await target.takeHeapSnapshot(({ done, total, finished }) => {
          const percentage = total > 0 ? Math.floor((done / total) * 100) : 0;
          progress.report(percentage, finished ? 'writing the file' : `${done.toLocaleString('en')} of ${total.toLocaleString('en')} objects`);
        }, cancel.signal);
        onChange(targets().state());
        return file;
      } finally {
        cancel.dispose();
        progress.done();
      }
    }),
  );
  connection.onRequest(
    SampleAllocationsRequest,
    handle(async (params, token) => {
      const target = targets().get(params.targetId);
      const progress = connection.window.attachWorkDoneProgress(params.workDoneToken);
      const cancel = abortOnCancel(token);
      const started = Date.now();
      progress.begin(`Sampling allocations of ${target.label}`, 0, undefined, true);
      const ticker = setInterval(() => progress.report(Math.min(99, Math.floor(((Date.now() - started) / params.durationMs) * 100))), 500);
      try {
        const result = await target.sampleAllocations(params.durationMs, params.samplingInterval, cancel.signal);
        onChange(targets().state());
        return result;
      } finally {
        clearInterval(ticker);
        cancel.dispose();
        progress.done();
      }
    }),
  );
  /** Runs one analysis in a worker thread; cancelling the request stops the worker. */
  const analyse = <R extends HeapWork>(work: R, token: CancellationToken) => {
    const cancel = abortOnCancel(token);
    return runHeapAnalysisInWorker(work, { signal: cancel.signal }).finally(() => cancel.dispose());
  };
  connection.onRequest(
    HeapSummaryRequest,
    handle(({ file }, token) => analyse({ kind: 'summary', file }, token)),
  );
  connection.onRequest(
    HeapDiffRequest,
    handle(({ before, after }, token) => analyse({ kind: 'diff', before, after }, token)),
  );
  connection.onRequest(
    HeapRetainersRequest,
    handle(({ file, className, limit }, token) => analyse({ kind: 'retainers', file, className, limit: limit ?? DEFAULT_RETAINER_PATHS }, token)),
  );
  connection.onRequest(
    FlameGraphRequest,
    handle(({ targetId, mode }) => targets().pick(targetId).flameGraph(mode)),
  );

  connection.onShutdown(async () => {
    // The agents leave with us: a detached target runs exactly as before.
    await manager?.dispose();
  });

  connection.listen();
}

/** An AbortSignal that fires when the client cancels the request; dispose it when the work ends. */
function abortOnCancel(token: CancellationToken): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const subscription = token.onCancellationRequested(() => abort.abort());
  return { signal: abort.signal, dispose: () => subscription.dispose() };
}
