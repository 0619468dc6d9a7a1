/**
 * The built language server (dist/server.js) over a real LSP connection (stdio), against the
 * real sample game server with its heartbeat leak and bots churning players: attach, snapshots,
 * diagnostics at the leaking TypeScript line, hover, code lens, heap work with progress, the
 * flame graph, detach (diagnostics cleared, agent gone) and attach failures as clear errors.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  CancellationTokenSource,
  CodeLensRefreshRequest,
  CodeLensRequest,
  createProtocolConnection,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ResponseError,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  type Diagnostic,
  type MarkupContent,
  type ProtocolConnection,
  type WorkDoneProgressBegin,
  type WorkDoneProgressReport,
} from 'vscode-languageserver-protocol/node';
import { CdpConnection } from '../../src/cdp/connection';
import {
  AttachRequest,
  DeepScanEstimateRequest,
  DeepScanRequest,
  DetachRequest,
  ErrorCodes,
  ExportSnapshotRequest,
  FlameGraphRequest,
  HeapDiffRequest,
  HeapRetainersRequest,
  HeapSnapshotEstimateRequest,
  HeapSnapshotRequest,
  HeapSummaryRequest,
  ListProcessesRequest,
  OpenReportRequest,
  SampleAllocationsRequest,
  SnapshotRequest,
  SOURCE_SCHEME,
  SourceContentRequest,
  StateNotification,
  type LeakInspectorErrorData,
  type LeakInspectorState,
  type ServerSettings,
  type TargetState,
} from '../../src/protocol/lsp';
import { runBots, sampleDistDir, startSampleServer, type SampleServer } from '../../src/sample/sampleServer';
import { settle } from '../helpers/sampleServer';
import { runFixtureClient, settleFixture, startFixture, type FixtureServer } from '../fixtures/fixtureServers';

const ROOT = path.resolve(__dirname, '../..');
const SOURCES = path.join(ROOT, 'samples/game-server/src');
const SESSION_FILE = path.join(SOURCES, 'player-session.ts');
const SESSION_URI = pathToFileURL(SESSION_FILE).href;
/** 0-based line of the heartbeat `setInterval` that outlives its connection. */
const HEARTBEAT_LINE = fs.readFileSync(SESSION_FILE, 'utf8').split('\n').findIndex((line) => line.includes('this.heartbeat = setInterval('));
const MIN_SCORE = 40;
const AGENT = "typeof globalThis[Symbol.for('leak-inspector.agent')]";
const GAME_FILE = path.join(SOURCES, 'game-server.ts');
const GAME_URI = pathToFileURL(GAME_FILE).href;
/** 0-based line where each player's lobby-feed listener is added to `presence` (LEAK(listener) never removes it). */
const LISTENER_LINE = fs.readFileSync(GAME_FILE, 'utf8').split('\n').findIndex((line) => line.includes("presence.on('broadcast', onAnnouncement)"));
/** The 1-based line of the first line holding `text`. */
function lineOfText(file: string, text: string): number {
  return fs.readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1;
}
/** The export written by the live describe, opened again by the saved-report one. */
let exportedReport: string | undefined;

/** The built CLI, as a user runs it. */
async function runCli(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The server process and what it sent us. */
class LspClient {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  readonly states: LeakInspectorState[] = [];
  lensRefreshes = 0;
  readonly progress: Array<{ token: string | number; value: WorkDoneProgressBegin | WorkDoneProgressReport | { kind: 'end' } }> = [];
  private constructor(
    readonly child: ChildProcess,
    readonly connection: ProtocolConnection,
  ) {}

  static async start(settings: Partial<ServerSettings>): Promise<LspClient> {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, connection);
    connection.onNotification(PublishDiagnosticsNotification.type, ({ uri, diagnostics }) => {
      client.diagnostics.set(uri, diagnostics);
    });
    connection.onNotification(StateNotification, (state) => {
      client.states.push(state);
    });
    connection.onProgress(WorkDoneProgress.type, 'heap', (value) => {
      client.progress.push({ token: 'heap', value });
    });
    for (const token of ['sampling', 'deep']) {
      connection.onProgress(WorkDoneProgress.type, token, (value) => {
        client.progress.push({ token, value });
      });
    }
    connection.onRequest(CodeLensRefreshRequest.type, () => {
      client.lensRefreshes++;
    });
    connection.listen();
    const initialized = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: { window: { workDoneProgress: true }, workspace: { codeLens: { refreshSupport: true } } },
      initializationOptions: { settings: { autoRefresh: false, diagnosticMinScore: MIN_SCORE, ...settings } },
    });
    assert.equal(initialized.capabilities.hoverProvider, true);
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    await this.connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
    await this.connection.sendNotification(ExitNotification.type).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}

