import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWebviewMessage } from '../../src/protocol/flameGraph';

test('well-formed webview messages pass through unchanged', () => {
  const valid = [
    { type: 'ready' },
    { type: 'ready', mode: 'allocations' },
    { type: 'refresh' },
    { type: 'selectMode', mode: 'diff' },
    { type: 'openSource', path: '/srv/game/src/battle.ts', line: 12, column: 1 },
    { type: 'export', format: 'svg', svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' },
    { type: 'export', format: 'png', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' },
    { type: 'export', format: 'heapprofile' },
  ];
  for (const message of valid) assert.deepEqual(parseWebviewMessage(message), message);
});

test('anything malformed is rejected', () => {
  const invalid: unknown[] = [
    null,
    'ready',
    [],
    {},
    { type: 'unknown' },
    { type: 'ready', extra: 1 },
    { type: 'ready', mode: 'cpu' },
    { type: 'refresh', mode: 'async' },
    { type: 'selectMode', mode: 'cpu' },
    { type: 'openSource', path: '', line: 1, column: 1 },
    { type: 'openSource', path: '/a.ts', line: 0, column: 1 },
    { type: 'openSource', path: '/a.ts', line: 1.5, column: 1 },
    { type: 'openSource', path: '/a.ts', line: '3', column: 1 },
    { type: 'openSource', path: '/a.ts\0.png', line: 1, column: 1 },
    { type: 'openSource', path: 'x'.repeat(5000), line: 1, column: 1 },
    { type: 'openSource', path: '/a.ts', line: 1 },
    { type: 'export', format: 'svg', svg: '<script>alert(1)</script>' },
    { type: 'export', format: 'png', dataUrl: 'data:text/html;base64,PGI+' },
    { type: 'export', format: 'png', dataUrl: 'data:image/png;base64,<>' },
    { type: 'export', format: 'heapprofile', profile: {} },
    { type: 'export', format: 'pdf' },
    { type: 'openSource', path: '/a.ts', line: 1, column: 1, __proto__: { injected: true }, extra: 'x' },
  ];
  for (const message of invalid) assert.equal(parseWebviewMessage(message), undefined, JSON.stringify(message));
});
