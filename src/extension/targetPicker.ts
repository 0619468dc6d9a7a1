/** Which target a command is about: the one given, the only one, or the user's pick. */
import * as vscode from 'vscode';
import type { TargetState } from '../protocol/lsp';
import type { StateStore } from './stateStore';

/** `liveOnly`: only running processes (not saved reports), for work that needs the process. */
export async function pickTarget(store: StateStore, targetId?: string, liveOnly = false): Promise<TargetState | undefined> {
  const targets = store.state.targets.filter((target) => target.status !== 'disconnected' && (!liveOnly || target.status !== 'report'));
  if (targetId !== undefined) {
    const target = store.target(targetId);
    if (!target) void vscode.window.showErrorMessage(`Leak Inspector: no attached target with id ${targetId}.`);
    return target;
  }
  if (targets.length === 0) {
    void vscode.window.showWarningMessage('Leak Inspector: attach to a Node.js process first.');
    return undefined;
  }
  if (targets.length === 1) return targets[0];
  const choice = await vscode.window.showQuickPick(
    targets.map((target) => ({ label: target.pid ? `pid ${target.pid}` : target.label, description: target.label, target })),
    { placeHolder: 'Which process?' },
  );
  return choice?.target;
}