/** The ResponseError a request failed with. */
async function failure(request: Promise<unknown>): Promise<ResponseError<LeakInspectorErrorData>> {
  try {
    await request;
  } catch (error) {
    assert.ok(error instanceof ResponseError, `expected a ResponseError, got ${String(error)}`);
    return error as ResponseError<LeakInspectorErrorData>;
  }
  assert.fail('the request succeeded');
}

async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function agentIn(server: SampleServer): Promise<string> {
  const observer = await CdpConnection.connect(server.inspectorUrl!);
  try {
    const { result } = await observer.send('Runtime.evaluate', { expression: AGENT, returnByValue: true });
    return result.value as string;
  } finally {
    await observer.close();
  }
}

describe('language server on the sample game server', { concurrency: false }, () => {
  let server: SampleServer;
  let lsp: LspClient;
  let target: TargetState;
  const heapDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-heap-'));

  before(async () => {
    server = await startSampleServer({ leaks: 'heartbeat', nodeArgs: ['--inspect=127.0.0.1:0'], serverArgs: ['--ready-timeout-ms', '1000'] });
    lsp = await LspClient.start({ heapDirectory });
  });
  after(async () => {
    await lsp?.stop();
    await server?.stop();
    fs.rmSync(heapDirectory, { recursive: true, force: true });
  });

  test('lists local Node processes with their inspector port', async () => {
    const processes = await lsp.connection.sendRequest(ListProcessesRequest);
    const sample = processes.find((p) => p.pid === server.pid);
    assert.ok(sample, `the sample server (pid ${server.pid}) among ${processes.map((p) => p.pid).join(', ')}`);
    assert.equal(sample.inspectorPort, Number(new URL(server.inspectorUrl!).port));
    assert.match(sample.commandLine, /server\.js --port 0 --leaks heartbeat/);
  });

  test('attach installs the agent and publishes the first state', async () => {
    target = await lsp.connection.sendRequest(AttachRequest, { target: `127.0.0.1:${new URL(server.inspectorUrl!).port}` });
    assert.equal(target.status, 'attached');
    assert.equal(target.threads.length, 1);
    assert.ok(target.threads[0].report, 'the first snapshot is taken at attach');
    assert.equal(target.pid, server.pid);
    assert.equal(await agentIn(server), 'object');
    await eventually(() => lsp.states.some((state) => state.targets.some((t) => t.id === target.id)), 'a state notification');
  });

  test('snapshots after player churn put a diagnostic on the heartbeat line', async () => {
    let state: LeakInspectorState | undefined;
    for (let round = 1; round <= 3; round++) {
      await runBots({ url: server.wsUrl, players: 8, durationS: 1.5, dropRate: 0.5, paceMs: 20, seed: round });
      await new Promise((resolve) => setTimeout(resolve, 1200));
      state = await lsp.connection.sendRequest(SnapshotRequest, { targetId: target.id });
    }
    const entry = state!.suspects.find(({ suspect }) => suspect.kind === 'async' && suspect.location?.path === SESSION_FILE && suspect.location.line === HEARTBEAT_LINE + 1);
    assert.ok(entry, `heartbeat among the suspects: ${state!.suspects.map(({ suspect }) => `${suspect.score} ${suspect.kind} ${suspect.location?.path}:${suspect.location?.line}`).join(', ')}`);
    const suspect = entry.suspect;
    assert.match(suspect.title, /^\d+ live intervals$/);
    assert.equal(entry.targetId, target.id);
    assert.equal(entry.threadId, 0);
    assert.ok(state!.suspects.every(({ suspect }) => suspect.score >= MIN_SCORE), 'only suspects at or above the threshold');
    assert.equal(state!.sourceUris[SESSION_FILE], SESSION_URI, 'sources on disk are file URIs');

    await eventually(() => (lsp.diagnostics.get(SESSION_URI) ?? []).some((d) => d.range.start.line === HEARTBEAT_LINE), 'the heartbeat diagnostic');
    const diagnostic = lsp.diagnostics.get(SESSION_URI)!.find((d) => d.range.start.line === HEARTBEAT_LINE)!;
    assert.equal(typeof diagnostic.message, 'string');
    assert.match(diagnostic.message as string, /^\d+ live intervals created here · oldest \S+ · score \d+ \(.*owner-gone \d+.*\) .*players: \d+ \(\d+ gone\)/);
    assert.equal(diagnostic.source, 'Leak Inspector');
    const expected = suspect.severity === 'high' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information;
    assert.equal(diagnostic.code, 'async');
    assert.equal(diagnostic.severity, expected);
    const related = diagnostic.relatedInformation ?? [];
    assert.ok(related.length > 0, 'the creation stack as related information');
    assert.equal(related[0].location.uri, SESSION_URI);
    assert.equal(related[0].location.range.start.line, HEARTBEAT_LINE);
    assert.match(related[0].message, /^at .*player-session\.ts:\d+:\d+\)$/);
  });

  test('hover and code lens at the heartbeat line', async () => {
    const hover = await lsp.connection.sendRequest(HoverRequest.type, { textDocument: { uri: SESSION_URI }, position: { line: HEARTBEAT_LINE, character: 4 } });
    const markdown = (hover?.contents as MarkupContent | undefined)?.value ?? '';
    assert.match(markdown, /\*\*Leak Inspector\*\* · score \*\*\d+\*\*/);
    assert.match(markdown, new RegExp(`Created at:\\n\`\`\`\\nat .*\\(player-session\\.ts:${HEARTBEAT_LINE + 1}:\\d+\\)`));
    assert.match(markdown, /owner-gone \d+\/30/);
    const elsewhere = await lsp.connection.sendRequest(HoverRequest.type, { textDocument: { uri: SESSION_URI }, position: { line: 0, character: 0 } });
    assert.equal(elsewhere, null);

    const lenses = await lsp.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: SESSION_URI } });
    const lens = (lenses ?? []).find((l) => l.range.start.line === HEARTBEAT_LINE);
    assert.ok(lens?.command, 'a code lens on the heartbeat line');
    assert.match(lens.command.title, /^\d+ live intervals created here · oldest \S+ · score \d+$/);
    assert.equal(lens.command.command, 'leakInspector.revealSite');
    assert.ok(lsp.lensRefreshes >= 3, `clients are told to ask again after each snapshot (${lsp.lensRefreshes} times)`);
  });

  test('a source known only from a source map is served for the virtual scheme', async () => {
    const uri = `${SOURCE_SCHEME}:${SESSION_URI.slice('file:'.length)}`;
    const text = await lsp.connection.sendRequest(SourceContentRequest, { uri });
    assert.equal(text, fs.readFileSync(SESSION_FILE, 'utf8'));
    const missing = await failure(lsp.connection.sendRequest(SourceContentRequest, { uri: `${SOURCE_SCHEME}:/nowhere/x.ts` }));
    assert.match(missing.message, /no source map of an attached process holds the text of \/nowhere\/x\.ts/);
  });

  test('flame graph of the latest snapshot', async () => {
    const graph = await lsp.connection.sendRequest(FlameGraphRequest, { targetId: target.id, mode: 'async' });
    assert.equal(graph.mode, 'async');
    assert.ok(graph.root.total > 0);
    const noProfile = await failure(lsp.connection.sendRequest(FlameGraphRequest, { targetId: target.id, mode: 'allocations' }));
    assert.match(noProfile.message, /no allocation sampling .* yet/);
  });

  test('the export is the report document, and snapshot --from reads it back', async () => {
    const [report] = await lsp.connection.sendRequest(ExportSnapshotRequest, { targetId: target.id });
    assert.equal(report.format, 'leak-inspector-report');
    assert.equal(report.schemaVersion, 2);
    assert.equal(report.producer, 'language-server');
    assert.equal(report.target.address, target.target, 'what was attached to');
    assert.equal(report.target.nodeVersion, process.version, 'the target runs this Node');
    assert.ok(report.threads.length >= 1 && report.threads[0].sites.length > 0);
    const keys = report.suspects.map((suspect) => `${suspect.thread} ${suspect.key}`);
    assert.equal(new Set(keys).size, keys.length, 'one suspect per thread, kind, type and line');
    const heartbeat = report.suspects.find((suspect) => suspect.kind === 'async' && suspect.location?.path === SESSION_FILE && suspect.location.line === HEARTBEAT_LINE + 1);
    assert.ok(heartbeat, `the heartbeat line is a suspect among ${keys.join(', ')}`);
    const sitesAtLine = report.threads[0].sites.filter((site) => site.type === 'Interval' && site.location?.path === SESSION_FILE && site.location.line === HEARTBEAT_LINE + 1);
    assert.equal(heartbeat.count, sitesAtLine.reduce((sum, site) => sum + site.count, 0), 'the suspect counts every path to its line');
    assert.equal(heartbeat.paths.length, sitesAtLine.length);

    exportedReport = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'leak-report-')), 'export.json');
    fs.writeFileSync(exportedReport, JSON.stringify(report, null, 2));
    const json = await runCli(['snapshot', '--from', exportedReport, '--json']);
    assert.deepEqual(JSON.parse(json), report, 'read back whole');
    const text = await runCli(['snapshot', '--from', exportedReport]);
    assert.match(text, /^\d+ suspects?, highest score first:$/m);
    assert.match(text, new RegExp(`^  score \\d+ \\w+  async  \\d+ live intervals?.*player-session\\.ts:${HEARTBEAT_LINE + 1}:\\d+`, 'm'));
    assert.match(text, /^score \d+ (LOW|MEDIUM|HIGH) +\d+ × Interval/m, 'then the per-thread dump');
  });

  test('heap snapshots with work-done progress, their analysis, and allocation sampling', async () => {
    const estimate = await lsp.connection.sendRequest(HeapSnapshotEstimateRequest, { targetId: target.id });
    assert.ok(estimate.usedSize > 0 && estimate.estimatedPauseMs >= 100);
    const file = await lsp.connection.sendRequest(HeapSnapshotRequest, { targetId: target.id, workDoneToken: 'heap' });
    try {
      assert.equal(file.kind, 'heapsnapshot');
      assert.equal(fs.statSync(file.file).size, file.bytes);
      const kinds = lsp.progress.filter((p) => p.token === 'heap').map((p) => p.value.kind);
      assert.equal(kinds[0], 'begin');
      assert.ok(kinds.includes('report'));
      await eventually(() => lsp.progress.some((p) => p.token === 'heap' && p.value.kind === 'end'), 'the end of progress');

      // Analysed in a worker thread: the leaked sessions are there, held by their heartbeat intervals.
      const summary = await lsp.connection.sendRequest(HeapSummaryRequest, { file: file.file });
      const sessions = summary.constructors.find((c) => c.name === 'PlayerSession');
      assert.ok(sessions && sessions.count >= 10, `PlayerSession in ${summary.constructors.slice(0, 10).map((c) => c.name).join(', ')}`);
      const retainers = await lsp.connection.sendRequest(HeapRetainersRequest, { file: file.file, className: 'PlayerSession', limit: 2 });
      assert.equal(retainers.paths.length, 2);
      assert.match(retainers.paths[0].text, /Timeout @\d+ ._onTimeout → .* PlayerSession @\d+$/);
      const second = await lsp.connection.sendRequest(HeapSnapshotRequest, { targetId: target.id });
      try {
        const diff = await lsp.connection.sendRequest(HeapDiffRequest, { before: file.file, after: second.file });
        assert.equal(diff.after.nodeCount > 0 && diff.before.nodeCount > 0, true);
      } finally {
        fs.rmSync(second.file, { force: true });
      }
      const corrupt = await failure(lsp.connection.sendRequest(HeapSummaryRequest, { file: path.join(ROOT, 'package.json') }));
      assert.equal(corrupt.code, ErrorCodes.OperationFailed);

      // Cancelled: the request fails and no file (not even a partial one) is left behind.
      const cancel = new CancellationTokenSource();
      const cancelled = lsp.connection.sendRequest(HeapSnapshotRequest, { targetId: target.id }, cancel.token);
      setTimeout(() => cancel.cancel(), 50);
      const error = await failure(cancelled);
      assert.match(error.message, /aborted|cancelled/i);
      await eventually(() => fs.readdirSync(heapDirectory).every((name) => name === path.basename(file.file)), 'no file from the cancelled snapshot');

      const sampled = await lsp.connection.sendRequest(SampleAllocationsRequest, { targetId: target.id, durationMs: 300, workDoneToken: 'sampling' });
      assert.equal(sampled.file.kind, 'heapprofile');
      assert.ok(fs.existsSync(sampled.file.file));
      const graph = await lsp.connection.sendRequest(FlameGraphRequest, { targetId: target.id, mode: 'allocations' });
      assert.equal(graph.unit, 'bytes');
      fs.rmSync(sampled.file.file, { force: true });
    } finally {
      fs.rmSync(file.file, { force: true });
    }
  });

  test('detach clears the diagnostics and removes the agent', async () => {
    await lsp.connection.sendRequest(DetachRequest, { targetId: target.id });
    await eventually(() => lsp.diagnostics.get(SESSION_URI)?.length === 0, 'cleared diagnostics');
    assert.equal(await agentIn(server), 'undefined');
    assert.deepEqual(lsp.states.at(-1)?.targets, []);
    assert.deepEqual(lsp.states.at(-1)?.suspects, []);
    const again = await failure(lsp.connection.sendRequest(DetachRequest, { targetId: target.id }));
    assert.equal(again.code, ErrorCodes.UnknownTarget);
  });
});

