/**
 * The .vsix holds the built bundles and nothing else, and what it holds works on its own:
 * unpacked into a temp dir (no node_modules, no sources), its CLI runs the demo against the
 * bundled sample server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import * as yauzl from 'yauzl';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-inspector-vsix-'));
const vsix = path.join(work, 'leak-inspector.vsix');
let files: Map<string, Buffer>;

before(async () => {
  await run(process.execPath, [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--out', vsix], { cwd: root });
  files = await unzip(vsix);
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('the .vsix contains the bundles, manifest, readme, licence and icon', () => {
  for (const name of [
    'extension/package.json',
    'extension/readme.md',
    'extension/LICENSE.txt',
    'extension/media/icon.png',
    'extension/dist/extension.js',
    'extension/dist/cli.js',
    'extension/dist/agent.js',
    'extension/dist/mappings.wasm',
    'extension/dist/samples/game-server/server.js',
    'extension/dist/samples/game-server/server.js.map',
    'extension/dist/samples/game-server/ranking-service.js',
    'extension/dist/samples/game-server/bots.js',
  ]) {
    assert.ok(files.has(name), `${name} is missing; got ${[...files.keys()].join(', ')}`);
  }
});

test('the .vsix contains no sources, tests, dependencies or build junk', () => {
  const junk = [...files.keys()].filter(
    (name) =>
      /\.tsx?$/.test(name) ||
      /^extension\/(src|test|samples|webview|node_modules|\.ci|\.vscode)\//.test(name) ||
      /(tsconfig\.json|eslint\.config|esbuild\.config|package-lock\.json|\.vsix|\.gitignore)$/.test(name),
  );
  assert.deepEqual(junk, []);
  assert.ok(fs.statSync(vsix).size < 2 * 1024 * 1024, `the .vsix is ${fs.statSync(vsix).size} bytes`);
});

test("the sample server's source map carries its TypeScript sources", () => {
  const map = JSON.parse(files.get('extension/dist/samples/game-server/server.js.map')!.toString('utf8')) as { sources: string[]; sourcesContent: string[] };
  const battle = map.sources.findIndex((source) => source.endsWith('samples/game-server/src/battle.ts'));
  assert.ok(battle >= 0, `battle.ts among ${map.sources.length} sources`);
  assert.match(map.sourcesContent[battle], /LEAK\(timer\)/);
});

test('unpacked on its own, the extension runs the demo against the bundled sample server', async () => {
  const installed = path.join(work, 'installed');
  for (const [name, content] of files) {
    if (!name.startsWith('extension/')) continue;
    const target = path.join(installed, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
  const { stdout } = await run(process.execPath, [path.join(installed, 'extension/dist/cli.js'), 'demo', '--players', '6', '--duration', '3'], { cwd: work, timeout: 90_000 });
  assert.match(stdout, /server: ws:\/\/127\.0\.0\.1:\d+/);
  assert.match(stdout, /bots: \d+ sessions/);
  // Suspects are located in the TypeScript sources carried by the shipped source maps.
  assert.match(stdout, /^score \d+ (LOW|MEDIUM|HIGH) +\d+ × \w+ +oldest \S+ +\S*samples\/game-server\/src\/[\w-]+\.ts:\d+:\d+$/m);
  assert.match(stdout, /Detached: the agent is removed/);
  assert.match(stdout, /live Timeout +\d+ → \d+ +heartbeat, timer and abort leaks/);
});

function unzip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Buffer>();
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
