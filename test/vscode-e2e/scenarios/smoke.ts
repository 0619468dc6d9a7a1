/**
 * Smoke: the installed .vsix loads in a real VS Code, its command is in the palette, and running
 * it activates the extension, which starts the bundled sample server and bots in two terminals.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { Page } from 'playwright-core';
import { markedProcesses } from '../processes';
import { eventually, findInPalette, openWorkbench, runCommand } from '../workbench';
import { keepScreenshot, type Scenario, type ScenarioContext } from './scenario';

const START = 'Leak Inspector: Start Sample Game Server';

interface State {
  page: Page;
  context: ScenarioContext;
}

/** The sample processes the extension started (they carry the run marker through code-server). */
function sampleProcesses(context: ScenarioContext) {
  const all = markedProcesses(context.runId);
  const of = (script: string) => all.filter(({ argv }) => argv.some((arg) => arg.startsWith(context.extensionDir) && arg.endsWith(script)));
  return { servers: of('/samples/game-server/server.js'), bots: of('/samples/game-server/bots.js') };
}

export const smoke: Scenario<State> = {
  name: 'smoke',
  async setUp(context) {
    return { page: await openWorkbench(context.browser, context.url, context.workspace), context };
  },
  steps: [
    {
      name: `the palette lists "${START}"`,
      async run({ page }) {
        await findInPalette(page, START);
        await page.keyboard.press('Escape');
      },
    },
    {
      name: 'running it activates the extension, which starts the sample server and bots in terminals',
      async run({ page, context }) {
        assert.deepEqual(sampleProcesses(context).servers, [], 'no sample server before the command');
        await runCommand(page, START);
        const started = await eventually('the sample server and bots, started from the installed extension', async () => {
          const found = sampleProcesses(context);
          return found.servers.length === 1 && found.bots.length === 1 ? found : undefined;
        });
        assert.ok(started.servers[0]!.argv.includes('--inspect=127.0.0.1:0'), started.servers[0]!.argv.join(' '));
        assert.ok(started.servers[0]!.argv.includes('all'), 'every leak on');
        for (const name of ['Sample Game Server', 'Sample Game Bots']) {
          await page.locator('.part.panel', { hasText: name }).first().waitFor({ timeout: 15_000 });
        }
        // The server it started plays: its stats endpoint answers on the port it was given.
        const port = started.servers[0]!.argv[started.servers[0]!.argv.indexOf('--port') + 1];
        await eventually('the sample server to answer', async () => ((await answers(`http://127.0.0.1:${port}/debug/stats`)) ? true : undefined));
        // What the user reads in the server's terminal.
        await page.locator('.part.panel .terminal-tabs-entry', { hasText: 'Sample Game Server' }).first().click();
        await page.locator('.part.panel .terminal-wrapper.active .xterm-rows', { hasText: `listening on 127.0.0.1:${port}` }).waitFor({ timeout: 15_000 });
        await keepScreenshot(context, page, 'smoke-sample-server-terminals');
      },
    },
    {
      name: 'killing the terminals stops the sample server and bots',
      async run({ page, context }) {
        await runCommand(page, 'Terminal: Kill All Terminals');
        await eventually('the sample processes to exit', async () => {
          const found = sampleProcesses(context);
          return found.servers.length + found.bots.length === 0 ? true : undefined;
        });
      },
    },
  ],
  async tearDown({ page }) {
    await page.close();
  },
};

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get(url, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}