/** Attaches a fresh language server to a fresh sample server with `leaks` (and the attach) for one describe. */
function attachedTo(leaks: string): { server: SampleServer; lsp: LspClient; target: TargetState } {
  const context = {} as { server: SampleServer; lsp: LspClient; target: TargetState };
  before(async () => {
    context.server = await startSampleServer({ leaks, nodeArgs: ['--inspect=127.0.0.1:0'], serverArgs: ['--pool-size', '4', '--ready-timeout-ms', '1000'] });
    context.lsp = await LspClient.start({});
    context.target = await context.lsp.connection.sendRequest(AttachRequest, { target: context.server.inspectorUrl! });
  });
  after(async () => {
    await context.lsp?.stop();
    await context.server?.stop();
  });
  return context;
}

describe('a listener leak: suspects of every kind reach diagnostics, hovers and code lenses', { concurrency: false }, () => {
  const attached = attachedTo('listener');

  test("the presence listener never removed is a diagnostic at its registering line, naming its holder", async () => {
    const { server, lsp, target } = attached;
    let state: LeakInspectorState | undefined;
    for (let round = 1; round <= 3; round++) {
      await runBots({ url: server.wsUrl, players: 10, durationS: 1.5, dropRate: 0.5, paceMs: 20, seed: round });
      await settle(server);
      state = await lsp.connection.sendRequest(SnapshotRequest, { targetId: target.id });
    }
    const listed = state!.suspects.map(({ suspect }) => `${suspect.score} ${suspect.kind} ${suspect.title} ${suspect.location?.path}:${suspect.location?.line}`).join('\n');
    const entry = state!.suspects.find(({ suspect }) => suspect.kind === 'listener' && suspect.location?.path === GAME_FILE && suspect.location.line === LISTENER_LINE + 1);
    assert.ok(entry, `the broadcast listener at game-server.ts:${LISTENER_LINE + 1} among the suspects:\n${listed}`);
    const { suspect } = entry;
    assert.ok(suspect.holder, 'the listener suspect names what holds it');
    assert.match(suspect.title, /'broadcast' listeners? on /);
    assert.ok(suspect.count >= 10, `listeners of the churned players are still there (${suspect.count})`);
    assert.equal(state!.sourceUris[GAME_FILE], GAME_URI);

    await eventually(() => (lsp.diagnostics.get(GAME_URI) ?? []).some((d) => d.code === 'listener' && d.range.start.line === LISTENER_LINE), 'the listener diagnostic');
    const diagnostic = lsp.diagnostics.get(GAME_URI)!.find((d) => d.code === 'listener' && d.range.start.line === LISTENER_LINE)!;
    const message = diagnostic.message as string;
    assert.ok(message.startsWith(suspect.title), `the message starts with the title: ${message}`);
    assert.ok(message.includes(suspect.holder), `the holder "${suspect.holder}" is in the message: ${message}`);
    assert.match(message, / · score \d+ \(.+\)/, 'with the score explained');
    const related = diagnostic.relatedInformation ?? [];
    assert.equal(related.length > 0, suspect.paths.length > 0, 'the registering paths as related information');
    if (related.length > 0) assert.match(related[0].message, /^at .*game-server\.ts:\d+:\d+\)$/);

    const hover = await lsp.connection.sendRequest(HoverRequest.type, { textDocument: { uri: GAME_URI }, position: { line: LISTENER_LINE, character: 4 } });
    const markdown = (hover?.contents as MarkupContent | undefined)?.value ?? '';
    assert.match(markdown, /\*\*Leak Inspector\*\* · score \*\*\d+\*\* \(\w+\) · .*'broadcast' listener/);
    assert.ok(markdown.includes(`- held by: ${suspect.holder}`), markdown);
    const lenses = await lsp.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: GAME_URI } });
    const lens = (lenses ?? []).find((l) => l.range.start.line === LISTENER_LINE);
    assert.ok(lens?.command, 'a code lens on the registering line');
    assert.equal(lens.command.title, `${suspect.title} · score ${suspect.score}`);
    assert.deepEqual(lens.command.arguments?.[0], { targetId: target.id, threadId: 0, suspectKey: suspect.key });
  });

});

