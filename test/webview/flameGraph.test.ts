/**
 * The flame graph webview in real Chromium: the built bundle under the panel's page and CSP,
 * fed trees from the real builders; assertions read the DOM, the posted messages and the
 * canvas pixels.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Protocol } from 'devtools-protocol';
import { buildAllocationFlameGraph, buildAsyncFlameGraph, diffFlameGraphs } from '../../src/flame';
import type { FlameGraphData } from '../../src/protocol/flameGraph';
import { gameReport, SRC } from '../flame/fixtures';
import { setData, WebviewBrowser, type PageGlobals, type WebviewPage } from './browser';

let browser: WebviewBrowser;
before(async () => {
  browser = await WebviewBrowser.launch();
});
after(() => browser?.close());

/** all(15) → main(15) → [onLogin(12) → startHeartbeat → setInterval → Interval, startLoop(3) → Timeout]. */
const game = (): FlameGraphData => buildAsyncFlameGraph([gameReport(12, 3)], 'game');
const HEARTBEAT = ['main', 'onLogin', 'startHeartbeat'];

async function openWith(data: FlameGraphData, theme?: Parameters<WebviewBrowser['open']>[0]): Promise<WebviewPage> {
  const webview = await browser.open(theme);
  await webview.post(setData(data));
  return webview;
}

async function tooltip(webview: WebviewPage): Promise<string | null> {
  const element = webview.page.locator('#flame-tooltip');
  return (await element.isVisible()) ? element.innerText() : null;
}

function saturation([r, g, b]: [number, number, number]): number {
  return Math.max(r, g, b) - Math.min(r, g, b);
}

test('the page loads under its CSP, asks for data, and upgrades the toolkit controls', async () => {
  const webview = await browser.open();
  try {
    assert.deepEqual(await webview.messages(), [{ type: 'ready', mode: 'async' }]);
    const upgraded = await webview.page.evaluate(() => {
      const page = globalThis as unknown as { customElements: { get(name: string): unknown }; document: { querySelector(s: string): { shadowRoot: unknown } | null } };
      return ['vscode-button', 'vscode-dropdown', 'vscode-text-field'].map((name) => !!page.customElements.get(name) && !!page.document.querySelector(name)?.shadowRoot);
    });
    assert.deepEqual(upgraded, [true, true, true]);
    await webview.post(setData(game()));
    assert.deepEqual(await webview.violations(), []);
    assert.equal(await webview.page.locator('.title').innerText(), 'game');
  } finally {
    await webview.page.close();
  }
});

test('hovering a frame shows its tooltip: name, file:line, self and total, share; ARIA links it to the canvas', async () => {
  const data = game();
  const webview = await openWith(data);
  try {
    await webview.hover(await webview.frameBox(data.root, HEARTBEAT));
    const text = await tooltip(webview);
    assert.match(text ?? '', /^startHeartbeat\n/);
    assert.match(text!, /player-session\.ts:77/);
    assert.match(text!, new RegExp(`${SRC}/player-session.ts:77:5`));
    assert.match(text!, /Total live resources\s+12 \(80\.0% of all\)/);
    assert.match(text!, /Self live resources\s+0/);
    assert.match(text!, /Leak score\s+85/);
    assert.equal(await webview.page.getAttribute('canvas', 'aria-describedby'), 'flame-tooltip');
    assert.equal(await webview.page.getAttribute('#flame-tooltip', 'role'), 'tooltip');

    await webview.hover(await webview.frameBox(data.root, ['main', 'startLoop']));
    assert.match((await tooltip(webview)) ?? '', /^startLoop\n[\s\S]*3 \(20\.0% of all\)/);

    // Below the deepest frame there is nothing: no tooltip.
    const canvas = await webview.canvasBox();
    await webview.page.mouse.move(canvas.x + 10, canvas.y + canvas.rowHeight * 7.5);
    assert.equal(await tooltip(webview), null);
    assert.equal(await webview.page.getAttribute('canvas', 'aria-describedby'), null);
  } finally {
    await webview.page.close();
  }
});

test('a click posts openSource for the frame under the pointer; frames without a location post nothing', async () => {
  const data = game();
  const webview = await openWith(data);
  try {
    await webview.clearMessages();
    const box = await webview.frameBox(data.root, ['main', 'startLoop']);
    await webview.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const resource = await webview.frameBox(data.root, [...HEARTBEAT, 'setInterval', 'Interval']);
    await webview.page.mouse.click(resource.x + resource.width / 2, resource.y + resource.height / 2);
    assert.deepEqual(await webview.messages(), [{ type: 'openSource', path: `${SRC}/battle.ts`, line: 12, column: 5 }]);
  } finally {
    await webview.page.close();
  }
});

