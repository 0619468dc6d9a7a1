/**
 * The extension host side: thin glue between VS Code and the engine. For now it offers the
 * bundled sample game server, so a user can see a leaking server in a minute.
 */
import * as net from 'node:net';
import * as vscode from 'vscode';
import { botArgs, sampleServerArgs } from '../sample/sampleServer';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('leakInspector.startSampleServer', startSampleServer));
}

export function deactivate(): void {}

/** Runs the sample server (all leaks, inspector on loopback) and bots in two terminals. */
async function startSampleServer(): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Leak Inspector: trust this workspace to start the sample game server.');
    return;
  }
  const port = await freeLoopbackPort();
  // The user's `node` runs the sample, not the editor's own runtime.
  const server = vscode.window.createTerminal({
    name: 'Sample Game Server',
    shellPath: 'node',
    shellArgs: sampleServerArgs({ leaks: 'all', port, nodeArgs: ['--inspect=127.0.0.1:0'] }),
  });
  server.show(true);
  const bots = vscode.window.createTerminal({
    name: 'Sample Game Bots',
    shellPath: 'node',
    shellArgs: botArgs({ url: `ws://127.0.0.1:${port}`, players: 20, durationS: 600, waitS: 30 }),
  });
  bots.show(true);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
