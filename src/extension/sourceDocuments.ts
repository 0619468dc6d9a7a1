/**
 * Sources the server knows only from a target's source maps (`sourcesContent`), e.g. the
 * sample server of an installed extension: shown read-only under `SOURCE_SCHEME`.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SOURCE_SCHEME, SourceContentRequest } from '../protocol/lsp';
import type { StateStore } from './stateStore';

export function registerSourceDocuments(client: LanguageClient): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(SOURCE_SCHEME, {
    provideTextDocumentContent: (uri, token) => client.sendRequest(SourceContentRequest, { uri: uri.toString() }, token),
  });
}

/** Opens a source at a 1-based line and column. */
export async function openSource(store: StateStore, sourcePath: string, line: number, column = 1): Promise<void> {
  const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
  try {
    await vscode.window.showTextDocument(store.uriOf(sourcePath), { selection: new vscode.Range(position, position), preview: true });
  } catch (error) {
    void vscode.window.showWarningMessage(`Leak Inspector: cannot open ${sourcePath}:${line}: ${(error as Error).message}`);
  }
}
