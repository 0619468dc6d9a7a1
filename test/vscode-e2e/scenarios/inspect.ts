/**
 * What a user does with a leaking server (issue 5, and issue 6's flame graph): attach from the
 * palette to a sample server with every leak on and bots playing, read the views, open the
 * leaking TypeScript file (gutter annotation, hint, hover, Problems), open the flame graph and
 * click through to the source, then detach: views, annotations and diagnostics are cleared and
 * the target is as it was. Screenshots of each stage are saved as artifacts.
 */
import * as assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { AGENT_PRESENT, evaluateInTarget, HEARTBEAT_LEAK, lineOf, startBots, startSample, type SampleTarget } from '../sampleTarget';
import { answerQuickInput, editorLine, eventually, expandPane, openFileAtLine, openLeakInspector, openWorkbench, quickInput, renderedLineText, runCommand, treeRows, viewPane } from '../workbench';
import { activeWebview, findFrame } from './flameGraph';
import { keepScreenshot, missingCommands, paletteTitle, type Scenario, type ScenarioContext, type Step } from './scenario';

interface State {
  page: Page;
  context: ScenarioContext;
  target: SampleTarget;
  bots: { stop(): Promise<void> };
  /** `player-session.ts:53`: how the views name the heartbeat leak's site. */
  site: string;
  line: number;
}

const COMMANDS = ['leakInspector.attachToUrl', 'leakInspector.detach'];
const SUSPECTS = 'Leak Suspects';
const RESOURCES = 'Async Resources';
const TARGETS = 'Targets';
const HEAP = 'Heap';
const SUMMARY = 'Summary by class (latest snapshot)';
/** A class under the summary: `PlayerSession ×20 · self 10.2 KiB · retained 204.8 KiB`. */
const CLASS_ROW = /×\d+ · self .+ · retained /;
/** Classes of the sample server that retain the most (which ones reach the top 30 varies). */
const SAMPLE_CLASSES = ['GameServer', 'PlayerSession', 'Battle', 'StorePool', 'StoreConnection', 'RankingClient'];
/** The end-of-line hint: count, type and age of the live resources created on the line. */
const HINT = /\d+ live intervals? · oldest \S+/;

/** The gutter (glyph margin) decorations level with `line` in the active editor. */
export async function gutterMarksOn(page: Page, line: Locator): Promise<number> {
  const box = await line.boundingBox();
  if (!box) return 0;
  const marks = page.locator('.editor-group-container.active .monaco-editor .margin .cgmr, .editor-group-container.active .monaco-editor .glyph-margin-widgets > div');
  let level = 0;
  for (const mark of await marks.all()) {
    const markBox = await mark.boundingBox();
    if (markBox && markBox.height > 0 && Math.abs(markBox.y + markBox.height / 2 - (box.y + box.height / 2)) < box.height / 2) level++;
  }
  return level;
}

/** Texts of the code lenses in the active editor that speak of live resources. */
async function leakLenses(page: Page): Promise<string[]> {
  const texts = await page.locator('.editor-group-container.active .monaco-editor .codelens-decoration').allInnerTexts();
  return texts.filter((text) => /live \S+ created here/.test(text));
}

/** Issue 6: the flame graph panel, on the attached server. */
const flameGraph: Step<State> = {
  name: '"Open Flame Graph" shows the leaking path; clicking its frame opens the TypeScript line',
  unavailable: (context) => missingCommands(context, ['leakInspector.openFlameGraph']),
  async run({ page, context, site, line }) {
    // Start from no open editor, so the click has to open the file at the line.
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, paletteTitle(context, 'leakInspector.openFlameGraph'));
    const webview = activeWebview(page);
    const canvas = webview.locator('canvas.flame-canvas');
    await canvas.waitFor({ timeout: 30_000 });
    await eventually('a painted flame graph', async () => (Number(await canvas.getAttribute('data-paints')) > 0 ? true : undefined));
    // The leaking path: the heartbeat's creation site is a frame of the graph.
    await webview.locator('vscode-text-field input').fill(site);
    await eventually(`search matches for ${site}`, async () => {
      const status = await webview.locator('.search-status').innerText();
      return /^[1-9]\d* match/.test(status) ? status : undefined;
    });
    const frame = await findFrame(page, canvas, webview.locator('#flame-tooltip'), site);
    assert.ok(frame, `no frame of the graph is at ${site}`);
    await keepScreenshot(context, page, 'inspect-5-flame-graph');
    await page.mouse.click(frame.x, frame.y);
    await page.locator('.editor-group-container .tab.active', { hasText: 'player-session.ts' }).waitFor({ timeout: 15_000 });
    await eventually(`the cursor on line ${line}`, async () => {
      const selection = await page.locator('#status\\.editor\\.selection').innerText();
      return new RegExp(`Ln ${line}\\b`).test(selection) ? selection : undefined;
    });
  },
};

