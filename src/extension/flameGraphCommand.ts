/**
 * "Open Flame Graph": the flame graph panel (flameGraphPanel.ts) fed by the language server's
 * `leakInspector/flameGraph` (async resources by creation stack, the diff of the last two
 * snapshots, or live allocations of the latest sampling), reloading on every new snapshot.
 */
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { FlameMode } from '../protocol/flameGraph';
import { FlameGraphRequest } from '../protocol/lsp';
import { FlameGraphPanel, type FlameGraphDataSource } from './flameGraphPanel';
import { openSource } from './sourceDocuments';
import type { StateStore } from './stateStore';
import { pickTarget } from './targetPicker';

export function registerFlameGraphCommand(context: vscode.ExtensionContext, client: LanguageClient, store: StateStore): vscode.Disposable {
  return vscode.commands.registerCommand('leakInspector.openFlameGraph', async (mode?: FlameMode) => {
    const target = await pickTarget(store);
    if (!target) return;
    const targetId = target.id;
    const source: FlameGraphDataSource = {
      load: (requested) => client.sendRequest(FlameGraphRequest, { targetId, mode: requested }),
      onDidChange: (listener, thisArg, disposables) => store.onDidChange(() => listener.call(thisArg, undefined), undefined, disposables),
      // The raw profile behind `allocations`: the latest .heapprofile the server saved for this target.
      heapProfile: async () => {
        const file = store.target(targetId)?.heapFiles.filter((heapFile) => heapFile.kind === 'heapprofile').at(-1);
        return file ? (JSON.parse(await fs.readFile(file.file, 'utf8')) as object) : undefined;
      },
      openSource: (path, line, column) => openSource(store, path, line, column),
    };
    FlameGraphPanel.show(context, source, mode);
  });
}
