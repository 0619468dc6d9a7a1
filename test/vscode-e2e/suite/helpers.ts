/** Small helpers for tests in the extension host: they observe VS Code only through its API. */
import * as vscode from 'vscode';
import { EXTENSION_ID } from './environment';

/** Whether the installed extension's manifest contributes `command` (features land one by one). */
export function contributes(command: string): boolean {
  const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes?: { commands?: { command: string }[] } } | undefined;
  return (manifest?.contributes?.commands ?? []).some((entry) => entry.command === command);
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  return folder.uri.fsPath;
}

/** The diagnostics our language server published for `uri`. */
export function leakDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'Leak Inspector');
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
