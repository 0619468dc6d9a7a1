/** The latest `leakInspector/state` from the server, for every view, the status bar and the gutter. */
import * as vscode from 'vscode';
import type { LeakInspectorState, Suspect, TargetState } from '../protocol/lsp';

export const EMPTY_STATE: LeakInspectorState = { targets: [], suspects: [], autoRefresh: { enabled: false, intervalSeconds: 0 }, sourceUris: {} };

export class StateStore implements vscode.Disposable {
  private current: LeakInspectorState = EMPTY_STATE;
  /** Targets whose capability warnings were already shown (once per target, not per snapshot). */
  private readonly warned = new Set<string>();
  private readonly emitter = new vscode.EventEmitter<LeakInspectorState>();
  readonly onDidChange = this.emitter.event;

  get state(): LeakInspectorState {
    return this.current;
  }

  update(state: LeakInspectorState): void {
    this.current = state;
    void vscode.commands.executeCommand('setContext', 'leakInspector.attached', state.targets.length > 0);
    // A running process (not only saved reports): what work that pauses the target needs.
    void vscode.commands.executeCommand('setContext', 'leakInspector.live', state.targets.some((target) => target.status === 'attached' || target.status === 'snapshotting'));
    void vscode.commands.executeCommand('setContext', 'leakInspector.autoRefresh', state.autoRefresh.enabled);
    this.emitter.fire(state);
    for (const target of state.targets) {
      if (!target.warnings?.length || this.warned.has(target.id)) continue;
      this.warned.add(target.id);
      void vscode.window.showWarningMessage(`Leak Inspector: ${target.label}: ${target.warnings.map((warning) => warning.message).join(' ')}`);
    }
  }

  target(targetId: string): TargetState | undefined {
    return this.current.targets.find((target) => target.id === targetId);
  }

  /** The URI a source path is shown under (the server decides: a file, or a read-only source-map document). */
  uriOf(sourcePath: string): vscode.Uri {
    const uri = this.current.sourceUris[sourcePath];
    return uri ? vscode.Uri.parse(uri) : vscode.Uri.file(sourcePath);
  }

  /** Suspects (every kind) whose line (creation, registration, declaration) is in `uri`. */
  suspectsIn(uri: vscode.Uri): Suspect[] {
    const key = uri.toString();
    return this.current.suspects.filter(({ suspect }) => suspect.location && this.uriOf(suspect.location.path).toString() === key);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