/**
 * The room-lifecycle fixture: players who drop leave their readiness promise in
 * `room.pendingReady`, its resolvers reachable only through the `onJoin` suspended on it, so
 * it can never settle. (The sample server's `pending` leak is not provable: its resolver hangs
 * on a session that a live room still holds, so a scan counts it but must not call it stuck.)
 */
describe('a deep scan finds the promises that can never settle', { concurrency: false }, () => {
  const READINESS_LINE = lineOfText(path.join(ROOT, 'test/fixtures/room-lifecycle/src/handlers.ts'), 'new Promise');
  const cleanups: Array<() => unknown> = [];
  const attached = {} as { server: FixtureServer; lsp: LspClient; target: TargetState };
  before(async () => {
    attached.server = await startFixture({ after: (fn) => cleanups.push(fn) }, 'room-lifecycle', ['--heartbeat-ms', '100'], ['--inspect=127.0.0.1:0']);
    attached.lsp = await LspClient.start({});
    attached.target = await attached.lsp.connection.sendRequest(AttachRequest, { target: attached.server.inspectorUrl! });
  });
  after(async () => {
    await attached.lsp?.stop();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('the deep scan announces its pause, reports progress and lists the promises that can never settle', async () => {
    const { server, lsp, target } = attached;
    await runFixtureClient({ after: (fn) => cleanups.push(fn) }, 'room-lifecycle', ['--url', server.url, '--join', '9', '--drop', '6', '--rooms', '2']);
    const stats = await settleFixture(server, (s) => s.connections === 0 && s.pendingReady === 6);
    const estimate = await lsp.connection.sendRequest(DeepScanEstimateRequest, { targetId: target.id });
    assert.ok(estimate.usedSize > 0 && estimate.estimatedPauseMs > 0);

    const result = await lsp.connection.sendRequest(DeepScanRequest, { targetId: target.id, workDoneToken: 'deep' });
    assert.ok(result.pendingPromises >= result.stuckPromises && result.stuckPromises > 0, `stuck promises found: ${JSON.stringify({ ...result, suspects: result.suspects.length })}`);
    const stuck = result.suspects.filter((suspect) => suspect.kind === 'stuck-promise');
    assert.ok(stuck.length > 0 && result.suspects.every((suspect) => suspect.kind === 'stuck-promise' || suspect.kind === 'orphaned-promise'));
    // The outer links of a stuck await chain (the suspended `onJoin`'s own promise) count as stuck but are not suspects of their own.
    assert.ok(stuck.reduce((sum, suspect) => sum + suspect.count, 0) <= result.stuckPromises);
    // V8 keeps no creation stack: the readiness promises are located at the async function suspended on them.
    const readiness = stuck.find((suspect) => suspect.location?.path.endsWith('room-lifecycle/src/handlers.ts') && /onJoin/.test(suspect.title));
    assert.ok(readiness, `the readiness promises awaited by onJoin among ${result.suspects.map((s) => `${s.count} ${s.title} ${s.location?.path}:${s.location?.line}`).join(' | ')}`);
    assert.ok(readiness.location!.line <= READINESS_LINE, 'at the function that creates and awaits them');
    assert.equal(readiness.count, stats.pendingReady, 'every dropped player\'s readiness promise, exactly');
    const kinds = lsp.progress.filter((p) => p.token === 'deep').map((p) => p.value.kind);
    assert.equal(kinds[0], 'begin');
    await eventually(() => lsp.progress.some((p) => p.token === 'deep' && p.value.kind === 'end'), 'the end of progress');
    const announced = lsp.progress.some((p) => p.token === 'deep' && p.value.kind === 'report' && /pauses .* about \d+ ms/.test(p.value.message ?? ''));
    assert.ok(announced, 'the estimated pause is said in the progress');

    // They join the suspects: state, diagnostics and the export.
    const state = lsp.states.at(-1)!;
    const shown = state.suspects.filter(({ suspect }) => suspect.kind === 'stuck-promise');
    assert.deepEqual(shown.map(({ suspect }) => suspect.key).sort(), stuck.filter((suspect) => suspect.score >= MIN_SCORE).map((suspect) => suspect.key).sort());
    const first = shown.find(({ suspect }) => suspect.location);
    if (first) {
      const uri = pathToFileURL(first.suspect.location!.path).href;
      await eventually(() => (lsp.diagnostics.get(uri) ?? []).some((d) => d.code === 'stuck-promise' && d.range.start.line === first.suspect.location!.line - 1), 'the stuck-promise diagnostic');
    }
    const [report] = await lsp.connection.sendRequest(ExportSnapshotRequest, { targetId: target.id });
    assert.equal(report.suspects.filter((suspect) => suspect.kind === 'stuck-promise').length, stuck.length);
    assert.ok(report.sampling.heapSnapshots.some((pause) => /promise census/.test(pause.phase)), 'the pause is in the report');

    // A later snapshot keeps them; a second scan measures growth against the first.
    const later = await lsp.connection.sendRequest(SnapshotRequest, { targetId: target.id });
    assert.equal(later.suspects.filter(({ suspect }) => suspect.kind === 'stuck-promise').length, shown.length);
    const again = await lsp.connection.sendRequest(DeepScanRequest, { targetId: target.id });
    assert.ok(again.suspects.filter((suspect) => suspect.kind === 'stuck-promise').every((suspect) => suspect.growth !== null), 'growth against the previous scan');
  });

  test('a cancelled deep scan fails cleanly and the target keeps working', async () => {
    const { lsp, target } = attached;
    const cancel = new CancellationTokenSource();
    const cancelled = lsp.connection.sendRequest(DeepScanRequest, { targetId: target.id }, cancel.token);
    setTimeout(() => cancel.cancel(), 100);
    const error = await failure(cancelled);
    assert.match(error.message, /abort|cancel/i);
    assert.ok(lsp.states.at(-1)!.targets[0].error === undefined || !/deep scan failed/.test(lsp.states.at(-1)!.targets[0].error!), 'a cancel is not a failure');
    const state = await lsp.connection.sendRequest(SnapshotRequest, { targetId: target.id });
    assert.equal(state.targets[0].status, 'attached');
    await lsp.connection.sendRequest(DetachRequest, { targetId: target.id });
  });
});

describe('saved reports open with no process', () => {
  let lsp: LspClient;
  before(async () => (lsp = await LspClient.start({})));
  after(() => lsp?.stop());

  test('the exported report shows its suspects as diagnostics until closed', async (t) => {
    if (!exportedReport) return t.skip('needs the export of the test above');
    const state = await lsp.connection.sendRequest(OpenReportRequest, { file: exportedReport });
    assert.equal(state.status, 'report');
    assert.equal(state.savedReport?.file, exportedReport);
    assert.ok(state.threads[0].report!.sites.length > 0);
    await eventually(() => (lsp.diagnostics.get(SESSION_URI) ?? []).some((d) => d.range.start.line === HEARTBEAT_LINE), 'the heartbeat diagnostic from the saved report');
    const refused = await failure(lsp.connection.sendRequest(SnapshotRequest, { targetId: state.id }));
    assert.match(refused.message, /saved report: a snapshot needs a running process/);
    await lsp.connection.sendRequest(DetachRequest, { targetId: state.id });
    await eventually(() => (lsp.diagnostics.get(SESSION_URI) ?? []).length === 0, 'diagnostics cleared when the report is closed');
  });

  test('a newer or foreign document is refused with a clear error', async () => {
    const newer = await failure(lsp.connection.sendRequest(OpenReportRequest, { text: JSON.stringify({ format: 'leak-inspector-report', schemaVersion: 3 }) }));
    assert.equal(newer.data?.code, 'BAD_REPORT');
    assert.match(newer.message, /schemaVersion 3, newer than this Leak Inspector reads \(2\)/);
    const foreign = await failure(lsp.connection.sendRequest(OpenReportRequest, { text: '{"hello": 1}' }));
    assert.match(foreign.message, /not a Leak Inspector report/);
    const missing = await failure(lsp.connection.sendRequest(OpenReportRequest, { file: '/nonexistent/report.json' }));
    assert.match(missing.message, /ENOENT.*\/nonexistent\/report\.json/);
    const state = await lsp.connection.sendRequest(SnapshotRequest, {}).catch((error: ResponseError<LeakInspectorErrorData>) => error);
    assert.ok(state instanceof ResponseError && state.code === ErrorCodes.UnknownTarget, 'nothing half-opened');
  });
});

describe('attach failures are clear LSP errors', () => {
  let lsp: LspClient;
  before(async () => (lsp = await LspClient.start({})));
  after(() => lsp?.stop());

  const attachError = (target: string, consentedRemoteHosts?: string[]) =>
    failure(lsp.connection.sendRequest(AttachRequest, { target, ...(consentedRemoteHosts ? { consentedRemoteHosts } : {}) }));

  test('nothing listening', async () => {
    const error = await attachError('127.0.0.1:1');
    assert.equal(error.code, ErrorCodes.AttachFailed);
    assert.equal(error.data?.code, 'ECONNREFUSED');
    assert.match(error.message, /127\.0\.0\.1:1/);
  });

  test('not a target', async () => {
    const error = await attachError('nonsense');
    assert.equal(error.data?.code, 'INVALID_TARGET');
    assert.match(error.message, /"nonsense" is not a target/);
  });

  test('no such process', async () => {
    const error = await attachError('pid:2147483646');
    assert.equal(error.data?.code, 'ESRCH');
  });

  test('a remote host is refused unless allowed, and needs consent when allowed', async () => {
    const refused = await attachError('10.255.0.1:9229');
    assert.equal(refused.data?.code, 'REMOTE_HOST_REFUSED');
    assert.match(refused.message, /allowedRemoteHosts setting/);

    await lsp.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { autoRefresh: false, allowedRemoteHosts: ['10.255.0.1'] } });
    const unconfirmed = await attachError('ws://10.255.0.1:9229/abc');
    assert.equal(unconfirmed.data?.code, 'REMOTE_HOST_NEEDS_CONSENT');
    assert.equal(unconfirmed.data?.host, '10.255.0.1');
    // Allowed and confirmed: the engine really tries (and, with nothing there, fails to connect).
    const confirmed = await attachError('10.255.0.1:9229', ['10.255.0.1']);
    assert.notEqual(confirmed.data?.code, 'REMOTE_HOST_NEEDS_CONSENT');
    assert.notEqual(confirmed.data?.code, 'REMOTE_HOST_REFUSED');
    assert.equal(confirmed.code, ErrorCodes.AttachFailed);
  });

  test('requests about no target', async () => {
    const error = await failure(lsp.connection.sendRequest(SnapshotRequest, {}));
    assert.equal(error.code, ErrorCodes.UnknownTarget);
    assert.match(error.message, /not attached to any process/);
  });
});

