/**
 * "Attach to Debug Session Process" with VS Code's own JavaScript debugger (js-debug, built into
 * code-server): the sample server is launched from a launch configuration, bots play against it,
 * and the command finds the debuggee's process and attaches beside the debugger (Node's inspector
 * takes several sessions): run the moment the launch starts (the launch session active, which
 * runs no code) and with the process's own session active. The heartbeat leak shows as a
 * diagnostic, the debugger keeps working
 * (a breakpoint in the TypeScript source is hit and resumed while we are attached), detach
 * removes our agent, and stopping the debug session ends the server.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { freeLoopbackPort } from '../../../src/common/freePort';
import type { TargetState } from '../../../src/protocol/lsp';
import { HEARTBEAT_LEAK, lineOf, startBots } from '../sampleTarget';
import { nodeBinary } from './environment';
import { contributes, eventually, leakDiagnostics, workspaceRoot } from './helpers';

const NAME = 'Leak Inspector e2e: sample server under the debugger';
/** What a DAP `evaluate` of the agent's presence answers (js-debug quotes strings). */
const AGENT_TYPE = "typeof globalThis[Symbol.for('leak-inspector.agent')]";

interface StoppedEvent {
  session: vscode.DebugSession;
  threadId: number;
}

export function defineDebugSessionTests(): void {
  describe('attach to the process of the active debug session (js-debug launch)', function () {
    let root: string;
    let uri: vscode.Uri;
    /** 0-based, as the API counts. */
    let line: number;
    let port: number;
    /** The debuggee, found by its command line (not through the product or the debugger). */
    let pid: number | undefined;
    /** The session startDebugging created, and every session of the run (its child sessions among them). */
    let launched: vscode.DebugSession | undefined;
    const sessions: vscode.DebugSession[] = [];
    const stopped: StoppedEvent[] = [];
    const disposables: vscode.Disposable[] = [];
    let bots: { stop(): Promise<void> } | undefined;
    let target: TargetState | undefined;

    before(async function () {
      if (!contributes('leakInspector.attachToDebugSession') || !contributes('leakInspector.detach')) return this.skip();
      root = workspaceRoot();
      uri = vscode.Uri.file(path.join(root, HEARTBEAT_LEAK.file));
      line = lineOf(root, HEARTBEAT_LEAK.file, HEARTBEAT_LEAK.text) - 1;
      port = await freeLoopbackPort();
      disposables.push(
        vscode.debug.onDidStartDebugSession((session) => sessions.push(session)),
        // Sees the adapter's own messages: how a test learns a breakpoint was hit.
        vscode.debug.registerDebugAdapterTrackerFactory('*', {
          createDebugAdapterTracker: (session) => ({
            onDidSendMessage: (message: { type?: string; event?: string; body?: { threadId?: number } }) => {
              if (message.type === 'event' && message.event === 'stopped' && message.body?.threadId !== undefined) stopped.push({ session, threadId: message.body.threadId });
            },
          }),
        }),
      );
      const folder = vscode.workspace.workspaceFolders![0]!;
      const started = await vscode.debug.startDebugging(folder, {
        type: 'node',
        request: 'launch',
        name: NAME,
        program: path.join(root, 'dist', 'samples', 'game-server', 'server.js'),
        args: ['--port', String(port), '--leaks', 'heartbeat'],
        // The user's Node, as for every sample of the suite (the editor runs on its own).
        runtimeExecutable: nodeBinary(),
        console: 'internalConsole',
        outFiles: [path.join(root, 'dist', 'samples', '**', '*.js')],
        skipFiles: ['<node_internals>/**'],
      });
      assert.equal(started, true, 'startDebugging launched the sample server');
      launched = sessions.find((session) => session.name === NAME && !session.parentSession);
      assert.ok(launched, `the launch session among ${sessions.map((session) => session.name).join(', ')}`);
    });

    after(async () => {
      await vscode.commands.executeCommand('leakInspector.detach').then(undefined, () => undefined);
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints.filter((breakpoint) => breakpoint instanceof vscode.SourceBreakpoint && breakpoint.location.uri.fsPath === uri?.fsPath));
      await bots?.stop();
      if (launched && sessions.includes(launched)) await vscode.debug.stopDebugging(launched).then(undefined, () => undefined);
      const left = pid ?? (port ? debuggeePid(port) : undefined);
      if (left !== undefined && (await exits(left, 5000)) === false) process.kill(left, 'SIGKILL');
      for (const disposable of disposables) disposable.dispose();
    });

    /** Once the server listens: its PID, and bots playing. Each test asks, so none depends on another passing. */
    const serving = async (): Promise<number> => {
      pid ??= await eventually('the debuggee process', () => debuggeePid(port));
      await eventually(`the sample server listening on 127.0.0.1:${port}`, async () => ((await accepts(port)) ? true : undefined));
      bots ??= startBots({ root, node: nodeBinary(), port, players: 20, durationS: 120 });
      return pid;
    };

    it('run as the launch starts (its top-level session active, which runs no code), it finds the process in the child session', async function () {
      this.timeout(30_000);
      // startDebugging resolves before the process's own session starts: the launch session is
      // the active one (js-debug never answers `evaluate` in it).
      assert.equal(vscode.debug.activeDebugSession?.id, launched!.id, 'the launch session is active');
      const early = await vscode.commands.executeCommand<TargetState | undefined>('leakInspector.attachToDebugSession');
      assert.ok(early, 'the command returned the attached target (see the host log for the error it showed)');
      assert.equal(early.pid, await serving(), `attached to the server the debugger runs (target ${early.target})`);
      await vscode.commands.executeCommand('leakInspector.detach');
    });

    it('run with the process session active, it attaches to the debuggee and the heartbeat diagnostic appears on its TypeScript line', async () => {
      await serving();
      const active = await eventually('the process session to be the active one', () =>
        vscode.debug.activeDebugSession?.parentSession?.id === launched!.id ? vscode.debug.activeDebugSession : undefined,
      );
      assert.match(active.name, /server\.js/);
      target = await vscode.commands.executeCommand<TargetState | undefined>('leakInspector.attachToDebugSession');
      assert.ok(target, 'the command returned the attached target (see the host log for the error it showed)');
      assert.equal(target.pid, pid, `attached to the server the debugger runs (target ${target.target})`);
      const diagnostic = await eventually(
        'a Leak Inspector diagnostic on the heartbeat line',
        () => leakDiagnostics(uri).find((candidate) => candidate.range.start.line === line),
        60_000,
      );
      assert.match(diagnostic.message, /\d+ live intervals? created here/);
    });

    it('the debugger keeps working beside us: a breakpoint in the TypeScript source is hit and resumed', async () => {
      assert.ok(target, 'attached (an earlier test)');
      // Inside the heartbeat's callback: runs every few seconds for every connected player.
      const inside = lineOf(root, HEARTBEAT_LEAK.file, 'if (!this.alive)') - 1;
      // Stops once: removing a breakpoint reaches the adapter later than our continue, and another
      // player's heartbeat hitting it meanwhile would leave the server paused (and our snapshot waiting).
      const once = '!globalThis.__leakInspectorE2eStopped && (globalThis.__leakInspectorE2eStopped = true)';
      const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(inside, 0)), true, once);
      stopped.length = 0;
      vscode.debug.addBreakpoints([breakpoint]);
      try {
        const hit = await eventually('the debugger to stop at the breakpoint', () => stopped[0], 30_000);
        const trace = (await hit.session.customRequest('stackTrace', { threadId: hit.threadId, levels: 1 })) as { stackFrames: { line: number; source?: { path?: string } }[] };
        const top = trace.stackFrames[0];
        assert.ok(top?.source?.path?.endsWith(path.join('src', 'player-session.ts')), `stopped in ${top?.source?.path}`);
        assert.equal(top.line, inside + 1);
        assert.equal(evaluated(await evaluate(hit.session, 'process.pid')), String(pid), 'evaluated in the debuggee');
        vscode.debug.removeBreakpoints([breakpoint]);
        await hit.session.customRequest('continue', { threadId: hit.threadId });
      } finally {
        vscode.debug.removeBreakpoints([breakpoint]);
      }
      // And we keep working beside it: a snapshot after the pause succeeds.
      const state = await vscode.commands.executeCommand<{ targets: TargetState[] } | undefined>('leakInspector.takeSnapshot', target!.id);
      assert.ok(state, 'a snapshot after resuming');
      assert.equal(state.targets.find((candidate) => candidate.id === target!.id)?.error, undefined);
    });

    it('detach clears the diagnostics and removes the agent; the debug session goes on', async () => {
      assert.ok(target, 'attached (an earlier test)');
      const session = await debuggeeSession(sessions, await serving());
      assert.equal(evaluated(await evaluate(session, AGENT_TYPE)), 'object', 'the agent is in the debuggee while attached');
      await vscode.commands.executeCommand('leakInspector.detach');
      await eventually('no Leak Inspector diagnostics left', () => (leakDiagnostics(uri).length === 0 ? true : undefined));
      assert.equal(evaluated(await evaluate(session, AGENT_TYPE)), 'undefined', 'the agent is gone');
      assert.ok(sessions.includes(launched!) && vscode.debug.activeDebugSession, 'still debugging');
    });

    it('stopping the debug session ends the server', async () => {
      const terminated = new Promise<void>((resolve) => {
        const listener = vscode.debug.onDidTerminateDebugSession((session) => {
          if (session.id !== launched!.id) return;
          listener.dispose();
          resolve();
        });
      });
      const server = await serving().catch(() => undefined);
      assert.ok(server, 'the server ran');
      await vscode.debug.stopDebugging(launched!);
      await terminated;
      launched = undefined;
      assert.equal(await exits(server, 10_000), true, `pid ${server} exited`);
    });
  });
}

