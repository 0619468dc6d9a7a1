/** Async snapshots: take one now, auto-refresh on/off, export the report, open a saved one. */
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { AutoRefreshRequest, ExportSnapshotRequest, OpenReportRequest, SnapshotRequest, type LeakInspectorState, type TargetState } from '../protocol/lsp';
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
      vscode.commands.registerCommand('leakInspector.openReport', (file?: string | vscode.Uri) => this.openReport(file)),
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

  /**
   * Writes the report of every attached target (the document `snapshot --json` prints) to
   * `file`, or where the user says; a second target's goes next to it as `NAME-2.json`, and so on.
   */
  async exportSnapshot(file?: string | vscode.Uri): Promise<string | undefined> {
    try {
      const reports = await this.client.sendRequest(ExportSnapshotRequest, {});
      if (reports.length === 0) throw new Error('no snapshot to export yet');
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
      await Promise.all(reports.map((report, i) => fs.writeFile(i === 0 ? destination : destination.replace(/(\.json)?$/i, `-${i + 1}.json`), JSON.stringify(report, null, 2))));
      void vscode.window.showInformationMessage(`Leak Inspector: snapshot exported to ${destination}`);
      return destination;
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: export failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Opens a saved report (from the CLI, `watch` or an export) in the views, gutter and Problems; no process needed. */
  async openReport(file?: string | vscode.Uri): Promise<TargetState | undefined> {
    const chosen =
      typeof file === 'string'
        ? file
        : (file ??
            (
              await vscode.window.showOpenDialog({
                canSelectMany: false,
                openLabel: 'Open Report',
                filters: { 'Leak Inspector report': ['json'] },
                defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
              })
            )?.[0])?.fsPath;
    if (!chosen) return undefined;
    try {
      return await this.client.sendRequest(OpenReportRequest, { file: chosen });
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: cannot open ${chosen}: ${(error as Error).message}`);
      return undefined;
    }
  }
}