/**
 * As from an installed .vsix: the built sample runs from a folder where its TypeScript sources
 * do not exist, only inside its source maps. Diagnostics then point at read-only virtual
 * documents whose text the server serves; and auto-refresh keeps them coming with no request.
 */
describe('sources known only from source maps, with auto-refresh', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-lsp-'));
  let server: ChildProcess;
  let lsp: LspClient;

  before(async () => {
    // Three levels deep, as dist/samples/game-server is: the maps' `../../../samples/…` sources resolve inside `work`.
    const dir = path.join(work, 'ext', 'dist', 'samples', 'game-server');
    fs.mkdirSync(dir, { recursive: true });
    for (const file of fs.readdirSync(sampleDistDir())) fs.copyFileSync(path.join(sampleDistDir(), file), path.join(dir, file));
    server = spawn(process.execPath, ['--inspect=127.0.0.1:0', path.join(dir, 'server.js'), '--port', '0', '--leaks', 'heartbeat'], { stdio: ['ignore', 'pipe', 'pipe'] });
    lsp = await LspClient.start({ autoRefresh: true, refreshIntervalSeconds: 1 });
  });
  after(async () => {
    await lsp?.stop();
    server?.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('diagnostics under the source scheme, refreshed automatically, with the text served', async () => {
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => /listening on [^\s]+:(\d+)$/m.test(output) && /Debugger listening on ws:/.test(output), 'the copied sample to start', 10_000);
    const port = /listening on [^\s]+:(\d+)$/m.exec(output)![1];
    const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(output)![1];
    await lsp.connection.sendRequest(AttachRequest, { target: inspector });
    for (let round = 1; round <= 3; round++) await runBots({ url: `ws://127.0.0.1:${port}`, players: 8, durationS: 1.5, dropRate: 0.5, paceMs: 20, seed: round });

    const missing = path.join(work, 'ext', 'samples', 'game-server', 'src', 'player-session.ts');
    assert.equal(fs.existsSync(missing), false);
    const uri = `${SOURCE_SCHEME}:${pathToFileURL(missing).href.slice('file:'.length)}`;
    // No snapshot request: only auto-refresh can bring the growth that makes the heartbeat a suspect.
    await eventually(() => (lsp.diagnostics.get(uri) ?? []).some((d) => d.range.start.line === HEARTBEAT_LINE), `a diagnostic in ${uri}`, 15_000);
    assert.equal(lsp.states.at(-1)?.sourceUris[missing], uri);
    assert.ok(new Set(lsp.states.map((state) => state.targets[0]?.lastSnapshotAt)).size >= 3, 'snapshots keep coming');
    const text = await lsp.connection.sendRequest(SourceContentRequest, { uri });
    assert.equal(text, fs.readFileSync(SESSION_FILE, 'utf8'));
    const hover = await lsp.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: HEARTBEAT_LINE, character: 4 } });
    assert.ok(hover, 'hovers work in the virtual document too');
  });
});
