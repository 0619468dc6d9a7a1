/** Starts the language server (dist/server.js) in its own Node process, over IPC. */
import * as vscode from 'vscode';
import { DidChangeConfigurationNotification, LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { SOURCE_SCHEME } from '../protocol/lsp';
import { SECTION, serverSettings } from './settings';

const LANGUAGES = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact'];

export async function startLanguageClient(context: vscode.ExtensionContext): Promise<LanguageClient> {
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=127.0.0.1:6010'] } },
  };
  const heapDirectory = vscode.Uri.joinPath(context.globalStorageUri, 'heap').fsPath;
  const clientOptions: LanguageClientOptions = {
    // Hovers and code lenses in sources on disk and in sources known only from source maps.
    documentSelector: [...LANGUAGES.map((language) => ({ scheme: 'file', language })), { scheme: SOURCE_SCHEME }],
    initializationOptions: { settings: serverSettings(heapDirectory) },
  };
  const client = new LanguageClient('leakInspector', 'Leak Inspector', serverOptions, clientOptions);
  const pushSettings = () => void client.sendNotification(DidChangeConfigurationNotification.type, { settings: serverSettings(heapDirectory) });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration(SECTION) && pushSettings()),
    // Trusting the workspace brings its restricted settings in.
    vscode.workspace.onDidGrantWorkspaceTrust(pushSettings),
  );
  await client.start();
  return client;
}
