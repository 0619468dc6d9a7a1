/** Long server requests (heap snapshots, sampling, deep scans) shown as a cancellable notification fed by LSP work-done progress. */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';

/** Runs a request that reports work-done progress; undefined when the user cancelled it. */
export async function withServerProgress<T>(
  client: LanguageClient,
  title: string,
  request: (workDoneToken: string, token: vscode.CancellationToken) => Promise<T>,
): Promise<T | undefined> {
  return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Leak Inspector: ${title}`, cancellable: true }, async (progress, token) => {
    const workDoneToken = randomUUID();
    let reported = 0;
    const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind === 'end') return;
      const percentage = value.percentage ?? reported;
      progress.report({ increment: Math.max(0, percentage - reported), message: value.message });
      reported = Math.max(reported, percentage);
    });
    try {
      return await request(workDoneToken, token);
    } catch (error) {
      if (token.isCancellationRequested) return undefined;
      throw error;
    } finally {
      listener.dispose();
    }
  });
}
