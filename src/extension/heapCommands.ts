/**
 * Heap snapshot (warns with the pause estimate first; progress with cancellation), allocation
 * sampling, and exporting the heap files. The work runs in the language server; progress
 * arrives as LSP work-done progress and is shown as a notification.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { HeapDiff, HeapRetainers, HeapSummary } from '../protocol/heap';
import {
  HeapDiffRequest,
  HeapRetainersRequest,
  HeapSnapshotEstimateRequest,
  HeapSnapshotRequest,
  HeapSummaryRequest,
  SampleAllocationsRequest,
  type HeapFile,
  type SampleAllocationsResult,
} from '../protocol/lsp';
import type { StateStore } from './stateStore';
import { withServerProgress } from './serverProgress';
import { pickTarget } from './targetPicker';
import { formatBytes } from '../presentation';

export interface HeapSnapshotOptions {
  targetId?: string;
  /** True: skip the pause warning (tests, scripts). */
  confirmed?: boolean;
}

export interface SampleAllocationsOptions {
  targetId?: string;
  durationMs?: number;
}

/** The analysis of a target's latest heap snapshot, for the Heap view. */
export interface HeapAnalysis {
  file: string;
  summary: HeapSummary;
  /** Against the target's previous heap snapshot, when there is one. */
  diff?: HeapDiff;
  /** Retainer paths asked for, by class name. */
  retainers: Map<string, HeapRetainers>;
}

export const SHOW_RETAINERS_COMMAND = 'leakInspector.showRetainers';

