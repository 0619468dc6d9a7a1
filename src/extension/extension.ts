/**
 * The extension host side: thin glue between VS Code and the Leak Inspector language server
 * (dist/server.js), which owns the sessions, snapshots, analysis and heap work. Here: the
 * sidebar views, commands, gutter annotations and status bar, all drawn from the server's
 * `leakInspector/state`.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { StateNotification } from '../protocol/lsp';
import { AttachCommands } from './attachCommands';
import { DebugSessions } from './debugSessions';
import { registerDeepScanCommand } from './deepScanCommand';
import { LeakDecorations } from './decorations';
import { registerFlameGraphCommand } from './flameGraphCommand';
import { HeapCommands } from './heapCommands';
import { startLanguageClient } from './languageClient';
import { registerSampleServerCommand } from './sampleServerCommand';
import { SnapshotCommands } from './snapshotCommands';
import { registerSourceDocuments } from './sourceDocuments';
import { StateStore } from './stateStore';
import { createStatusBar } from './statusBar';
import { registerViews } from './views/leakViews';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = await startLanguageClient(context);
  const store = new StateStore();
  const debugSessions = new DebugSessions();
  const attach = new AttachCommands(client, debugSessions);
  const heap = new HeapCommands(client, store);
  context.subscriptions.push(
    store,
    debugSessions,
    client.onNotification(StateNotification, (state) => store.update(state)),
    registerSourceDocuments(client),
    attach.register(),
    heap.register(),
    new SnapshotCommands(client, store).register(),
    registerDeepScanCommand(client, store),
    registerFlameGraphCommand(context, client, store),
    registerSampleServerCommand(attach),
    registerViews(store, heap),
    new LeakDecorations(context.extensionUri, store),
    createStatusBar(store),
  );
  void vscode.commands.executeCommand('setContext', 'leakInspector.groupBy', 'site');
}

/** Stopping the client shuts the server down, which detaches every target (the agents are removed). */
export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
