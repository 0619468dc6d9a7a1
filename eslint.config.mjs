// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'http', 'net', 'child_process', 'os', 'worker_threads'];
const noVscode = { name: 'vscode', message: 'Only src/extension talks to the VS Code API.' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-artifacts/', '.vscode-test/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
  },
  // The house rules (one-way dependencies), each with the reason a breaking import is refused.
  // A later block's `no-restricted-imports` replaces an earlier one for the same file, so each
  // block repeats the editor-API rule that applies to it.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/extension/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(server|engine|cdp|heap|analysis)(/|$)',
              message:
                'The extension is thin glue over the language server: it must not import src/server, src/engine, src/cdp, src/heap or src/analysis. Ask the server over LSP (src/protocol) and format with src/presentation.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/watch/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: [{ regex: '^(\\.\\./)+cli(/|$)', message: 'src/cli imports src/watch, not the other way round: put what both need in src/report, src/presentation or src/engine.' }] },
      ],
    },
  },
  {
    files: ['src/agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              regex: '^(\\.\\./)+(?!protocol(/|$))[^./]',
              message: 'The agent is injected alone into the target (dist/agent.js): it may import only types and constants from src/protocol.',
            },
            { regex: '^[^.]', message: 'The agent is injected alone into the target: no packages or Node modules; get built-ins through process.getBuiltinModule.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/presentation/**/*.ts', 'src/report/**/*.ts', 'src/common/errors.ts', 'src/common/guards.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: [{ group: nodeBuiltins, message: 'Shared with the extension and the webview: keep it Node-free (no node:* modules).' }] },
      ],
    },
  },
  // The webview is browser code: no Node modules, no editor API.
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The webview runs in a browser sandbox: it talks to the extension with postMessage, not the VS Code API.' }],
          patterns: [{ group: nodeBuiltins, message: 'The webview runs in a browser sandbox: Node modules are not available there.' }],
        },
      ],
    },
  },
  // The sample server stands for a user's program: it knows nothing of Leak Inspector.
  {
    files: ['samples/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: [{ regex: '^(\\.\\./)+src(/|$)', message: "The sample server stands for a user's program: it must not import Leak Inspector's own code (src/)." }] },
      ],
    },
  },
);
