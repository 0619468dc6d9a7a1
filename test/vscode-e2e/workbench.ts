/**
 * Drives the real VS Code web workbench with playwright-core and Debian's Chromium, as a user
 * would: the command palette, the activity bar, tree views, editors, the Problems panel.
 * The browser only ever talks to loopback; anything else is aborted and reported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { privateHome } from './codeServer';

const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  /** Non-loopback URLs the workbench tried to load (aborted). */
  blocked: Set<string>;
  close(): Promise<void>;
}

export async function launchBrowser(runDir: string, env: NodeJS.ProcessEnv): Promise<Browser> {
  const home = path.join(runDir, 'chromium-home');
  const profile = fs.mkdtempSync(path.join(runDir, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // run.ts stops everything on a signal; Playwright's own handlers would exit the process first.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    viewport: { width: 1600, height: 1000 },
    env: { ...env, ...privateHome(home) },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const blocked = new Set<string>();
  await context.route(
    (url) => !/^(https?|wss?):\/\/127\.0\.0\.1[:/]/.test(url.href) && !/^(data|blob):/.test(url.href),
    (route) => {
      blocked.add(route.request().url());
      return route.abort();
    },
  );
  return { context, blocked, close: () => context.close() };
}

/**
 * Opens the workbench on `folder`. `payload` carries extension-development parameters;
 * `prepare` runs before the page loads (e.g. to expose functions the workbench calls).
 */
export async function openWorkbench(
  browser: Browser,
  url: string,
  folder: string,
  options: { payload?: [string, string][]; prepare?: (page: Page) => Promise<void> } = {},
): Promise<Page> {
  const { payload, prepare } = options;
  const page = await browser.context.newPage();
  await prepare?.(page);
  let address = `${url}/?folder=${encodeURIComponent(folder)}`;
  if (payload) address += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(address, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
  return page;
}

export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/**
 * Opens the palette, types `>title` and waits for a matching row. The palette lists what is
 * registered when it opens, and extension contributions arrive a little after the workbench
 * renders, so it is reopened until the command shows up.
 */
export async function findInPalette(page: Page, title: string, timeoutMs = 45_000): Promise<Locator> {
  return eventually(`"${title}" in the command palette`, async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = quickInput(page).locator('input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 2_000 });
      return row;
    } catch {
      await page.keyboard.press('Escape');
      return undefined;
    }
  }, timeoutMs);
}

export async function runCommand(page: Page, title: string): Promise<void> {
  await findInPalette(page, title);
  // Enter runs the first row: make sure it is ours, not a fuzzy near-miss.
  const first = quickInput(page).locator('.quick-input-list .monaco-list-row').first();
  const label = (await first.getAttribute('aria-label')) ?? (await first.innerText());
  if (!label.includes(title)) throw new Error(`palette's first entry for "${title}" is "${label}"`);
  await page.keyboard.press('Enter');
}

/**
 * Answers the quick input (input box or quick pick) titled `title` with `text` and Enter. The
 * title tells it from the palette that opened it, which closes around the same time.
 */
export async function answerQuickInput(page: Page, title: string, text: string): Promise<void> {
  const titled = quickInput(page).locator('.quick-input-title', { hasText: title });
  await titled.waitFor({ timeout: 15_000 });
  const input = quickInput(page).locator('input.input');
  // Until the box closes: CI once saw the attach box's Enter taken by nothing (no attach began, the box gone later).
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1 && !(await titled.isVisible())) return;
    if ((await input.inputValue()) !== text) await input.fill(text);
    await input.press('Enter');
    if (await titled.waitFor({ state: 'hidden', timeout: 5_000 }).then(() => true, () => false)) return;
    if (attempt === 3) throw new Error(`the "${title}" box did not take ${text} (it reads ${await input.inputValue()})`);
  }
}

/** The pane of a view in the side bar (by its title). */
export function viewPane(page: Page, title: string): Locator {
  return page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: title }) });
}

export async function expandPane(page: Page, title: string): Promise<Locator> {
  const pane = viewPane(page, title);
  await pane.waitFor({ timeout: 20_000 });
  const header = pane.locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return pane;
}

/** Text of the visible rows of a tree pane. */
export async function treeRows(pane: Locator): Promise<string[]> {
  return (await pane.locator('.monaco-list-row').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  let lastError: unknown;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** Quick Open a workspace file and go to a line (1-based). */
export async function openFileAtLine(page: Page, relativePath: string, line: number): Promise<void> {
  const tab = page.locator('.editor-group-container .tab.active', { hasText: path.basename(relativePath) });
  // Once more if the Enter was lost (CI once saw the row listed and no editor open 20 s later).
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = quickInput(page).locator('input.input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`${relativePath}:${line}`);
    // Enter before the file search answers would pick nothing.
    await quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relativePath) }).first().waitFor({ timeout: 20_000 });
    await input.press('Enter');
    const opened = await tab.waitFor({ timeout: 10_000 }).then(() => true, () => false);
    if (opened) return;
    if (attempt === 2) throw new Error(`Quick Open did not open ${relativePath}:${line}`);
  }
}

/** The rendered editor line (`.view-line`) containing `text`, in the active editor. */
export function editorLine(page: Page, text: string): Locator {
  return page.locator('.editor-group-container.active .monaco-editor .view-line', { hasText: text });
}

export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Shows the Leak Inspector container (activity bar), wide enough to read its rows. */
export async function openLeakInspector(page: Page): Promise<void> {
  const title = page.locator('.part.sidebar .composite.title', { hasText: /leak inspector/i });
  if (!(await title.isVisible())) {
    const item = page.locator('.part.activitybar .action-label[aria-label^="Leak Inspector"]').first();
    // A badge or an overflowing activity bar can hide the icon (seen once in CI), or keep it from
    // settling for a click while its badge updates (seen here): the palette's "View: Show Leak
    // Inspector" opens the same container.
    const clicked = await item.click({ timeout: 10_000 }).then(() => true, () => false);
    if (!clicked) await runCommand(page, 'View: Show Leak Inspector');
  }
  await title.waitFor({ timeout: 15_000 });
  await widenSideBar(page, 640);
}

/** Drags the side bar's edge so tree rows show their descriptions in screenshots. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
}

/** The little of the DOM `renderedLineText` uses (this project type-checks without the DOM lib). */
interface DomNode {
  children: { length: number };
  textContent: string | null;
}
interface DomElement extends DomNode {
  ownerDocument: { defaultView: { getComputedStyle(node: DomNode, pseudo: string): { content: string } } | null };
  querySelectorAll(selector: string): ArrayLike<DomNode>;
}

/**
 * A rendered editor line as the user reads it: its text plus text injected by decorations
 * (`after: { contentText }`), which VS Code draws as CSS `::before`/`::after` content.
 */
export async function renderedLineText(line: Locator): Promise<string> {
  // No named functions inside: tsx would wrap them in a `__name` helper the page lacks.
  return line.evaluate((root) => {
    const element = root as unknown as DomElement;
    const view = element.ownerDocument.defaultView!;
    let text = '';
    for (const span of Array.from(element.querySelectorAll('span'))) {
      if (span.children.length > 0) continue;
      for (const part of ['::before', 'text', '::after']) {
        if (part === 'text') {
          text += span.textContent ?? '';
          continue;
        }
        // A string value comes quoted: "\"text\"".
        const content = view.getComputedStyle(span, part).content;
        if (content.startsWith('"')) text += JSON.parse(content) as string;
      }
    }
    return text.replace(/\s+/g, ' ');
  });
}
