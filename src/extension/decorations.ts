/**
 * Gutter leak annotations on the creation lines of suspect sites: an icon by severity, an
 * overview-ruler mark and an end-of-line hint with count and age. Redrawn on every state
 * change (each snapshot) and for each editor that becomes visible; detaching clears them.
 */
import * as vscode from 'vscode';
import type { Severity } from '../protocol/asyncSnapshot';
import type { Suspect } from '../protocol/lsp';
import { siteHint } from '../presentation';
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
      const suspects = this.store.suspectsIn(editor.document.uri).filter((suspect) => suspect.site.score >= minScore);
      for (const severity of SEVERITIES) {
        const options = suspects.filter((suspect) => suspect.site.severity === severity).map((suspect) => decoration(editor.document, suspect));
        editor.setDecorations(this.types[severity], options);
      }
    }
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    for (const severity of SEVERITIES) this.types[severity].dispose();
  }
}

/** The language server's hover already explains the line, so the decoration carries no hover of its own. */
function decoration(document: vscode.TextDocument, { site }: Suspect): vscode.DecorationOptions {
  const line = Math.min(document.lineCount - 1, Math.max(0, (site.location?.line ?? 1) - 1));
  const text = siteHint(site);
  return {
    range: document.lineAt(line).range,
    renderOptions: { after: { contentText: `  ⟵ ${text}` } },
  };
}