export class HeapCommands {
  /** Latest allocation sampling per target, for the Heap view. */
  readonly samplings = new Map<string, SampleAllocationsResult>();
  /** Latest heap snapshot analysis per target. */
  readonly analyses = new Map<string, HeapAnalysis>();
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly client: LanguageClient,
    private readonly store: StateStore,
  ) {}

  register(): vscode.Disposable {
    return vscode.Disposable.from(
      this.emitter,
      vscode.commands.registerCommand('leakInspector.takeHeapSnapshot', (options?: HeapSnapshotOptions) => this.takeHeapSnapshot(options)),
      vscode.commands.registerCommand('leakInspector.sampleAllocations', (options?: SampleAllocationsOptions) => this.sampleAllocations(options)),
      vscode.commands.registerCommand('leakInspector.exportHeapFiles', (folder?: string | vscode.Uri) => this.exportHeapFiles(folder)),
      vscode.commands.registerCommand(SHOW_RETAINERS_COMMAND, (targetId: string, className: string) => this.showRetainers(targetId, className)),
    );
  }

  async takeHeapSnapshot(options: HeapSnapshotOptions = {}): Promise<HeapFile | undefined> {
    const target = await pickTarget(this.store, options.targetId);
    if (!target) return undefined;
    try {
      if (!options.confirmed) {
        const estimate = await this.client.sendRequest(HeapSnapshotEstimateRequest, { targetId: target.id });
        const answer = await vscode.window.showWarningMessage(
          `Take a heap snapshot of ${target.pid ? `pid ${target.pid}` : target.label}?`,
          {
            modal: true,
            detail: `The process stops while V8 walks its heap (${formatBytes(estimate.usedSize)} in use): about ${(estimate.estimatedPauseMs / 1000).toFixed(1)} s with no requests served. Avoid it on a busy production server.`,
          },
          'Take Snapshot',
        );
        if (answer !== 'Take Snapshot') return undefined;
      }
      const file = await withServerProgress(this.client, `Heap snapshot of ${target.label}`, (workDoneToken, token) =>
        this.client.sendRequest(HeapSnapshotRequest, { targetId: target.id, workDoneToken }, token),
      );
      if (!file) return undefined;
      const previous = target.heapFiles.filter((earlier) => earlier.kind === 'heapsnapshot').at(-1);
      await this.analyse(target.id, file.file, previous?.file);
      void vscode.window.showInformationMessage(`Leak Inspector: heap snapshot saved (${formatBytes(file.bytes)}): ${file.file}`, 'Reveal').then((choice) => {
        if (choice === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file.file));
      });
      return file;
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: ${(error as Error).message}`);
      return undefined;
    }
  }

  async sampleAllocations(options: SampleAllocationsOptions = {}): Promise<SampleAllocationsResult | undefined> {
    const target = await pickTarget(this.store, options.targetId);
    if (!target) return undefined;
    const durationMs = options.durationMs ?? (await pickDuration());
    if (durationMs === undefined) return undefined;
    try {
      const result = await withServerProgress(this.client, `Sampling allocations of ${target.label} for ${durationMs / 1000} s (cancel to stop early)`, (workDoneToken, token) =>
        this.client.sendRequest(SampleAllocationsRequest, { targetId: target.id, durationMs, workDoneToken }, token),
      );
      if (!result) return undefined;
      this.samplings.set(target.id, result);
      this.emitter.fire();
      void vscode.commands.executeCommand('leakInspector.heap.focus');
      return result;
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Copies every heap snapshot and allocation profile taken into a folder. */
  async exportHeapFiles(folder?: string | vscode.Uri): Promise<string[]> {
    const files = this.store.state.targets.flatMap((target) => target.heapFiles);
    if (files.length === 0) {
      void vscode.window.showInformationMessage('Leak Inspector: no heap snapshot or allocation profile taken yet.');
      return [];
    }
    const destination =
      typeof folder === 'string'
        ? folder
        : (folder ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export Here' }))?.[0])?.fsPath;
    if (!destination) return [];
    try {
      const written: string[] = [];
      for (const file of files) {
        const copy = path.join(destination, path.basename(file.file));
        await fs.copyFile(file.file, copy);
        written.push(copy);
      }
      void vscode.window.showInformationMessage(`Leak Inspector: exported ${written.length} heap files to ${destination}. Load them in Chrome DevTools (Memory tab).`);
      return written;
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: export failed: ${(error as Error).message}`);
      return [];
    }
  }

  /** Summary of the new snapshot, and the diff against the previous one, for the Heap view. */
  private async analyse(targetId: string, file: string, previous: string | undefined): Promise<void> {
    const analysis = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Leak Inspector: analysing the heap snapshot…', cancellable: true },
      async (_progress, token): Promise<HeapAnalysis | undefined> => {
        try {
          const summary = await this.client.sendRequest(HeapSummaryRequest, { file }, token);
          const diff = previous ? await this.client.sendRequest(HeapDiffRequest, { before: previous, after: file }, token) : undefined;
          return { file, summary, diff, retainers: new Map() };
        } catch (error) {
          if (token.isCancellationRequested) return undefined;
          throw error;
        }
      },
    );
    if (!analysis) return;
    this.analyses.set(targetId, analysis);
    this.emitter.fire();
    void vscode.commands.executeCommand('leakInspector.heap.focus');
  }

  /** Retainer paths of a class in the target's latest analysed snapshot (shown under the class). */
  async showRetainers(targetId: string, className: string): Promise<HeapRetainers | undefined> {
    const analysis = this.analyses.get(targetId);
    if (!analysis) return undefined;
    try {
      const retainers = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Leak Inspector: retainers of ${className}` }, () =>
        this.client.sendRequest(HeapRetainersRequest, { file: analysis.file, className }),
      );
      analysis.retainers.set(className, retainers);
      this.emitter.fire();
      return retainers;
    } catch (error) {
      void vscode.window.showErrorMessage(`Leak Inspector: ${(error as Error).message}`);
      return undefined;
    }
  }
}

async function pickDuration(): Promise<number | undefined> {
  const choices = [5, 10, 30, 60].map((seconds) => ({ label: `${seconds} seconds`, ms: seconds * 1000 }));
  const choice = await vscode.window.showQuickPick(choices, { title: 'Sample allocations for', placeHolder: 'Sampling costs little: V8 records about one allocation per 32 KiB' });
  return choice?.ms;
}
