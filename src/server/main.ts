/**
 * Entry of the language server (`dist/server.js`). The transport comes from the command line,
 * as vscode-languageclient and other LSP clients pass it: `--node-ipc`, `--stdio` or
 * `--socket=PORT`.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startLeakServer } from './leakServer';

startLeakServer(createConnection(ProposedFeatures.all));
