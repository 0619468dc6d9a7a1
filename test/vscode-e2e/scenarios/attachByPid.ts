/**
 * "Attach to Node Process…" as a user picks it: a sample server started without `--inspect`
 * is listed with its inspector off, attaching switches it on (SIGUSR1) and the views fill in;
 * detaching from the Targets view's item empties them and leaves the server without our agent.
 */
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { AGENT_PRESENT, evaluateInTarget, startBots, startSample, type SampleTarget } from '../sampleTarget';
import { eventually, expandPane, openLeakInspector, openWorkbench, quickInput, runCommand, treeRows } from '../workbench';
import { keepScreenshot, missingCommands, paletteTitle, type Scenario, type ScenarioContext } from './scenario';

interface State {
  page: Page;
  context: ScenarioContext;
  target: SampleTarget;
  bots: { stop(): Promise<void> };
}

export const attachByPid: Scenario<State> = {
  name: 'attach by PID from the process picker',
  unavailable: (context) => missingCommands(context, ['leakInspector.attachToProcess', 'leakInspector.detach']),
  async setUp(context) {
    const node = process.execPath;
    const target = await startSample({ root: context.workspace, node, inspector: 'off', env: context.env });
    const bots = startBots({ root: context.workspace, node, port: target.port, players: 10, durationS: 300, env: context.env });
    try {
      return { page: await openWorkbench(context.browser, context.url, context.workspace), context, target, bots };
    } catch (error) {
      await bots.stop();
      await target.stop();
      throw error;
    }
  },
  steps: [
    {
      name: 'the picker lists the server with its inspector off; picking it attaches',
      async run({ page, context, target }) {
        await runCommand(page, paletteTitle(context, 'leakInspector.attachToProcess'));
        await quickInput(page).locator('.quick-input-title', { hasText: 'Attach to Node Process' }).waitFor({ timeout: 15_000 });
        await quickInput(page).locator('input.input').fill(String(target.pid));
        const row = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: String(target.pid) }).first();
        await row.waitFor({ timeout: 20_000 });
        assert.match(await row.innerText(), /inspector off/);
        await keepScreenshot(context, page, 'pid-1-process-picker');
        await page.keyboard.press('Enter');
        await eventually('the inspector switched on by SIGUSR1', async () => target.inspectorUrl());
      },
    },
    {
      name: 'the Targets view shows the process and Leak Suspects fill in',
      async run({ page, context, target }) {
        await openLeakInspector(page);
        const targets = await expandPane(page, 'Targets');
        await eventually(`pid ${target.pid} in Targets`, async () => ((await treeRows(targets)).some((row) => row.includes(`pid ${target.pid}`)) ? true : undefined));
        const suspects = await expandPane(page, 'Leak Suspects');
        await eventually('a suspect at a TypeScript line', async () => ((await treeRows(suspects)).some((row) => /\.ts:\d+/.test(row)) ? true : undefined), 60_000);
        await keepScreenshot(context, page, 'pid-2-attached');
      },
    },
    {
      name: "detaching with the target item's inline action empties the views and removes the agent",
      async run({ page, target }) {
        assert.equal(await evaluateInTarget(target.inspectorUrl()!, AGENT_PRESENT), 'object', 'the agent is in the target while attached');
        const targets = await expandPane(page, 'Targets');
        const item = targets.locator('.monaco-list-row', { hasText: `pid ${target.pid}` }).first();
        // The item's inline action, shown on hover.
        await item.hover();
        await item.locator('.actions .action-label[aria-label="Detach"]').click();
        await eventually('the welcome view again', async () => ((await treeRows(targets)).length === 0 ? true : undefined));
        await page.locator('.part.sidebar .welcome-view-content', { hasText: 'No Node.js process is attached' }).waitFor({ timeout: 15_000 });
        assert.equal(await evaluateInTarget(target.inspectorUrl()!, AGENT_PRESENT), 'undefined', 'the agent is gone');
      },
    },
  ],
  async tearDown({ page, bots, target }) {
    await page.close();
    await bots.stop();
    await target.stop();
  },
};
