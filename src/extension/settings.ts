/**
 * `leakInspector.*` settings → the language server's `ServerSettings`. In an untrusted
 * workspace VS Code leaves workspace values of the restricted settings out of
 * `getConfiguration` (package.json `restrictedConfigurations`), so they never reach the server.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ServerSettings } from '../protocol/lsp';

export const SECTION = 'leakInspector';

export function serverSettings(heapDirectory: string): ServerSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const mapping = config.get<Record<string, string>>('sourcePathMapping', {});
  return {
    refreshIntervalSeconds: config.get('refreshInterval', 5),
    autoRefresh: config.get('autoRefresh', true),
    stackBudgetPerSecond: config.get('sampling.stackBudget', 50),
    promiseTracking: config.get('sampling.promiseTracking', 'sampled'),
    diagnosticMinScore: config.get('thresholds.diagnosticMinScore', 50),
    allowedRemoteHosts: config.get<string[]>('allowedRemoteHosts', []),
    sourcePathMapping: Object.fromEntries(Object.entries(mapping).map(([from, to]) => [from, expandFolder(to, folder)])),
    contextKeys: config.get<string[]>('contextKeys', ['playerId', 'roomId', 'protocol']),
    ownerKeys: config.get<string[]>('ownerKeys', ['playerId', 'roomId']),
    heapDirectory,
  };
}

export function annotationMinScore(): number {
  return vscode.workspace.getConfiguration(SECTION).get('thresholds.annotationMinScore', 50);
}

/** `${workspaceFolder}` in a mapping target, as launch configurations write it. */
function expandFolder(value: string, folder: string | undefined): string {
  if (!folder) return value;
  return path.normalize(value.replace(/\$\{workspaceFolder\}/g, folder));
}
