/**
 * Real data end to end, short of VS Code: the sample server with the heartbeat leak, attached
 * over its inspector, two snapshots around bot churn, the builders, and the webview in
 * Chromium. The leaking path is the widest and the reddest, and hovering its creation frame
 * names the TypeScript line. A screenshot is kept in test-artifacts/ to look at.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { buildAsyncFlameGraph, diffFlameGraphs } from '../../src/flame';
import { InspectorSession } from '../../src/engine/inspectorSession';
import type { FlameNode } from '../../src/protocol/flameGraph';
import { runBots, startSampleServer } from '../../src/sample/sampleServer';
import { setData, WebviewBrowser } from './browser';

const SOURCES = path.resolve(__dirname, '../../samples/game-server/src');
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const HEARTBEAT_LINE =
  fs
    .readFileSync(path.join(SOURCES, 'player-session.ts'), 'utf8')
    .split('\n')
    .findIndex((line) => line.includes('this.heartbeat = setInterval(')) + 1;

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** Names from the root down to the first frame matching `found`, always through the widest child that contains one. */
function pathTo(root: FlameNode, found: (node: FlameNode) => boolean): string[] {
  const contains = (node: FlameNode): boolean => found(node) || node.children.some(contains);
  const names: string[] = [];
  for (let node = root; !found(node); ) {
    node = node.children.find(contains)!;
    names.push(node.name);
  }
  return names;
}

test('the heartbeat leak of the sample server stands out in the diff, and its frame points at the TypeScript line', async () => {
  const server = await startSampleServer({ leaks: 'heartbeat', nodeArgs: ['--inspect=127.0.0.1:0'] });
  cleanups.push(() => server.stop());
  const session = await InspectorSession.attach(server.inspectorUrl!);
  cleanups.push(() => session.detach());
  const before = await session.snapshot();
  await runBots({ url: server.wsUrl, players: 10, durationS: 1.5, dropRate: 0.5, paceMs: 20, seed: 1 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const later = await session.snapshot();

  const diff = diffFlameGraphs(buildAsyncFlameGraph(before), buildAsyncFlameGraph(later));
  const isHeartbeat = (node: FlameNode) => node.path === path.join(SOURCES, 'player-session.ts') && node.line === HEARTBEAT_LINE;
  const names = pathTo(diff.root, isHeartbeat);
  let frame = diff.root;
  for (const name of names) frame = frame.children.find((child) => child.name === name)!;
  assert.ok(frame.total - (frame.before ?? 0) >= 5, `the heartbeat frame grew: ${frame.before} → ${frame.total}`);

  const browser = await WebviewBrowser.launch();
  cleanups.push(() => browser.close());
  const webview = await browser.open('dark', { width: 1200, height: 700 });
  await webview.post(setData(diff));
  const box = await webview.frameBox(diff.root, names);
  assert.ok(box.width > 20, `the leaking frame is visible: ${box.width}px`);
  await webview.hover(box);
  const tooltip = await webview.page.locator('#flame-tooltip').innerText();
  assert.match(tooltip, new RegExp(`player-session\\.ts:${HEARTBEAT_LINE}\\n`));
  assert.match(tooltip, /Change\s+\+\d+/);
  const [r, g, b] = await webview.framePixel(box);
  assert.ok(r > g + 60 && r > b + 60, `growth is red: ${[r, g, b]}`);
  await webview.clearMessages();
  await webview.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  assert.deepEqual((await webview.messages()).filter((message) => message.type === 'openSource'), [
    { type: 'openSource', path: path.join(SOURCES, 'player-session.ts'), line: HEARTBEAT_LINE, column: frame.column },
  ]);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await webview.page.screenshot({ path: path.join(ARTIFACTS, 'flame-graph-sample-diff.png') });
});
