/**
 * Attach by PID to a sample server started without `--inspect` (the extension switches the
 * inspector on with SIGUSR1), see the leak where editors show it (diagnostics, hover, code lens
 * at the heartbeat line), then detach: everything is cleared and the target is as it was.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { AGENT_PRESENT, evaluateInTarget, HEARTBEAT_LEAK, lineOf, startBots, startSample, type SampleTarget } from '../sampleTarget';
import { contributes, eventually, leakDiagnostics, workspaceRoot } from './helpers';
import { nodeBinary } from './environment';

export function defineAttachByPidTests(): void {
  describe('attach by PID to a server started without --inspect', function () {
    let target: SampleTarget | undefined;
    let bots: { stop(): Promise<void> } | undefined;
    let uri: vscode.Uri;
    /** 0-based, as the API counts, and its text. */
    let line: number;
    let source: string;

    before(async function () {
      if (!contributes('leakInspector.attachToProcess') || !contributes('leakInspector.detach')) return this.skip();
      const root = workspaceRoot();
      uri = vscode.Uri.file(path.join(root, HEARTBEAT_LEAK.file));
      line = lineOf(root, HEARTBEAT_LEAK.file, HEARTBEAT_LEAK.text) - 1;
      source = fs.readFileSync(uri.fsPath, 'utf8').split('\n')[line]!;
      target = await startSample({ root, node: nodeBinary(), inspector: 'off' });
      bots = startBots({ root, node: nodeBinary(), port: target.port, players: 20, durationS: 120 });
    });

    after(async () => {
      await vscode.commands.executeCommand('leakInspector.detach').then(undefined, () => undefined);
      await bots?.stop();
      await target?.stop();
    });

    it('attaches: the inspector is switched on and a leak diagnostic appears on the heartbeat line', async () => {
      assert.equal(target!.inspectorUrl(), undefined, 'the inspector is off before the attach');
      await vscode.commands.executeCommand('leakInspector.attachToProcess', target!.pid);
      assert.ok(target!.inspectorUrl(), `the target opened its inspector:\n${target!.output()}`);
      const diagnostic = await eventually('a Leak Inspector diagnostic on the heartbeat line', () =>
        leakDiagnostics(uri).find((candidate) => candidate.range.start.line === line),
      );
      assert.match(diagnostic.message, /\d+ live intervals? created here/);
      assert.ok(
        diagnostic.severity === vscode.DiagnosticSeverity.Warning || diagnostic.severity === vscode.DiagnosticSeverity.Information,
        `severity ${diagnostic.severity}`,
      );
      assert.ok(diagnostic.relatedInformation?.some((info) => info.location.uri.fsPath === uri.fsPath), 'the creation stack is related information');
    });

    it('the hover on the heartbeat line shows the grouped creation stack', async () => {
      const position = new vscode.Position(line, source.indexOf('setInterval'));
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
      const text = hovers.flatMap((hover) => hover.contents.map((content) => (typeof content === 'string' ? content : content.value))).join('\n');
      assert.match(text, /interval/i);
      assert.match(text, /player-session\.ts:\d+/);
    });

    it('a code lens above the heartbeat line counts the live intervals', async () => {
      await vscode.workspace.openTextDocument(uri); // code lenses are computed for open documents
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      const here = lenses.filter((lens) => lens.range.start.line === line).map((lens) => lens.command?.title ?? '');
      assert.ok(here.some((title) => /\d+ live intervals? created here/.test(title)), JSON.stringify(here));
    });

    it('detach clears the diagnostics and removes the agent from the target, which keeps serving', async () => {
      await vscode.commands.executeCommand('leakInspector.detach');
      await eventually('no Leak Inspector diagnostics left', () => (leakDiagnostics(uri).length === 0 ? true : undefined));
      assert.equal(await evaluateInTarget(target!.inspectorUrl()!, AGENT_PRESENT), 'undefined', 'the agent is gone');
      const stats = await getJson(`http://127.0.0.1:${target!.port}/debug/stats`);
      assert.equal(typeof stats, 'object');
    });
  });
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${url}: ${response.statusCode}`))));
      })
      .on('error', reject);
  });
}