test('search highlights the matching frames and dims the rest', async () => {
  const data = game();
  const webview = await openWith(data);
  try {
    const heartbeat = await webview.frameBox(data.root, HEARTBEAT);
    const loop = await webview.frameBox(data.root, ['main', 'startLoop']);
    const loopBefore = await webview.framePixel(loop);
    await webview.page.locator('vscode-text-field input').fill('heartbeat');
    await webview.settle();
    assert.equal(await webview.page.locator('.search-status').innerText(), '1 match, 80.0%');
    const lit = await webview.framePixel(heartbeat);
    const dimmed = await webview.framePixel(loop);
    assert.ok(saturation(lit) > 60, `the match keeps its colour: ${lit}`);
    assert.ok(saturation(dimmed) < saturation(loopBefore) / 2, `a non-match is dimmed: ${dimmed} (was ${loopBefore})`);

    // By file too.
    await webview.page.locator('vscode-text-field input').fill('battle.ts');
    await webview.settle();
    assert.equal(await webview.page.locator('.search-status').innerText(), '1 match, 20.0%');
    assert.ok(saturation(await webview.framePixel(loop)) > 30);
  } finally {
    await webview.page.close();
  }
});

test('diff colouring follows the data: growth red, shrinkage blue, no change grey', async () => {
  const before = buildAsyncFlameGraph([gameReport(2, 6)]);
  const later = buildAsyncFlameGraph([gameReport(12, 3)]);
  const data = diffFlameGraphs(before, later);
  const webview = await openWith(data);
  try {
    const [r1, g1, b1] = await webview.framePixel(await webview.frameBox(data.root, HEARTBEAT));
    assert.ok(r1 > b1 + 60 && r1 > g1 + 60, `2 → 12 is red: ${[r1, g1, b1]}`);
    const [r2, g2, b2] = await webview.framePixel(await webview.frameBox(data.root, ['main', 'startLoop']));
    assert.ok(b2 > r2 + 40, `6 → 3 is blue: ${[r2, g2, b2]}`);
    const unchanged = diffFlameGraphs(later, later);
    await webview.post(setData(unchanged));
    const grey = await webview.framePixel(await webview.frameBox(unchanged.root, HEARTBEAT));
    assert.ok(saturation(grey) < 15, `no change is grey: ${grey}`);
    await webview.hover(await webview.frameBox(data.root, HEARTBEAT));
    await webview.post(setData(data));
    await webview.hover(await webview.frameBox(data.root, ['main', 'onLogin']));
    assert.match((await tooltip(webview)) ?? '', /Before\s+2\nChange\s+\+10 \(\+500%\)/);
  } finally {
    await webview.page.close();
  }
});

test('double-click zooms into a frame, Escape zooms back; the keyboard does both', async () => {
  const data = game();
  const webview = await openWith(data);
  try {
    const loop = await webview.frameBox(data.root, ['main', 'startLoop']);
    const canvas = await webview.canvasBox();
    await webview.page.mouse.dblclick(loop.x + loop.width / 2, loop.y + loop.height / 2);
    await webview.settle();
    // startLoop now spans the width: its left edge and the canvas's are one.
    const zoomed = await webview.frameBox(data.root, ['main', 'startLoop'], [12, 15]);
    assert.ok(Math.abs(zoomed.x - canvas.x) < 1 && Math.abs(zoomed.width - canvas.width) < 1);
    await webview.hover({ ...zoomed, x: canvas.x + 5, width: 1 });
    assert.match((await tooltip(webview)) ?? '', /^startLoop\n[\s\S]*Share of view\s+100\.0%/);

    await webview.page.keyboard.press('Escape');
    await webview.settle();
    await webview.hover({ ...loop, x: canvas.x + 5, width: 1 });
    assert.match((await tooltip(webview)) ?? '', /^onLogin\n/, 'back to the whole tree: onLogin is leftmost again');

    // Keyboard only: focus, root, down to main, down to onLogin, right to startLoop, Enter.
    await webview.page.locator('canvas').focus();
    for (const key of ['Home', 'ArrowDown', 'ArrowDown', 'ArrowRight']) await webview.page.keyboard.press(key);
    assert.match(await webview.page.locator('[role=status]').innerText(), /^startLoop, battle\.ts:12: 3, 20\.0%$/);
    await webview.page.keyboard.press('Enter');
    await webview.settle();
    await webview.page.mouse.move(canvas.x + canvas.width - 5, loop.y + loop.height / 2);
    assert.match((await tooltip(webview)) ?? '', /^startLoop\n/);
    await webview.clearMessages();
    await webview.page.locator('canvas').focus();
    await webview.page.keyboard.press(' ');
    assert.deepEqual(await webview.messages(), [{ type: 'openSource', path: `${SRC}/battle.ts`, line: 12, column: 5 }]);
  } finally {
    await webview.page.close();
  }
});

