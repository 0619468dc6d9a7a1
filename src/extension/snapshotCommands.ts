/** Async snapshots: take one now, auto-refresh on/off, export as JSON. */
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { AutoRefreshRequest, ExportSnapshotRequest, SnapshotRequest, type LeakInspectorState, type SnapshotExport } from '../protocol/lsp';
import type { StateStore } from './stateStore';

export class SnapshotCommands {
  constructor(
    private readonly client: LanguageClient,
    private readonly store: StateStore,
  ) {}

  register(): vscode.Disposable {
    return vscode.Disposable.from(
      vscode.commands.registerCommand('leakInspector.takeSnapshot', (target?: string | { item?: { id?: string } }) => this.takeSnapshot(target)),
      vscode.commands.registerCommand('leakInspector.toggleAutoRefresh', (enabled?: boolean) => this.toggleAutoRefresh(enabled)),
      vscode.commands.registerCommand('leakInspector.exportSnapshot', (file?: string | vscode.Uri) => this.exportSnapshot(file)),
    );
  }

  /** A target id or Targets view item: that target; nothing: every target. */
  async takeSnapshot(target?: string | { item?: { id?: string } }): Promise<LeakInspectorState | undefined> {
    const targetId = typeof target === 'string' ? target : /^target\/([^/]+)$/.exec(target?.item?.id ?? '')?.[1];
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Leak Inspector: snapshot' }, () =>
        this.client.sendRequest(SnapshotRequest, targetId === undefined ? {} : { targetId }),
      );
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** `enabled`: set instead of toggling. */
  async toggleAutoRefresh(enabled?: boolean): Promise<boolean> {
    const next = enabled ?? !this.store.state.autoRefresh.enabled;
    const result = await this.client.sendRequest(AutoRefreshRequest, { enabled: next });
    vscode.window.setStatusBarMessage(`Leak Inspector: auto-refresh ${result.enabled ? `on (every ${result.intervalSeconds} s)` : 'off'}`, 3000);
    return result.enabled;
  }

  /** Writes the latest snapshot of every attached target (one JSON document) to `file`, or where the user says. */
  async exportSnapshot(file?: string | vscode.Uri): Promise<string | undefined> {
    try {
      const exports: SnapshotExport[] = await this.client.sendRequest(ExportSnapshotRequest, {});
      const first = this.store.state.targets[0];
      const name = `leak-inspector-${first?.pid ?? 'snapshot'}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
      const destination =
        typeof file === 'string'
          ? file
          : (file ??
              (await vscode.window.showSaveDialog({
                defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd()), name),
                filters: { JSON: ['json'] },
              })))?.fsPath;
      if (!destination) return undefined;
      await fs.writeFile(destination, JSON.stringify(exports.length === 1 ? exports[0] : exports, null, 2));
      void vscode.window.showInformationMessage(`Leak Inspector: snapshot exported to ${destination}`);
      return destination;
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: export failed: ${(error as Error).message}`);
      return undefined;
    }
  }
}
