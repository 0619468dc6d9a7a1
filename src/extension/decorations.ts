/**
 * Gutter leak annotations on the lines of suspects of every kind (creation, registration or
 * declaration lines): an icon by severity, an overview-ruler mark and an end-of-line hint
 * (`15 live intervals · oldest 4m12s · score 92`, `+240 'broadcast' listeners on presence ·
 * score 92`). Redrawn on every state change (each snapshot, deep scan or opened report) and for
 * each editor that becomes visible; detaching clears them.
 */
import * as vscode from 'vscode';
import type { Severity } from '../protocol/asyncSnapshot';
import type { Suspect } from '../protocol/lsp';
import { suspectHint } from '../presentation';
import { annotationMinScore } from './settings';
import type { StateStore } from './stateStore';

const COLORS: Record<Severity, string> = { high: 'editorWarning.foreground', medium: 'editorInfo.foreground', low: 'editorHint.foreground' };
const SEVERITIES: Severity[] = ['high', 'medium', 'low'];

export class LeakDecorations implements vscode.Disposable {
  private readonly types: Record<Severity, vscode.TextEditorDecorationType>;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    extensionUri: vscode.Uri,
    private readonly store: StateStore,
  ) {
    const type = (severity: Severity) =>
      vscode.window.createTextEditorDecorationType({
        gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', `leak-${severity}.svg`),
        gutterIconSize: 'contain',
        overviewRulerColor: new vscode.ThemeColor(COLORS[severity]),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        isWholeLine: true,
        after: { color: new vscode.ThemeColor(COLORS[severity]), margin: '0 0 0 2em', fontStyle: 'italic' },
      });
    this.types = { high: type('high'), medium: type('medium'), low: type('low') };
    this.subscriptions = [
      store.onDidChange(() => this.redraw()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redraw()),
      vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('leakInspector.thresholds') && this.redraw()),
    ];
    this.redraw();
  }

  redraw(): void {
    const minScore = annotationMinScore();
    for (const editor of vscode.window.visibleTextEditors) {
      const lines = byLine(this.store.suspectsIn(editor.document.uri).filter(({ suspect }) => suspect.score >= minScore));
      for (const severity of SEVERITIES) {
        // One icon per line, in the colour of its worst suspect; the hint names every suspect of the line.
        const options = [...lines.values()].filter((entries) => entries[0].suspect.severity === severity).map((entries) => decoration(editor.document, entries));
        editor.setDecorations(this.types[severity], options);
      }
    }
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    for (const severity of SEVERITIES) this.types[severity].dispose();
  }
}

/** Suspects by 1-based line, each line's highest score first (the state is ranked already). */
function byLine(entries: readonly Suspect[]): Map<number, Suspect[]> {
  const lines = new Map<number, Suspect[]>();
  for (const entry of entries) {
    const line = entry.suspect.location?.line ?? 1;
    lines.set(line, [...(lines.get(line) ?? []), entry]);
  }
  return lines;
}

/** The language server's hover already explains the line, so the decoration carries no hover of its own. */
function decoration(document: vscode.TextDocument, entries: readonly Suspect[]): vscode.DecorationOptions {
  const line = Math.min(document.lineCount - 1, Math.max(0, (entries[0].suspect.location?.line ?? 1) - 1));
  const text = entries.map(({ suspect }) => suspectHint(suspect)).join('  |  ');
  return {
    range: document.lineAt(line).range,
    renderOptions: { after: { contentText: `  ⟵ ${text}` } },
  };
}