test('zoom and search survive a refresh with new data and a reload of the page (hidden and shown)', async () => {
  const data = game();
  const webview = await openWith(data);
  try {
    const loop = await webview.frameBox(data.root, ['main', 'startLoop']);
    await webview.page.mouse.dblclick(loop.x + loop.width / 2, loop.y + loop.height / 2);
    await webview.page.locator('vscode-text-field input').fill('Timeout');
    await webview.settle();

    // Refresh: more heartbeats and timers; the zoomed frame is found again by identity.
    const refreshed = buildAsyncFlameGraph([gameReport(20, 5)], 'game');
    await webview.post(setData(refreshed));
    const canvas = await webview.canvasBox();
    await webview.page.mouse.move(canvas.x + canvas.width - 5, loop.y + loop.height / 2);
    assert.match((await tooltip(webview)) ?? '', /^startLoop\n[\s\S]*5 \(20\.0% of all\)/);
    assert.equal(await webview.page.locator('.search-status').innerText(), '1 match, 20.0%');

    // VS Code drops a hidden webview's page and reloads it when shown: state comes back.
    await webview.load();
    assert.deepEqual((await webview.messages()).at(-1), { type: 'ready', mode: 'async' });
    assert.equal(await webview.page.locator('vscode-text-field input').inputValue(), 'Timeout');
    await webview.post(setData(refreshed));
    await webview.page.mouse.move(canvas.x + canvas.width - 5, loop.y + loop.height / 2);
    assert.match((await tooltip(webview)) ?? '', /^startLoop\n/);
    await webview.page.mouse.move(canvas.x + 5, loop.y + loop.height / 2);
    assert.match((await tooltip(webview)) ?? '', /^startLoop\n/, 'still zoomed: startLoop spans the width');
  } finally {
    await webview.page.close();
  }
});

test('the view switch asks the extension for the other mode; errors show in place', async () => {
  const webview = await openWith(game());
  try {
    await webview.clearMessages();
    await webview.page.locator('vscode-dropdown').first().click();
    await webview.page.locator('vscode-option', { hasText: 'Allocations' }).click();
    assert.deepEqual(await webview.messages(), [{ type: 'selectMode', mode: 'allocations' }]);
    await webview.post({ type: 'error', mode: 'allocations', message: 'Not attached to a process.' });
    assert.equal(await webview.page.getByRole('alert').innerText(), 'Not attached to a process.');
    assert.equal(await webview.page.locator('canvas').isVisible(), false, 'no stale graph under the new view');
    await webview.post(setData(game()));
    assert.equal(await webview.page.locator('canvas').isVisible(), true);
    assert.equal(await webview.page.getByRole('alert').isVisible(), false);
    await webview.clearMessages();
    await webview.page.locator('vscode-button', { hasText: 'Refresh' }).click();
    assert.deepEqual(await webview.messages(), [{ type: 'refresh' }]);
  } finally {
    await webview.page.close();
  }
});

test('export sends the current view as SVG and as PNG', async () => {
  const data = game();
  const webview = await openWith(data);
  try {
    await webview.clearMessages();
    await webview.page.locator('vscode-button', { hasText: 'Export SVG' }).click();
    await webview.page.locator('vscode-button', { hasText: 'Export PNG' }).click();
    const [svg, png] = await webview.messages();
    assert.ok(svg?.type === 'export' && svg.format === 'svg');
    assert.match(svg.svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg.svg, /<title>startHeartbeat \(player-session\.ts:77\): 12<\/title>/);
    assert.equal(svg.svg.match(/<rect /g)?.length, 1 + 8, 'the background and the 8 frames');
    assert.ok(png?.type === 'export' && png.format === 'png');
    assert.match(png.dataUrl, /^data:image\/png;base64,/);
    assert.ok(png.dataUrl.length > 1000);
    assert.equal(await webview.page.locator('vscode-button', { hasText: 'heapprofile' }).isVisible(), false, 'async mode has no .heapprofile');
  } finally {
    await webview.page.close();
  }
});

