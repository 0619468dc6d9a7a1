/**
 * Suspects of every kind in the editor (issues 11 and 12):
 * - a listener leak (the sample server with `--leaks listener`, bots churning players): the
 *   Leak Suspects view lists it, and its registering line carries the gutter icon, the hint and
 *   a Problems entry;
 * - a report written by the CLI (`snapshot --json`) opened with "Open Report…" after the target
 *   is gone: the gutter icon at the leaking site's line, with no process attached.
 */
import { execFile } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { HEARTBEAT_LEAK, lineOf, LISTENER_LEAK, startBots, startSample, type SampleTarget } from '../sampleTarget';
import { answerQuickInput, editorLine, eventually, expandPane, openFileAtLine, openLeakInspector, openWorkbench, quickInput, renderedLineText, runCommand, treeRows } from '../workbench';
import { gutterMarksOn } from './inspect';
import { keepScreenshot, missingCommands, paletteTitle, type Scenario, type ScenarioContext } from './scenario';

const SUSPECTS = 'Leak Suspects';
const TARGETS = 'Targets';
/** The end-of-line hint of the listener suspect: `+12 'broadcast' listeners on presence … · score 92`. */
const LISTENER_HINT = /'broadcast' listeners? on .* · score \d+/;

interface ListenerState {
  page: Page;
  context: ScenarioContext;
  target: SampleTarget;
  bots: { stop(): Promise<void> };
  line: number;
}

export const listenerLeak: Scenario<ListenerState> = {
  name: 'listener leak in the views, gutter and Problems',
  unavailable: (context) => missingCommands(context, ['leakInspector.attachToUrl', 'leakInspector.detach']),
  async setUp(context) {
    const node = process.execPath;
    const target = await startSample({ root: context.workspace, node, inspector: 'start', env: context.env, leaks: 'listener' });
    const bots = startBots({ root: context.workspace, node, port: target.port, players: 20, durationS: 300, env: context.env });
    try {
      const page = await openWorkbench(context.browser, context.url, context.workspace);
      return { page, context, target, bots, line: lineOf(context.workspace, LISTENER_LEAK.file, LISTENER_LEAK.text) };
    } catch (error) {
      await bots.stop();
      await target.stop();
      throw error;
    }
  },
  steps: [
    {
      name: 'attached to the sample server with --leaks listener, Leak Suspects lists the listener at its registering line',
      async run({ page, context, target, line }) {
        await runCommand(page, paletteTitle(context, 'leakInspector.attachToUrl'));
        await answerQuickInput(page, 'Attach to Inspector', `127.0.0.1:${new URL(target.inspectorUrl()!).port}`);
        await openLeakInspector(page);
        const targets = await expandPane(page, TARGETS);
        await eventually('the server in Targets, attached', async () => {
          if ((await treeRows(targets)).some((row) => row.includes(`pid ${target.pid}`))) return true;
          const toasts = await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
          if (toasts.some((text) => /Leak Inspector/i.test(text))) throw new Error(`notified: ${toasts.join(' | ')}`);
          return undefined;
        });
        const suspects = await expandPane(page, SUSPECTS);
        const rows = await eventually(
          `the listener at game-server.ts:${line} among the leak suspects`,
          async () => {
            const texts = await treeRows(suspects);
            return texts.some((row) => /'broadcast' listeners? on /.test(row) && row.includes(`game-server.ts:${line}`)) ? texts : undefined;
          },
          90_000,
        );
        const row = rows.find((text) => text.includes(`game-server.ts:${line}`))!;
        assert.match(row, /score \d+/, `the row shows the score: ${row}`);
        await keepScreenshot(context, page, 'suspects-1-listener-in-view');
      },
    },
    {
      name: 'the registering line carries the gutter icon and the listener hint',
      async run({ page, context, line }) {
        await openFileAtLine(page, LISTENER_LEAK.file, line);
        const registering = editorLine(page, LISTENER_LEAK.text).first();
        const text = await eventually('the listener hint on the registering line', async () => {
          const rendered = await renderedLineText(registering);
          return LISTENER_HINT.test(rendered) ? rendered : undefined;
        });
        assert.ok(text.indexOf(LISTENER_LEAK.text) < text.search(LISTENER_HINT), `the hint follows the code: ${text}`);
        await eventually('a gutter icon level with the registering line', async () => ((await gutterMarksOn(page, registering)) > 0 ? true : undefined), 10_000);
        // The listener function's own line, just above, carries none: the mark is on the registering line.
        assert.equal(await gutterMarksOn(page, editorLine(page, 'const onAnnouncement = ').first()), 0, 'no gutter icon on the line above');
        await keepScreenshot(context, page, 'suspects-2-listener-gutter');
      },
    },
    {
      name: 'Problems lists the listener diagnostic at its line',
      async run({ page, context, line }) {
        await page.keyboard.press('Control+Shift+M');
        const rows = page.locator('.markers-panel .monaco-list-row');
        await eventually('the listener diagnostic in Problems', async () => {
          const texts = await rows.allInnerTexts();
          return texts.some((row) => /'broadcast' listeners? on /.test(row) && row.includes(`[Ln ${line}`)) ? texts : undefined;
        });
        await keepScreenshot(context, page, 'suspects-3-listener-problems');
        await runCommand(page, paletteTitle(context, 'leakInspector.detach'));
      },
    },
  ],
  async tearDown({ page, bots, target }) {
    await page.close();
    await bots.stop();
    await target.stop();
  },
};

interface ReportState {
  page: Page;
  context: ScenarioContext;
  report: string;
  line: number;
}

