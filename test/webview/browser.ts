/**
 * Real Chromium for the webview tests and the benchmark: Debian's /usr/bin/chromium driven by
 * playwright-core, serving the built bundle (dist/webview) from a fake webview origin under the
 * panel's own page and Content-Security-Policy. The only stand-in is `acquireVsCodeApi`, which
 * records posted messages and keeps `setState` in sessionStorage, so a reload plays the part
 * of VS Code discarding and restoring a hidden webview.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { flameGraphHtml, packFlameGraph } from '../../src/flame';
import type { ExtensionMessage, FlameGraphData, FlameNode, WebviewMessage } from '../../src/protocol/flameGraph';

export const ORIGIN = 'https://webview.test';
const DIST = path.resolve(__dirname, '../../dist/webview');

/**
 * The page's globals, typed just enough for the functions evaluated in it: the Node tsconfig
 * has no DOM types. Inside `page.evaluate`, use `globalThis as unknown as PageGlobals`.
 */
export interface PageGlobals {
  document: {
    querySelector(selector: string): PageCanvas | null;
    activeElement: unknown;
  };
  requestAnimationFrame(callback: (now: number) => void): number;
  postMessage(message: unknown, targetOrigin: string): void;
  performance: { now(): number };
  __messages: unknown[];
  __violations: string[];
  /** `reviveTyped`, installed in the page. */
  __reviveTyped(json: string): unknown;
}

export interface PageCanvas {
  dataset: Record<string, string | undefined>;
  width: number;
  getBoundingClientRect(): { left: number; top: number; width: number };
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
  dispatchEvent(event: unknown): boolean;
}

export type ThemeKind = 'dark' | 'light' | 'high-contrast';

/** A few of the variables VS Code sets on a webview's root, per theme. */
export const THEMES: Record<ThemeKind, Record<string, string>> = {
  dark: { '--vscode-editor-background': '#1e1e1e', '--vscode-editor-foreground': '#d4d4d4', '--vscode-foreground': '#cccccc', '--vscode-focusBorder': '#007fd4' },
  light: { '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#000000', '--vscode-foreground': '#616161', '--vscode-focusBorder': '#0090f1' },
  'high-contrast': {
    '--vscode-editor-background': '#000000',
    '--vscode-editor-foreground': '#ffffff',
    '--vscode-foreground': '#ffffff',
    '--vscode-focusBorder': '#f38518',
    '--vscode-contrastBorder': '#6fc3df',
  },
};

/** `acquireVsCodeApi` as a webview sees it; messages and violations are recorded for the tests. */
const VSCODE_API_STUB = `
  window.__messages = [];
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (event) =>
    window.__violations.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sourceFile + ':' + event.lineNumber + ':' + event.columnNumber));
  window.acquireVsCodeApi = () => ({
    postMessage(message) { window.__messages.push(JSON.parse(JSON.stringify(message))); },
    getState() { return JSON.parse(sessionStorage.getItem('vscode-state') || 'null'); },
    setState(state) { sessionStorage.setItem('vscode-state', JSON.stringify(state)); },
  });
`;

export interface BrowserOptions {
  /** Extra Chromium flags (the benchmark lifts the frame-rate cap). */
  args?: string[];
}

export class WebviewBrowser {
  private constructor(
    private readonly context: BrowserContext,
    private readonly userDataDir: string,
  ) {}

