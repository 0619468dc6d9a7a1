/**
 * Real fixtures for the source-map tests: two TypeScript files and a fake dependency in a
 * temp dir, bundled by esbuild into one CommonJS script exporting `run()`.
 */
import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { GeneratedFrame } from '../../src/sourcemap';

export const TICK_TS = `export function helper(): number {
  return 1;
}

export function startTick(onTick: () => void): NodeJS.Timeout {
  const period = helper() * 1000;
  return setInterval(onTick, period);
}

export function captureStack(): string {
  return new Error('creation site').stack ?? '';
}
`;

export const MAIN_TS = `import { depTimer } from 'fake-dep';
import { captureStack, startTick } from './tick';

export function run(): string {
  const handle = startTick(() => undefined);
  clearInterval(handle);
  clearTimeout(depTimer());
  return captureStack();
}
`;

export const DEP_JS = `exports.depTimer = function depTimer() {
  return setTimeout(function () {}, 1000);
};
`;

export interface Fixture {
  root: string;
  tickPath: string;
  mainPath: string;
  depPath: string;
  /** Bundles `src/main.ts` into `dist/<name>.js` and returns that path. */
  build(name: string, options?: esbuild.BuildOptions): Promise<string>;
  remove(): Promise<void>;
}

export async function createFixture(): Promise<Fixture> {
  const root = await mkdtemp(path.join(tmpdir(), 'leak-inspector-sourcemap-'));
  const tickPath = path.join(root, 'src', 'tick.ts');
  const mainPath = path.join(root, 'src', 'main.ts');
  const depPath = path.join(root, 'node_modules', 'fake-dep', 'index.js');
  await mkdir(path.dirname(tickPath), { recursive: true });
  await mkdir(path.dirname(depPath), { recursive: true });
  await writeFile(tickPath, TICK_TS);
  await writeFile(mainPath, MAIN_TS);
  await writeFile(depPath, DEP_JS);
  return {
    root,
    tickPath,
    mainPath,
    depPath,
    async build(name, options = {}) {
      const outfile = path.join(root, 'dist', `${name}.js`);
      await esbuild.build({
        entryPoints: [mainPath],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        sourcemap: 'linked',
        logLevel: 'silent',
        ...options,
      });
      return outfile;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** The CDP frame (0-based) of the only occurrence of `marker` in a generated script. */
export async function frameAt(scriptPath: string, marker: string, url = scriptPath): Promise<GeneratedFrame> {
  const { line, column } = positionOf(await readFile(scriptPath, 'utf8'), marker);
  return { url, lineNumber: line - 1, columnNumber: column - 1 };
}

/** The 1-based line and column of the only occurrence of `marker` in `text`. */
export function positionOf(text: string, marker: string): { line: number; column: number } {
  const index = text.indexOf(marker);
  assert.ok(index >= 0, `${marker} not found`);
  assert.equal(text.indexOf(marker, index + 1), -1, `${marker} occurs more than once`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