/** The CLI's `snapshot --json` of the sample server while bots churn players (the heartbeat leak grows). */
async function cliReport(context: ScenarioContext, file: string): Promise<void> {
  const node = process.execPath;
  const target = await startSample({ root: context.workspace, node, inspector: 'start', env: context.env, leaks: 'heartbeat' });
  const bots = startBots({ root: context.workspace, node, port: target.port, players: 20, durationS: 300, env: context.env });
  try {
    const cli = path.join(context.workspace, 'dist', 'cli.js');
    const { stdout } = await promisify(execFile)(node, [cli, 'snapshot', '--inspect', target.inspectorUrl()!, '--watch', '8', '--interval', '2', '--json'], {
      env: context.env,
      maxBuffer: 64 * 1024 * 1024,
    });
    fs.writeFileSync(file, stdout);
  } finally {
    await bots.stop();
    await target.stop();
  }
}

/**
 * code-server's open dialog is a quick input (told from the closing palette by its "Open Report"
 * button): type the path and accept. The dialog fills in its start folder once it has listed it,
 * which can overwrite a path typed too early (CI saw it accept the folder instead): wait for the
 * start folder, type, check the path is still there, accept, and try again while the dialog stays.
 */
async function chooseInOpenDialog(page: Page, file: string): Promise<void> {
  const dialog = quickInput(page);
  const accept = dialog.locator('.monaco-button', { hasText: 'Open Report' });
  const input = dialog.locator('input.input');
  await accept.waitFor({ state: 'visible', timeout: 15_000 });
  for (let attempt = 1; ; attempt++) {
    await eventually('the open dialog showing its start folder', async () => ((await input.inputValue()).endsWith('/') ? true : undefined), 10_000);
    await input.fill(file);
    await dialog.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first().waitFor({ timeout: 10_000 });
    if ((await input.inputValue()) === file) {
      await input.press('Enter');
      if (await accept.waitFor({ state: 'hidden', timeout: 5_000 }).then(() => true, () => false)) return;
    }
    if (attempt === 3) throw new Error(`the open dialog did not take ${file} (its path reads ${await input.inputValue()})`);
  }
}

/**
 * Clicks the Leak Suspects row naming `fileAndLine` (click-to-source) and waits for its editor.
 * The user's own path to the line; Quick Open, used before, sometimes opened nothing on CI right
 * after the Open Report dialog closed.
 */
async function openSuspectSource(page: Page, fileAndLine: string): Promise<void> {
  const suspects = await expandPane(page, SUSPECTS);
  const row = suspects.locator('.monaco-list-row', { hasText: fileAndLine }).first();
  await row.waitFor({ timeout: 20_000 });
  const tab = page.locator('.editor-group-container .tab.active', { hasText: fileAndLine.replace(/:\d+$/, '') });
  await row.click();
  await tab.waitFor({ timeout: 15_000 });
  const line = fileAndLine.split(':').pop();
  await page.locator('.statusbar-item', { hasText: `Ln ${line},` }).first().waitFor({ timeout: 15_000 });
}

export const openCliReport: Scenario<ReportState> = {
  name: 'a CLI report opened with "Open Report…"',
  unavailable: (context) => missingCommands(context, ['leakInspector.openReport']),
  async setUp(context) {
    const report = path.join(context.runDir, 'cli-report.json');
    await cliReport(context, report);
    const page = await openWorkbench(context.browser, context.url, context.workspace);
    return { page, context, report, line: lineOf(context.workspace, HEARTBEAT_LEAK.file, HEARTBEAT_LEAK.text) };
  },
  steps: [
    {
      name: 'the report, its process gone, opens as a saved report in Targets',
      async run({ page, context, report }) {
        const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as { format: string; producer: string };
        assert.equal(parsed.format, 'leak-inspector-report');
        assert.equal(parsed.producer, 'cli');
        await runCommand(page, paletteTitle(context, 'leakInspector.openReport'));
        await chooseInOpenDialog(page, report);
        await openLeakInspector(page);
        const targets = await expandPane(page, TARGETS);
        const rows = await eventually('the saved report in Targets', async () => {
          const texts = await treeRows(targets);
          return texts.some((row) => row.includes('(saved report)')) ? texts : undefined;
        });
        assert.ok(rows.every((row) => !/attached|snapshotting/.test(row) || row.includes('(saved report)')), `no process attached: ${rows.join(' | ')}`);
        await keepScreenshot(context, page, 'suspects-4-report-opened');
      },
    },
    {
      name: "clicking the report's suspect opens its line, with the gutter icon and hint",
      async run({ page, context, line }) {
        await openSuspectSource(page, `${path.basename(HEARTBEAT_LEAK.file)}:${line}`);
        const heartbeat = editorLine(page, HEARTBEAT_LEAK.text).first();
        await eventually('the hint on the heartbeat line', async () => (/\d+ live intervals? · oldest \S+/.test(await renderedLineText(heartbeat)) ? true : undefined));
        await eventually('a gutter icon level with the heartbeat line', async () => ((await gutterMarksOn(page, heartbeat)) > 0 ? true : undefined), 10_000);
        assert.equal(await gutterMarksOn(page, editorLine(page, 'if (!this.alive)').first()), 0, 'no gutter icon on the next line');
        await keepScreenshot(context, page, 'suspects-5-report-gutter');
        await runCommand(page, paletteTitle(context, 'leakInspector.detach'));
      },
    },
  ],
  async tearDown({ page }) {
    await page.close();
  },
};