test('allocations: widths in bytes, user code coloured apart from Node internals, and the .heapprofile export', async () => {
  const frame = (id: number, functionName: string, url: string, selfSize: number, children: Protocol.HeapProfiler.SamplingHeapProfileNode[] = []) => ({
    id,
    selfSize,
    callFrame: { functionName, url, lineNumber: id, columnNumber: 0, scriptId: String(id) },
    children,
  });
  const profile = {
    head: frame(0, '(root)', '', 0, [frame(1, 'createRoom', '/srv/game/dist/server.js', 3 * 1024 * 1024, [frame(2, 'push', 'node:internal/fixed_queue', 1024 * 1024)])]),
    samples: [],
  };
  const data = await buildAllocationFlameGraph(profile, async (generated) =>
    generated.url.startsWith('node:')
      ? { path: generated.url, line: 10, column: 1, mapped: false, reason: 'Node internal', generated }
      : { path: `${SRC}/rooms.ts`, line: 7, column: 3, mapped: true, generated },
  );
  const webview = await openWith(data);
  try {
    await webview.hover(await webview.frameBox(data.root, ['createRoom']));
    assert.match((await tooltip(webview)) ?? '', /^createRoom\nrooms\.ts:7\n[\s\S]*Total live bytes\s+4\.0 MiB \(100\.0% of all\)\nSelf live bytes\s+3\.0 MiB/);
    const user = await webview.framePixel(await webview.frameBox(data.root, ['createRoom']));
    const internal = await webview.framePixel(await webview.frameBox(data.root, ['createRoom', 'push']));
    assert.ok(user[0] > user[2] + 40, `user code is warm: ${user}`);
    assert.ok(internal[2] > internal[0], `Node internals are cool: ${internal}`);
    await webview.clearMessages();
    await webview.page.locator('vscode-button', { hasText: 'Save .heapprofile' }).click();
    assert.deepEqual(await webview.messages(), [{ type: 'export', format: 'heapprofile' }]);
  } finally {
    await webview.page.close();
  }
});

test('the theme drives the colours: light, dark and high contrast, and a live theme switch', async () => {
  const data = game();
  const backgrounds: Record<string, [number, number, number]> = {};
  for (const theme of ['light', 'dark', 'high-contrast'] as const) {
    const webview = await openWith(data, theme);
    try {
      const canvas = await webview.canvasBox();
      backgrounds[theme] = await webview.pixel(canvas.x + 5, canvas.y + canvas.rowHeight * 7.5);
      if (theme === 'high-contrast') {
        // Frames get the contrast border (#6fc3df) on their edge.
        const box = await webview.frameBox(data.root, HEARTBEAT);
        const [r, g, b] = await webview.pixel(box.x + box.width / 2, box.y);
        assert.ok(Math.abs(r - 0x6f) < 40 && Math.abs(g - 0xc3) < 40 && Math.abs(b - 0xdf) < 40, `border ${[r, g, b]}`);
      }
      if (theme === 'dark') {
        await webview.page.evaluate(() => {
          const page = globalThis as unknown as { document: { documentElement: { style: { setProperty(n: string, v: string): void } } } };
          // VS Code changes the root's variables; the body class only when the theme kind changes.
          page.document.documentElement.style.setProperty('--vscode-editor-background', '#fffffe');
        });
        await webview.settle();
        assert.deepEqual(await webview.pixel(canvas.x + 5, canvas.y + canvas.rowHeight * 7.5), [255, 255, 254]);
      }
    } finally {
      await webview.page.close();
    }
  }
  assert.deepEqual(backgrounds, { light: [255, 255, 255], dark: [30, 30, 30], 'high-contrast': [0, 0, 0] });
});

test('a tiny panel keeps the toolbar to one row and the graph usable', async () => {
  const data = game();
  const webview = await browser.open('dark', { width: 240, height: 160 });
  try {
    await webview.post(setData(data));
    const canvas = await webview.canvasBox();
    assert.ok(canvas.width > 200 && canvas.height > 50);
    await webview.hover(await webview.frameBox(data.root, ['main', 'startLoop']));
    assert.match((await tooltip(webview)) ?? '', /^startLoop\n/);
    const paints = await webview.page.evaluate(() => Number((globalThis as unknown as PageGlobals).document.querySelector('canvas')!.dataset.paints));
    assert.ok(paints >= 1);
  } finally {
    await webview.page.close();
  }
});