  static async launch(options: BrowserOptions = {}): Promise<WebviewBrowser> {
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'leak-inspector-chromium-'));
    try {
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...(options.args ?? [])],
        viewport: { width: 900, height: 500 },
        deviceScaleFactor: 1,
      });
      await context.route(`${ORIGIN}/**`, (route) => {
        const url = new URL(route.request().url());
        const theme = url.pathname.match(/^\/theme-([a-z-]+)\.css$/)?.[1] as ThemeKind | undefined;
        if (theme && THEMES[theme]) {
          const body = `:root { ${Object.entries(THEMES[theme]).map(([name, value]) => `${name}: ${value};`).join(' ')} --vscode-font-size: 13px; --vscode-font-family: sans-serif; }`;
          return route.fulfill({ contentType: 'text/css', body });
        }
        const file = path.basename(url.pathname);
        if (file !== 'flameGraph.js' && file !== 'flameGraph.css') return route.fulfill({ status: 404 });
        return route.fulfill({ contentType: file.endsWith('.js') ? 'text/javascript' : 'text/css', body: readFileSync(path.join(DIST, file)) });
      });
      return new WebviewBrowser(context, userDataDir);
    } catch (error) {
      rmSync(userDataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A new tab with the flame graph page, themed; waits for the page's `ready`. */
  async open(theme: ThemeKind = 'dark', size = { width: 900, height: 500 }): Promise<WebviewPage> {
    const page = await this.context.newPage();
    await page.setViewportSize(size);
    // tsx compiles with esbuild's keepNames, which wraps named functions in `__name(…)`: the
    // functions tests evaluate in the page need it there too.
    await page.addInitScript({ content: `window.__name = (fn) => fn; window.__reviveTyped = ${reviveTyped.toString()};${VSCODE_API_STUB}` });
    await page.route(`${ORIGIN}/index.html`, (route) => {
      const nonce = randomBytes(16).toString('base64');
      const html = flameGraphHtml({ cspSource: ORIGIN, nonce, scriptUri: `${ORIGIN}/flameGraph.js`, styleUri: `${ORIGIN}/flameGraph.css` })
        // What VS Code adds around a webview: theme variables and body classes.
        .replace('</head>', `<link rel="stylesheet" href="${ORIGIN}/theme-${theme}.css">\n</head>`)
        .replace('<body>', `<body class="vscode-${theme}">`);
      return route.fulfill({ contentType: 'text/html', body: html });
    });
    const webview = new WebviewPage(page);
    await webview.load();
    return webview;
  }

  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.userDataDir, { recursive: true, force: true });
    }
  }
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class WebviewPage {
  constructor(readonly page: Page) {}

  /** (Re)loads the page, as VS Code does when a hidden panel is shown again. */
  async load(): Promise<void> {
    await this.page.goto(`${ORIGIN}/index.html`);
    await this.page.waitForFunction(() => (globalThis as unknown as PageGlobals).__messages.some((m) => (m as WebviewMessage).type === 'ready'));
  }

  messages(): Promise<WebviewMessage[]> {
    return this.page.evaluate(() => (globalThis as unknown as PageGlobals).__messages as WebviewMessage[]);
  }

  async clearMessages(): Promise<void> {
    await this.page.evaluate(() => {
      (globalThis as unknown as PageGlobals).__messages = [];
    });
  }

  violations(): Promise<string[]> {
    return this.page.evaluate(() => (globalThis as unknown as PageGlobals).__violations);
  }

  /** Posts a message as the extension would, and waits until the graph has painted after it. */
  async post(message: ExtensionMessage): Promise<void> {
    const before = await this.paints();
    await this.page.evaluate((json) => {
      const page = globalThis as unknown as PageGlobals;
      page.postMessage(page.__reviveTyped(json), '*');
    }, toJson(message));
    if (message.type === 'setData') await this.waitForPaint(before);
  }

  async paints(): Promise<number> {
    return Number((await this.page.getAttribute('canvas', 'data-paints')) ?? 0);
  }

  /** Waits for a paint after `after` paints, and for any zoom animation to settle. */
  async waitForPaint(after: number): Promise<void> {
    await this.page.waitForFunction((count) => Number((globalThis as unknown as PageGlobals).document.querySelector('canvas')?.dataset.paints ?? 0) > count, after);
    await this.settle();
  }

  /** Waits until no paint has happened for a few frames (animations finished). */
  async settle(): Promise<void> {
    await this.page.evaluate(async () => {
      const page = globalThis as unknown as PageGlobals;
      const canvas = page.document.querySelector('canvas')!;
      let last = canvas.dataset.paints;
      for (let quiet = 0; quiet < 5; ) {
        await new Promise((resolve) => page.requestAnimationFrame(resolve));
        quiet = canvas.dataset.paints === last ? quiet + 1 : 0;
        last = canvas.dataset.paints;
      }
    });
  }

  async canvasBox(): Promise<Box & { rowHeight: number }> {
    const box = (await this.page.locator('canvas').boundingBox())!;
    const rowHeight = Number(await this.page.getAttribute('canvas', 'data-row-height'));
    return { ...box, rowHeight };
  }

  /**
   * Where the frame at `names` (from the root's first child down) is drawn, in page pixels,
   * computed from the data alone; `range` is the visible value range (default: everything).
   */
  async frameBox(root: FlameNode, names: readonly string[], range: [number, number] = [0, root.total]): Promise<Box> {
    let node = root;
    let start = 0;
    for (const name of names) {
      const index = node.children.findIndex((child) => child.name === name);
      if (index < 0) throw new Error(`no frame ${name} under ${node.name}`);
      for (const sibling of node.children.slice(0, index)) start += sibling.total;
      node = node.children[index]!;
    }
    const canvas = await this.canvasBox();
    const scale = canvas.width / (range[1] - range[0]);
    return { x: canvas.x + (start - range[0]) * scale, y: canvas.y + names.length * canvas.rowHeight, width: node.total * scale, height: canvas.rowHeight };
  }

  async hover(box: Box, fraction = 0.5): Promise<void> {
    await this.page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2);
  }

  /** The canvas pixel (RGB) at page coordinates. */
  async pixel(x: number, y: number): Promise<[number, number, number]> {
    return this.page.evaluate(
      ([px, py]) => {
        const canvas = (globalThis as unknown as PageGlobals).document.querySelector('canvas')!;
        const bounds = canvas.getBoundingClientRect();
        const ratio = canvas.width / bounds.width;
        const data = canvas.getContext('2d')!.getImageData(Math.round((px - bounds.left) * ratio), Math.round((py - bounds.top) * ratio), 1, 1).data;
        return [data[0]!, data[1]!, data[2]!] as [number, number, number];
      },
      [x, y],
    );
  }

  /** A pixel in a frame's box away from its label (the lower left corner area). */
  async framePixel(box: Box): Promise<[number, number, number]> {
    return this.pixel(box.x + Math.min(3, box.width / 2), box.y + box.height - 3);
  }
}

/** The message the panel posts for `data`. */
export function setData(data: FlameGraphData): ExtensionMessage {
  return { type: 'setData', data: packFlameGraph(data) };
}

/**
 * Messages go into the page as JSON text (Playwright's own argument serializer gives up on
 * deep trees), with typed arrays tagged so `reviveTyped` (evaluated in the page) restores them.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    ArrayBuffer.isView(item) && !(item instanceof DataView) ? { $typed: item.constructor.name, values: Array.from(item as Int32Array) } : item,
  );
}

/** Runs in the page (installed as `__reviveTyped`): typed array constructors are the page's. */
function reviveTyped(json: string): unknown {
  const page = globalThis as unknown as Record<string, new (values: number[]) => unknown>;
  return JSON.parse(json, (_key, item: { $typed?: string; values?: number[] } | null) =>
    item && typeof item === 'object' && typeof item.$typed === 'string' ? new page[item.$typed]!(item.values!) : item,
  );
}
