import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAsyncFlameGraph, diffFlameGraphs, flameGraphHtml, packFlameGraph } from '../../src/flame';
import { FRAME_KINDS, type FlameNode, type PackedFlameGraph } from '../../src/protocol/flameGraph';
import { gameReport } from './fixtures';

/** The tree back from its packed form, to compare with the original. */
function unpack(packed: PackedFlameGraph, index = 0): [FlameNode, number] {
  const node: FlameNode = {
    name: packed.strings[packed.name[index]!]!,
    path: packed.strings[packed.path[index]!]!,
    line: packed.line[index]!,
    column: packed.column[index]!,
    kind: FRAME_KINDS[packed.kind[index]!]!,
    self: packed.self[index]!,
    total: packed.total[index]!,
    children: [],
  };
  if (packed.type[index]) node.type = packed.strings[packed.type[index]!];
  if (packed.score[index]! >= 0) node.score = packed.score[index];
  if (packed.before) node.before = packed.before[index];
  let next = index + 1;
  while (next < index + packed.size[index]!) {
    const [child, after] = unpack(packed, next);
    node.children.push(child);
    next = after;
  }
  return [node, next];
}

test('packing keeps every frame, in pre-order, with strings interned', () => {
  const data = buildAsyncFlameGraph([gameReport(12, 3)]);
  const packed = packFlameGraph(data);
  assert.equal(packed.total.length, 8);
  assert.deepEqual(unpack(packed)[0], data.root);
  assert.equal(packed.size[0], 8);
  assert.equal(new Set(packed.strings).size, packed.strings.length, 'each string once');
  assert.equal(packed.strings[0], '');
  assert.equal(packed.before, undefined);
});

test('a packed diff carries each frame\'s earlier total', () => {
  const data = diffFlameGraphs(buildAsyncFlameGraph([gameReport(2, 6)]), buildAsyncFlameGraph([gameReport(12, 3)]));
  const packed = packFlameGraph(data);
  assert.deepEqual(unpack(packed)[0], data.root);
  assert.equal(packed.beforeTotal, 8);
});

test('the page allows only its own nonce-bearing script and stylesheet', () => {
  const html = flameGraphHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abcdefghijklmnop1234', scriptUri: 'https://x/a.js', styleUri: 'https://x/a.css' });
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)![1];
  assert.equal(
    csp,
    "default-src &#39;none&#39;; script-src &#39;nonce-abcdefghijklmnop1234&#39;; style-src https://x.vscode-cdn.net &#39;nonce-abcdefghijklmnop1234&#39;; img-src https://x.vscode-cdn.net data:; font-src https://x.vscode-cdn.net",
  );
  assert.match(html, /<script nonce="abcdefghijklmnop1234" src="https:\/\/x\/a\.js"><\/script>/);
  assert.match(html, /<meta property="csp-nonce" content="abcdefghijklmnop1234">/);
  assert.throws(() => flameGraphHtml({ cspSource: 'x', nonce: 'short', scriptUri: '', styleUri: '' }), /nonce/);
  assert.doesNotMatch(flameGraphHtml({ cspSource: 'x', nonce: 'abcdefghijklmnop1234', scriptUri: '"><script>', styleUri: '' }), /"><script>/);
});
