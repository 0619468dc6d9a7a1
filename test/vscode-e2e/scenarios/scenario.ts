/**
 * A UI scenario is a story told in steps against one workbench window: each step builds on the
 * previous ones, so the first failure skips the rest (their result would say nothing). A failing
 * step leaves a screenshot of what the user would have seen.
 */
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { TestResult } from '../results';
import { screenshot, type Browser } from '../workbench';

export interface ScenarioContext {
  browser: Browser;
  /** code-server's base URL. */
  url: string;
  /** The workspace folder the workbench opens (the repository root). */
  workspace: string;
  artifactsDir: string;
  runDir: string;
  runId: string;
  /** Environment for processes the scenario starts (carries the run marker). */
  env: NodeJS.ProcessEnv;
  /** The installed extension (the unpacked .vsix) and its manifest. */
  extensionDir: string;
  manifest: { contributes?: { commands?: { command: string; title: string; category?: string }[] } };
}

export interface Step<State> {
  name: string;
  /** Why this step cannot run in this build (its feature is not contributed yet), or undefined. */
  unavailable?(context: ScenarioContext): string | undefined;
  run(state: State): Promise<void>;
}

export interface Scenario<State extends { page: Page }> {
  name: string;
  /** Why it cannot run in this build (e.g. a command not contributed yet), or undefined. */
  unavailable?(context: ScenarioContext): string | undefined;
  setUp(context: ScenarioContext): Promise<State>;
  steps: Step<State>[];
  tearDown(state: State): Promise<void>;
}

export async function runScenario<State extends { page: Page }>(scenario: Scenario<State>, context: ScenarioContext, log: (line: string) => void): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const record = (name: string, started: number, status: TestResult['status'], detail?: string) => {
    results.push({ suite: `ui: ${scenario.name}`, name, status, ms: Date.now() - started, detail });
    log(`${status === 'passed' ? 'ok  ' : status === 'failed' ? 'FAIL' : 'skip'} ${scenario.name} › ${name}${detail && status === 'failed' ? `: ${detail.split('\n')[0]}` : ''}`);
  };
  const unavailable = scenario.unavailable?.(context);
  if (unavailable) {
    for (const step of scenario.steps) record(step.name, Date.now(), 'skipped', unavailable);
    return results;
  }
  let started = Date.now();
  let state: State | undefined;
  try {
    state = await scenario.setUp(context);
  } catch (error) {
    record('set-up', started, 'failed', describe(error));
  }
  let failed = state === undefined;
  for (const [index, step] of scenario.steps.entries()) {
    started = Date.now();
    if (failed) {
      record(step.name, started, 'skipped', 'an earlier step failed');
      continue;
    }
    const missing = step.unavailable?.(context);
    if (missing) {
      record(step.name, started, 'skipped', missing);
      continue;
    }
    try {
      await step.run(state!);
      record(step.name, started, 'passed');
    } catch (error) {
      failed = true;
      const shot = await screenshot(state!.page, context.artifactsDir, `${slug(scenario.name)}-${index + 1}-failure`).catch(() => undefined);
      record(step.name, started, 'failed', describe(error) + (shot ? `\nscreenshot: ${path.basename(shot)}` : ''));
    }
  }
  if (state) {
    started = Date.now();
    try {
      await scenario.tearDown(state);
    } catch (error) {
      record('tear-down', started, 'failed', describe(error));
    }
  }
  return results;
}

function contributedTitle(context: ScenarioContext, id: string): string | undefined {
  const command = context.manifest.contributes?.commands?.find((entry) => entry.command === id);
  if (!command) return undefined;
  return command.category ? `${command.category}: ${command.title}` : command.title;
}

/** `Category: Title` of a contributed command, as the palette shows it. */
export function paletteTitle(context: ScenarioContext, id: string): string {
  const title = contributedTitle(context, id);
  if (!title) throw new Error(`${id} is not contributed by the installed extension`);
  return title;
}

/** Why a scenario needs skipping: the commands it uses that the installed manifest lacks. */
export function missingCommands(context: ScenarioContext, ids: string[]): string | undefined {
  const missing = ids.filter((id) => contributedTitle(context, id) === undefined);
  return missing.length > 0 ? `not contributed by the installed extension yet: ${missing.join(', ')}` : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 6).join('\n') : String(error);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Saves a screenshot as a run artifact. */
export async function keepScreenshot(context: ScenarioContext, page: Page, name: string): Promise<string> {
  return screenshot(page, context.artifactsDir, name);
}
