/**
 * The flame graph panel: a webview (webview/src, bundled to dist/webview/) showing async
 * resources by creation stack, live allocations, or the diff of two snapshots.
 *
 * API, for the command that opens it:
 *
 *   FlameGraphPanel.show(context, source, mode?)  // one panel; showing again reveals it with the new source
 *
 *   interface FlameGraphDataSource {
 *     load(mode, reason): Promise<FlameGraphData>   // build with src/flame; a rejection's message is shown in the panel
 *     onDidChange?: vscode.Event<void>             // new data (auto-refresh): the visible panel reloads in place
 *     heapProfile?(): Promise<object | undefined>   // the raw profile behind `allocations`, for "Save .heapprofile"
 *     openSource?(path, line, column): Promise<void> // e.g. sources known only from source maps; default: the file on disk
 *   }
 *
 * The tree goes to the webview packed into typed arrays (VS Code transfers those as buffers).
 *
 * Security: a strict CSP with a fresh nonce (src/flame/webviewHtml.ts), resources only from
 * dist/webview through `asWebviewUri`, every message checked by `parseWebviewMessage`, and only
 * paths present in the data the panel sent can be opened.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { errorMessage } from '../common/errors';
import { packFlameGraph } from '../flame/pack';
import { flameGraphHtml } from '../flame/webviewHtml';
import {
  parseWebviewMessage,
  type ExportFormat,
  type ExtensionMessage,
  type FlameGraphData,
  type FlameMode,
  type FlameNode,
  type WebviewMessage,
} from '../protocol/flameGraph';

/** Why the panel asks for data: first show (or the page reloaded), the Refresh button, or `onDidChange`. */
export type LoadReason = 'open' | 'refresh' | 'change';

export interface FlameGraphDataSource {
  load(mode: FlameMode, reason: LoadReason): Promise<FlameGraphData>;
  readonly onDidChange?: vscode.Event<void>;
  heapProfile?(): Promise<object | undefined>;
  openSource?(path: string, line: number, column: number): Promise<void>;
}

const VIEW_TYPE = 'leakInspector.flameGraph';
const EXPORT_FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  svg: { 'SVG image': ['svg'] },
  png: { 'PNG image': ['png'] },
  heapprofile: { 'Heap profile (Chrome DevTools)': ['heapprofile'] },
};

export class FlameGraphPanel {
  private static current: FlameGraphPanel | undefined;

  private mode: FlameMode;
  private data: FlameGraphData | undefined;
  /** Paths in the data shown: the only ones the webview may ask to open. */
  private paths = new Set<string>();
  /** Drops answers that arrive after a newer request. */
  private generation = 0;
  private sourceSubscription: vscode.Disposable | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  /** Shows the panel (creating it once) with `source`; `mode` picks the view, else the current one stays. */
  static show(context: vscode.ExtensionContext, source: FlameGraphDataSource, mode?: FlameMode): FlameGraphPanel {
    const existing = FlameGraphPanel.current;
    if (existing) {
      existing.panel.reveal();
      existing.setSource(source, mode);
      return existing;
    }
    const root = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Leak Inspector: Flame Graph', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [root],
      // The page is rebuilt when shown again; it keeps zoom and search through vscode.setState.
      retainContextWhenHidden: false,
    });
    FlameGraphPanel.current = new FlameGraphPanel(panel, root, source, mode ?? 'async');
    return FlameGraphPanel.current;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    root: vscode.Uri,
    private source: FlameGraphDataSource,
    mode: FlameMode,
  ) {
    this.mode = mode;
    const webview = panel.webview;
    webview.html = flameGraphHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'flameGraph.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'flameGraph.css')).toString(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
    );
    this.subscribe();
  }

  private setSource(source: FlameGraphDataSource, mode: FlameMode | undefined): void {
    this.source = source;
    if (mode) this.mode = mode;
    this.subscribe();
    void this.load('open');
  }

  private subscribe(): void {
    this.sourceSubscription?.dispose();
    // A hidden panel has no page to update; it loads afresh when shown (the page says `ready`).
    this.sourceSubscription = this.source.onDidChange?.(() => {
      if (this.panel.visible) void this.load('change');
    });
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      console.warn('Leak Inspector: ignored a malformed message from the flame graph webview');
      return;
    }
    void this.handle(message).catch((error: unknown) =>
      vscode.window.showErrorMessage(`Leak Inspector: ${errorMessage(error)}`),
    );
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        if (message.mode) this.mode = message.mode;
        return this.load('open');
      case 'selectMode':
        this.mode = message.mode;
        return this.load('open');
      case 'refresh':
        return this.load('refresh');
      case 'openSource':
        if (!this.paths.has(message.path)) return;
        return this.source.openSource
          ? this.source.openSource(message.path, message.line, message.column)
          : openFile(message.path, message.line, message.column);
      case 'export':
        if (message.format === 'svg') return this.save('svg', new TextEncoder().encode(message.svg));
        if (message.format === 'png') return this.save('png', Buffer.from(message.dataUrl.slice(message.dataUrl.indexOf(',') + 1), 'base64'));
        return this.saveHeapProfile();
    }
  }

  private async load(reason: LoadReason): Promise<void> {
    const generation = ++this.generation;
    const mode = this.mode;
    this.post({ type: 'loading', mode });
    try {
      const data = await this.source.load(mode, reason);
      if (generation !== this.generation) return;
      this.data = data;
      this.paths = collectPaths(data.root);
      this.post({ type: 'setData', data: packFlameGraph(data) });
    } catch (error) {
      if (generation !== this.generation) return;
      this.post({ type: 'error', mode, message: errorMessage(error) });
    }
  }

  private async saveHeapProfile(): Promise<void> {
    const profile = this.data?.mode === 'allocations' ? await this.source.heapProfile?.() : undefined;
    if (!profile) {
      void vscode.window.showWarningMessage('Leak Inspector: there is no allocation profile to save; sample allocations first.');
      return;
    }
    await this.save('heapprofile', new TextEncoder().encode(JSON.stringify(profile)));
  }

  private async save(format: ExportFormat, content: Uint8Array): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `flame-${this.mode}-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}`;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: EXPORT_FILTERS[format],
      saveLabel: 'Export',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, content);
    void vscode.window.showInformationMessage(`Leak Inspector: saved ${vscode.workspace.asRelativePath(target)}`);
  }

  private post(message: ExtensionMessage): void {
    void this.panel.webview.postMessage(message);
  }

  private dispose(): void {
    if (FlameGraphPanel.current === this) FlameGraphPanel.current = undefined;
    this.generation++;
    this.sourceSubscription?.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

/** Opens a source file at a 1-based position, or says clearly why it cannot. */
async function openFile(path: string, line: number, column: number): Promise<void> {
  const uri = path.startsWith('file://') ? vscode.Uri.parse(path) : vscode.Uri.file(path);
  const absolute = path.startsWith('file://') || path.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(path);
  const exists =
    absolute &&
    (await vscode.workspace.fs.stat(uri).then(
      () => true,
      () => false,
    ));
  if (!exists) {
    void vscode.window.showWarningMessage(
      `Leak Inspector: ${path} is not on this machine. The frame comes from the target's source maps; ` +
        'open the project it was built from, or map its paths with the leakInspector.sourcePathMapping setting.',
    );
    return;
  }
  const position = new vscode.Position(line - 1, column - 1);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), preview: true });
}

function collectPaths(root: FlameNode): Set<string> {
  const paths = new Set<string>();
  const stack = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.path) paths.add(node.path);
    for (const child of node.children) stack.push(child);
  }
  return paths;
}
