/**
 * "Find Promises That Can Never Settle": the deep scan (the exact census of pending promises and
 * the ones no live code can settle, from one heap snapshot). It pauses the target, so the
 * estimated pause is shown first and the user confirms; then progress with cancel. The stuck
 * promises it finds join the Leak Suspects view, the gutter and Problems through the state.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { DeepScanEstimateRequest, DeepScanRequest, type DeepScanResult } from '../protocol/lsp';
import { formatBytes, formatDuration, plural } from '../presentation';
import { withServerProgress } from './serverProgress';
import type { StateStore } from './stateStore';
import { pickTarget } from './targetPicker';

export const FIND_STUCK_PROMISES_COMMAND = 'leakInspector.findStuckPromises';

export interface DeepScanOptions {
  targetId?: string;
  /** True: skip the pause warning (tests, scripts). */
  confirmed?: boolean;
}

export function registerDeepScanCommand(client: LanguageClient, store: StateStore): vscode.Disposable {
  return vscode.commands.registerCommand(FIND_STUCK_PROMISES_COMMAND, (options?: DeepScanOptions) => findStuckPromises(client, store, options));
}

async function findStuckPromises(client: LanguageClient, store: StateStore, options: DeepScanOptions = {}): Promise<DeepScanResult | undefined> {
  const target = await pickTarget(store, options.targetId, true);
  if (!target) return undefined;
  const name = target.pid ? `pid ${target.pid}` : target.label;
  try {
    if (!options.confirmed) {
      const estimate = await client.sendRequest(DeepScanEstimateRequest, { targetId: target.id });
      const answer = await vscode.window.showWarningMessage(
        `Find promises that can never settle in ${name}?`,
        {
          modal: true,
          detail:
            `Leak Inspector names every pending promise (V8 collects garbage for it) and takes a heap snapshot: the process stops ` +
            `about ${(estimate.estimatedPauseMs / 1000).toFixed(1)} s (${formatBytes(estimate.usedSize)} in use) with no requests served. Avoid it on a busy production server.`,
        },
        'Scan',
      );
      if (answer !== 'Scan') return undefined;
    }
    const result = await withServerProgress(client, `finding promises that can never settle in ${name}`, (workDoneToken, token) =>
      client.sendRequest(DeepScanRequest, { targetId: target.id, workDoneToken }, token),
    );
    if (!result) return undefined;
    const sites = result.suspects.length > 0 ? ` at ${plural(result.suspects.length, 'site')}` : '';
    void vscode.window.showInformationMessage(
      `Leak Inspector: ${plural(result.pendingPromises, 'pending promise')} in ${name}, ${result.stuckPromises} can never settle${sites} (the heap snapshot took ${formatDuration(result.snapshotMs)}).`,
    );
    if (result.suspects.length > 0) void vscode.commands.executeCommand('leakInspector.suspects.focus');
    return result;
  } catch (error) {
    void vscode.window.showErrorMessage(`Leak Inspector: ${(error as Error).message}`);
    return undefined;
  }
}
