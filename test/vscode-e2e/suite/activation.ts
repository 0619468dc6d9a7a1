/** The packaged extension in a real extension host: it activates and registers its commands. */
import * as assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './environment';

export function defineActivationTests(): void {
  describe('activation', () => {
    it('runs in a real VS Code extension host with the repository open and trusted', () => {
      assert.match(vscode.version, /^1\.\d+\.\d+/);
      assert.ok(vscode.workspace.workspaceFolders?.length, 'a workspace folder is open');
      assert.equal(vscode.workspace.isTrusted, true);
    });

    it('the extension activates', async () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is installed`);
      await extension.activate();
      assert.equal(extension.isActive, true);
    });

    it('every command the manifest contributes is registered', async () => {
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes?: { commands?: { command: string }[] } };
      const contributed = (manifest.contributes?.commands ?? []).map(({ command }) => command);
      assert.ok(contributed.includes('leakInspector.startSampleServer'), contributed.join(', '));
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(contributed.filter((command) => !registered.has(command)), [], 'contributed but not registered');
    });
  });
}