/**
 * "Take Heap Snapshot" from the Heap view's title, confirmed in its pause warning: the view
 * lists the file and the summary by class (the sample's own classes among them).
 */
const heapSnapshot: Step<State> = {
  name: '"Take Heap Snapshot" from the Heap view (after its pause warning) shows the summary by class',
  unavailable: (context) => missingCommands(context, ['leakInspector.takeHeapSnapshot']),
  async run({ page, context }) {
    await openLeakInspector(page);
    // Room for the Heap view: the other lists fold (the next step unfolds what it reads).
    for (const title of [RESOURCES, SUSPECTS]) {
      const header = viewPane(page, title).locator('.pane-header');
      if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
    }
    const heap = await expandPane(page, HEAP);
    // The view's title actions show while the pointer is over its header.
    await heap.locator('.pane-header').hover();
    await heap.locator('.pane-header .actions .action-label[aria-label="Take Heap Snapshot"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    assert.match(await dialog.innerText(), /The process stops while V8 walks its heap/);
    await keepScreenshot(context, page, 'inspect-6-heap-pause-warning');
    await dialog.locator('.monaco-button', { hasText: 'Take Snapshot' }).click();
    const summary = heap.locator('.monaco-list-row', { hasText: SUMMARY });
    await summary.waitFor({ timeout: 60_000 });
    assert.match(await summary.innerText(), /[\d,]+ objects · [\d.]+ (B|KiB|MiB|GiB) · \d+-.*\.heapsnapshot/);
    if ((await summary.getAttribute('aria-expanded')) !== 'true') await summary.click();
    const rows = await eventually('classes under the summary', async () => {
      const texts = await treeRows(heap);
      return texts.filter((row) => CLASS_ROW.test(row)).length >= 5 ? texts : undefined;
    });
    // The biggest classes by retained size: the sample's own among them (the heap is the server's).
    assert.ok(rows.some((row) => SAMPLE_CLASSES.some((name) => row.startsWith(`${name}×`)) && CLASS_ROW.test(row)), `a class of the sample server in the summary: ${rows.join(' | ')}`);
    // The file is listed under "Heap files" (unfolded as a user would, if it is folded).
    const files = heap.locator('.monaco-list-row', { hasText: /Heap files/ }).first();
    if ((await files.getAttribute('aria-expanded')) === 'false') await files.click();
    await eventually('the snapshot among the heap files', async () => ((await treeRows(heap)).some((row) => /^\d+-\S+\.heapsnapshot\s*\d/.test(row)) ? true : undefined));
    await runCommand(page, 'Notifications: Clear All Notifications');
    await quickInput(page).waitFor({ state: 'hidden', timeout: 5000 });
    await keepScreenshot(context, page, 'inspect-6-heap-summary');
  },
};

export const inspect: Scenario<State> = {
  name: 'attach, inspect, detach',
  unavailable: (context) => missingCommands(context, COMMANDS),
  async setUp(context) {
    const node = process.execPath;
    const target = await startSample({ root: context.workspace, node, inspector: 'start', env: context.env });
    const bots = startBots({ root: context.workspace, node, port: target.port, players: 20, durationS: 300, env: context.env });
    try {
      const page = await openWorkbench(context.browser, context.url, context.workspace);
      const line = lineOf(context.workspace, HEARTBEAT_LEAK.file, HEARTBEAT_LEAK.text);
      return { page, context, target, bots, line, site: `player-session.ts:${line}` };
    } catch (error) {
      await bots.stop();
      await target.stop();
      throw error;
    }
  },
  steps: [
    {
      name: 'attach from the palette ("Attach to Inspector URL…") to the sample server, bots playing',
      async run({ page, context, target }) {
        const port = new URL(target.inspectorUrl()!).port;
        await runCommand(page, paletteTitle(context, 'leakInspector.attachToUrl'));
        await answerQuickInput(page, 'Attach to Inspector', `127.0.0.1:${port}`);
        await openLeakInspector(page);
        const pane = await expandPane(page, TARGETS);
        await eventually('the target in the Targets view', async () => {
          const rows = await treeRows(pane);
          return rows.some((row) => row.includes(String(target.pid)) || row.includes(`:${port}`)) ? rows : undefined;
        });
      },
    },
    {
      name: 'the Async Resources and Leak Suspects views fill in, leak sites at their TypeScript file:line',
      async run({ page, context, site }) {
        await openLeakInspector(page);
        const suspects = await expandPane(page, SUSPECTS);
        const resources = await expandPane(page, RESOURCES);
        const suspectRows = await eventually(`${site} among the leak suspects`, async () => {
          const rows = await treeRows(suspects);
          return rows.some((row) => row.includes(site)) ? rows : undefined;
        }, 60_000);
        const resourceRows = await eventually('TypeScript sites in Async Resources', async () => {
          const rows = await treeRows(resources);
          return rows.some((row) => /\.ts:\d+/.test(row)) ? rows : undefined;
        });
        assert.ok(suspectRows.every((row) => !/\.js:\d+/.test(row)), `suspects point at TypeScript, not the bundle: ${suspectRows.join(' | ')}`);
        assert.ok(resourceRows.length > 0);
        await keepScreenshot(context, page, 'inspect-1-views');
      },
    },
    {
      name: 'opening player-session.ts shows the gutter annotation and hint on the heartbeat line',
      async run({ page, context, line }) {
        await openFileAtLine(page, HEARTBEAT_LEAK.file, line);
        const heartbeat = editorLine(page, HEARTBEAT_LEAK.text);
        const text = await eventually('the after-line hint on the heartbeat line', async () => {
          const rendered = await renderedLineText(heartbeat.first());
          return HINT.test(rendered) ? rendered : undefined;
        });
        assert.ok(text.indexOf(HEARTBEAT_LEAK.text) < text.search(HINT), `the hint follows the code: ${text}`);
        // Measured once the editor has settled (revealing the line scrolls it).
        await eventually('a gutter icon level with the heartbeat line', async () => ((await gutterMarksOn(page, heartbeat.first())) > 0 ? true : undefined), 10_000);
        // The neighbouring line (`if (!this.alive) {`) carries none: the mark is on the right line.
        assert.equal(await gutterMarksOn(page, editorLine(page, 'if (!this.alive)').first()), 0, 'no gutter icon on the next line');
        await eventually('the code lens above the heartbeat line', async () => ((await leakLenses(page)).length > 0 ? true : undefined));
        await keepScreenshot(context, page, 'inspect-2-annotated-editor');
      },
    },
    {
      name: 'hovering the heartbeat line shows the leak hover',
      async run({ page, context }) {
        const token = editorLine(page, HEARTBEAT_LEAK.text).first().locator('span', { hasText: /^setInterval$/ }).first();
        const hover = page.locator('.monaco-hover:not(.hidden)').filter({ hasText: /interval/i });
        await eventually('the leak hover', async () => {
          await page.mouse.move(0, 0);
          await token.hover();
          await hover.first().waitFor({ timeout: 5000 });
          return true;
        });
        const text = await hover.first().innerText();
        assert.match(text, /player-session\.ts:\d+/);
        await keepScreenshot(context, page, 'inspect-3-hover');
        await page.keyboard.press('Escape');
      },
    },
    {
      name: 'the Problems view lists the leak diagnostic at the heartbeat line',
      async run({ page, context, line }) {
        await page.keyboard.press('Control+Shift+M');
        // Every leak of the sample is a problem now (listeners, holders…), each with its related
        // stack expanded: the list is virtualised, so show only the heartbeat's file, as a user would.
        await page.getByPlaceholder(/^Filter \(e\.g\./).first().fill('player-session');
        const rows = page.locator('.markers-panel .monaco-list-row');
        await eventually('the heartbeat diagnostic in Problems', async () => {
          const texts = await rows.allInnerTexts();
          return texts.some((row) => /live intervals? created here/.test(row) && row.includes(`[Ln ${line}`)) ? texts : undefined;
        });
        await keepScreenshot(context, page, 'inspect-4-problems');
      },
    },
    flameGraph,
    heapSnapshot,
    {
      name: 'detach clears views, annotations and diagnostics, and removes the agent from the target',
      async run({ page, context, target, site }) {
        assert.equal(await evaluateInTarget(target.inspectorUrl()!, AGENT_PRESENT), 'object', 'the agent is in the target while attached');
        await runCommand(page, paletteTitle(context, 'leakInspector.detach'));
        await openLeakInspector(page);
        await expandPane(page, RESOURCES);
        const suspects = await expandPane(page, SUSPECTS);
        await eventually('empty Leak Suspects', async () => ((await treeRows(suspects)).some((row) => row.includes(site)) ? undefined : true));
        await eventually('no hint on the heartbeat line', async () => (HINT.test(await renderedLineText(editorLine(page, HEARTBEAT_LEAK.text).first())) ? undefined : true));
        await eventually('no gutter icon left', async () => ((await gutterMarksOn(page, editorLine(page, HEARTBEAT_LEAK.text).first())) === 0 ? true : undefined), 10_000);
        await eventually('no leak code lens left', async () => ((await leakLenses(page)).length === 0 ? true : undefined), 15_000).catch(async (error: Error) => {
          throw new Error(`${error.message}; still shown: ${(await leakLenses(page)).join(' | ')}`);
        });
        await eventually('no leak diagnostics in Problems', async () => {
          const texts = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
          return texts.some((row) => /live intervals? created here/.test(row)) ? undefined : true;
        });
        assert.equal(await evaluateInTarget(target.inspectorUrl()!, AGENT_PRESENT), 'undefined', 'the agent is gone');
        await keepScreenshot(context, page, 'inspect-7-detached');
      },
    },
  ],
  async tearDown({ page, bots, target }) {
    await page.close();
    await bots.stop();
    await target.stop();
  },
};
