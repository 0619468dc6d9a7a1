/**
 * The house rules of eslint.config.mjs, checked by ESLint itself: a probe file in each part of
 * the tree imports what that part must not, and the error must come with its reason. Allowed
 * imports of the same part must pass, so a rule that refuses everything fails too.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

/** The `no-restricted-imports` messages ESLint gives `code` as if it were the file `file`. */
async function restrictedImports(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

const FORBIDDEN: Array<{ file: string; code: string; reason: RegExp }> = [
  { file: 'src/extension/probe.ts', code: "import { Target } from '../server/target';", reason: /extension is thin glue over the language server/ },
  { file: 'src/extension/views/probe.ts', code: "import { InspectorSession } from '../../engine/inspectorSession';", reason: /must not import src\/server, src\/engine/ },
  { file: 'src/extension/probe.ts', code: "import { attach } from '../cdp';", reason: /must not import .*src\/cdp/ },
  { file: 'src/extension/probe.ts', code: "import { takeHeapSnapshot } from '../heap';", reason: /src\/heap/ },
  { file: 'src/extension/probe.ts', code: "import { analyzeSnapshot } from '../analysis';", reason: /src\/analysis/ },
  { file: 'src/watch/probe.ts', code: "import { reportText } from '../cli/snapshotCommand';", reason: /src\/cli imports src\/watch, not the other way round/ },
  { file: 'src/agent/probe.ts', code: "import { errorMessage } from '../common/errors';", reason: /injected alone .* only types and constants from src\/protocol/ },
  { file: 'src/agent/probe.ts', code: "import * as fs from 'node:fs';", reason: /process\.getBuiltinModule/ },
  { file: 'webview/src/probe.ts', code: "import * as vscode from 'vscode';", reason: /browser sandbox: it talks to the extension with postMessage/ },
  { file: 'webview/src/probe.ts', code: "import { readFile } from 'node:fs/promises';", reason: /browser sandbox: Node modules are not available/ },
  { file: 'samples/game-server/src/probe.ts', code: "import { formatBytes } from '../../../src/presentation';", reason: /stands for a user's program/ },
  { file: 'src/presentation/probe.ts', code: "import * as path from 'node:path';", reason: /keep it Node-free/ },
  { file: 'src/engine/probe.ts', code: "import * as vscode from 'vscode';", reason: /Only src\/extension talks to the VS Code API/ },
];

for (const { file, code, reason } of FORBIDDEN) {
  test(`refused: ${code} in ${file}`, async () => {
    const messages = await restrictedImports(file, `${code}\nexport const probe = 1;\n`);
    assert.equal(messages.length, 1, `one error, got: ${messages.join(' | ') || 'none'}`);
    assert.match(messages[0], reason);
  });
}

const ALLOWED: Array<{ file: string; code: string }> = [
  { file: 'src/extension/probe.ts', code: "import { formatBytes } from '../presentation';\nimport type { TargetState } from '../protocol/lsp';\nimport type { HeapSummary } from '../protocol/heap';\nimport * as vscode from 'vscode';" },
  { file: 'src/extension/views/probe.ts', code: "import { siteLabel } from '../../presentation';\nimport type { HeapAnalysis } from '../heapCommands';" },
  { file: 'src/watch/probe.ts', code: "import { buildReport } from '../report';\nimport { InspectorSession } from '../engine/inspectorSession';" },
  { file: 'src/agent/probe.ts', code: "import { AGENT_PROTOCOL_VERSION } from '../protocol/agentSnapshot';\nimport { Patcher } from './patcher';" },
  { file: 'webview/src/probe.ts', code: "import type { FlameGraphData } from '../../src/protocol/flameGraph';" },
  { file: 'src/cli/probe.ts', code: "import { Watcher } from '../watch/watcher';\nimport * as path from 'node:path';" },
];

for (const { file, code } of ALLOWED) {
  test(`allowed: ${code.split('\n')[0]} … in ${file}`, async () => {
    assert.deepEqual(await restrictedImports(file, `${code}\n`), []);
  });
}