/** The PID of the sample server started with `--port port`, from the process table. */
function debuggeePid(port: number): number | undefined {
  const script = path.join('game-server', 'server.js');
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = argv.indexOf('--port');
    if (at > 0 && argv[at + 1] === String(port) && argv.some((arg) => arg.endsWith(script))) return Number(name);
  }
  return undefined;
}

/** Among the debug sessions, the one whose `process.pid` is `pid` (a launch session's child, usually). */
async function debuggeeSession(sessions: vscode.DebugSession[], pid: number): Promise<vscode.DebugSession> {
  for (const session of sessions) {
    // js-debug's launch session runs no code and never answers `evaluate`: not waited for long.
    const answer = await Promise.race([evaluate(session, 'process.pid').catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000))]);
    if (answer !== undefined && evaluated(answer) === String(pid)) return session;
  }
  throw new Error(`no debug session runs pid ${pid}: ${sessions.map((session) => `${session.name} (${session.type})`).join(', ')}`);
}

function evaluate(session: vscode.DebugSession, expression: string): Promise<{ result?: string }> {
  return Promise.resolve(session.customRequest('evaluate', { expression, context: 'repl' }) as Thenable<{ result?: string }>);
}

/** A DAP evaluate result without the quotes js-debug puts around strings. */
function evaluated(answer: { result?: string }): string {
  return (answer.result ?? '').replace(/^(['"])(.*)\1$/, '$2');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether `pid` is gone within `timeoutMs`. */
async function exits(pid: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
