/**
 * "Start Sample Game Server": the bundled sample with every leak, its inspector on a random
 * loopback port, and bots against it, each in a terminal (the user's `node`, so they see and
 * stop them), then an offer to attach. The terminal runs node itself, so its process id is the
 * server's, and attaching by PID finds the inspector whatever port it took.
 */
import * as net from 'node:net';
import * as vscode from 'vscode';
import { freeLoopbackPort } from '../common/freePort';
import { botArgs, sampleServerArgs } from '../sample/sampleServer';
import type { AttachCommands } from './attachCommands';
import { requireTrust } from './attachCommands';

export interface StartSampleOptions {
  /** true: attach without asking; false: do not attach; undefined: ask. */
  attach?: boolean;
}

export interface StartedSample {
  pid: number;
  port: number;
}

const START_TIMEOUT_MS = 20_000;

export function registerSampleServerCommand(attach: AttachCommands): vscode.Disposable {
  return vscode.commands.registerCommand('leakInspector.startSampleServer', (options?: StartSampleOptions) => startSampleServer(attach, options));
}

async function startSampleServer(attacher: AttachCommands, options: StartSampleOptions = {}): Promise<StartedSample | undefined> {
  if (!requireTrust('start the sample game server')) return undefined;
  const port = await freeLoopbackPort();
  const server = vscode.window.createTerminal({
    name: 'Sample Game Server',
    shellPath: 'node',
    shellArgs: sampleServerArgs({ leaks: 'all', port, nodeArgs: ['--inspect=127.0.0.1:0'] }),
  });
  server.show(true);
  const pid = await server.processId;
  if (pid === undefined || !(await listening(port, START_TIMEOUT_MS))) {
    void vscode.window.showErrorMessage(`Leak Inspector: the sample game server did not start listening on 127.0.0.1:${port}: see its terminal.`);
    return undefined;
  }
  const bots = vscode.window.createTerminal({
    name: 'Sample Game Bots',
    shellPath: 'node',
    shellArgs: botArgs({ url: `ws://127.0.0.1:${port}`, players: 20, durationS: 600, waitS: 30 }),
  });
  bots.show(true);
  if (options.attach === true) await attacher.attach(`pid:${pid}`);
  if (options.attach === undefined) {
    // Not awaited: the command returns while the offer waits for the user.
    void vscode.window
      .showInformationMessage(`Leak Inspector: the sample game server runs on 127.0.0.1:${port} (pid ${pid}) with all nine leaks, 20 bots playing.`, 'Attach')
      .then((choice) => (choice === 'Attach' ? attacher.attach(`pid:${pid}`) : undefined));
  }
  return { pid, port };
}

/** Polls until something accepts connections on the port (the server is up), or the time is over. */
async function listening(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
