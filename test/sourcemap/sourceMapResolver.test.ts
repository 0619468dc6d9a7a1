import * as assert from 'node:assert/strict';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isUserFrame, SourceMapResolver, type GeneratedFrame, type ResolvedLocation } from '../../src/sourcemap';
import { createFixture, DEP_JS, frameAt, MAIN_TS, positionOf, TICK_TS, type Fixture } from './fixtures';

let fixture: Fixture;
let linked: string;
let inline: string;

before(async () => {
  fixture = await createFixture();
  [linked, inline] = await Promise.all([fixture.build('linked'), fixture.build('inline', { sourcemap: 'inline' })]);
});
after(() => fixture.remove());

function assertMappedTo(location: ResolvedLocation, expectedPath: string, source: string, marker: string): void {
  assert.deepEqual(
    { mapped: location.mapped, path: location.path, line: location.line, column: location.column },
    { mapped: true, path: expectedPath, ...positionOf(source, marker) },
    location.mapped ? undefined : location.reason,
  );
}

function assertUnmapped(location: ResolvedLocation, frame: GeneratedFrame, expectedPath: string, reason: RegExp): void {
  assert.equal(location.mapped, false);
  assert.match(location.reason, reason);
  assert.equal(location.path, expectedPath);
  assert.equal(location.line, frame.lineNumber + 1);
  assert.equal(location.column, frame.columnNumber + 1);
  assert.equal(location.generated, frame);
}

/** A `readScript` that reads local files and counts its calls. */
function countingReader(): { readScript: (url: string) => Promise<string>; calls: string[] } {
  const calls: string[] = [];
  const readScript = (url: string): Promise<string> => {
    calls.push(url);
    return readFile(url, 'utf8');
  };
  return { calls, readScript };
}

describe('mapping', () => {
  test('maps a frame through a linked .map file to the 1-based TypeScript line and column', async () => {
    const resolver = new SourceMapResolver();
    assertMappedTo(await resolver.resolve(await frameAt(linked, 'setInterval(')), fixture.tickPath, TICK_TS, 'setInterval(');
    assertMappedTo(await resolver.resolve(await frameAt(linked, 'clearInterval(')), fixture.mainPath, MAIN_TS, 'clearInterval(');
    resolver.dispose();
  });

  test('maps through an inline base64 map', async () => {
    const resolver = new SourceMapResolver();
    assertMappedTo(await resolver.resolve(await frameAt(inline, 'setInterval(')), fixture.tickPath, TICK_TS, 'setInterval(');
    resolver.dispose();
  });

  test('a file:// URL maps like the plain path and shares its cache entry', async () => {
    const { readScript, calls } = countingReader();
    const resolver = new SourceMapResolver({ readScript: (url) => readScript(path.isAbsolute(url) ? url : new URL(url).pathname) });
    const fileUrl = pathToFileURL(linked).href;
    const viaUrl = await resolver.resolve(await frameAt(linked, 'setInterval(', fileUrl));
    const viaPath = await resolver.resolve(await frameAt(linked, 'setInterval('));
    assertMappedTo(viaUrl, fixture.tickPath, TICK_TS, 'setInterval(');
    assertMappedTo(viaPath, fixture.tickPath, TICK_TS, 'setInterval(');
    assert.equal(calls.length, 1);
    resolver.dispose();
  });

  test('reports the original identifier name when the map has one', async () => {
    const minified = await fixture.build('minified', { minifyIdentifiers: true });
    const script = await readFile(minified, 'utf8');
    const call = /\b\w+\(\) \* 1e3/.exec(script);
    assert.ok(call, 'minified call to helper() not found');
    const { line, column } = positionOf(script, call[0]);
    const resolver = new SourceMapResolver();
    const location = await resolver.resolve({ url: minified, lineNumber: line - 1, columnNumber: column - 1 });
    assertMappedTo(location, fixture.tickPath, TICK_TS, 'helper() * 1000');
    assert.equal(location.mapped && location.name, 'helper');
    resolver.dispose();
  });

  test('resolves sources against a relative sourceRoot, from the map directory', async () => {
    const rooted = await fixture.build('rooted', { sourceRoot: 'nested/deeper/' });
    const resolver = new SourceMapResolver();
    const location = await resolver.resolve(await frameAt(rooted, 'setInterval('));
    assertMappedTo(location, path.join(fixture.root, 'dist', 'nested', 'src', 'tick.ts'), TICK_TS, 'setInterval(');
    resolver.dispose();
  });

  test('resolves sources against a file:// sourceRoot', async () => {
    const sourceRoot = `${pathToFileURL(path.join(fixture.root, 'elsewhere', 'dist')).href}/`;
    const rooted = await fixture.build('file-rooted', { sourceRoot });
    const resolver = new SourceMapResolver();
    const location = await resolver.resolve(await frameAt(rooted, 'setInterval('));
    assertMappedTo(location, path.join(fixture.root, 'elsewhere', 'src', 'tick.ts'), TICK_TS, 'setInterval(');
    resolver.dispose();
  });

  test('strips webpack:// prefixes to map-relative paths, which a path mapping can redirect', async () => {
    const script = await fixture.build('webpack');
    const map = JSON.parse(await readFile(`${script}.map`, 'utf8')) as { sources: string[] };
    map.sources = map.sources.map((source) => `webpack://game-server/${source.replace('../', './')}?ts-loader`);
    await writeFile(`${script}.map`, JSON.stringify(map));
    const frame = await frameAt(script, 'setInterval(');

    const plain = new SourceMapResolver();
    assertMappedTo(await plain.resolve(frame), path.join(fixture.root, 'dist', 'src', 'tick.ts'), TICK_TS, 'setInterval(');
    plain.dispose();
    const redirected = new SourceMapResolver({ pathMapping: { [path.join(fixture.root, 'dist', 'src')]: path.join(fixture.root, 'src') } });
    assertMappedTo(await redirected.resolve(frame), fixture.tickPath, TICK_TS, 'setInterval(');
    redirected.dispose();
  });

  test('path mapping: frames of a container path resolve to the local checkout', async () => {
    const resolver = new SourceMapResolver({ pathMapping: { '/app/': `${fixture.root}/` } });
    const frame = await frameAt(linked, 'setInterval(', '/app/dist/linked.js');
    assertMappedTo(await resolver.resolve(frame), fixture.tickPath, TICK_TS, 'setInterval(');
    const uncovered = { ...frame, lineNumber: 9999 };
    assertUnmapped(await resolver.resolve(uncovered), uncovered, linked, /no mapping for line 10000/);
    resolver.dispose();
  });

  test('readScript fetches remote scripts; relative sources are resolved then path-mapped', async () => {
    const calls: string[] = [];
    const resolver = new SourceMapResolver({
      readScript: async (url) => {
        calls.push(url);
        return readFile(inline, 'utf8');
      },
      pathMapping: { '/srv/game': fixture.root },
    });
    const frame = await frameAt(inline, 'setInterval(', '/srv/game/dist/inline.js');
    assertMappedTo(await resolver.resolve(frame), fixture.tickPath, TICK_TS, 'setInterval(');
    assert.deepEqual(calls, ['/srv/game/dist/inline.js']);
    resolver.dispose();
  });

  test('resolveStack maps every frame, loading each script once even when asked concurrently', async () => {
    const { readScript, calls } = countingReader();
    const resolver = new SourceMapResolver({ readScript });
    const frames = [
      await frameAt(linked, 'setInterval('),
      { url: 'node:internal/timers', lineNumber: 10, columnNumber: 4 },
      await frameAt(linked, 'clearInterval('),
      await frameAt(inline, 'clearInterval('),
    ];
    const [stack, again] = await Promise.all([resolver.resolveStack(frames), resolver.resolveStack(frames)]);
    assert.deepEqual(again, stack);
    assertMappedTo(stack[0], fixture.tickPath, TICK_TS, 'setInterval(');
    assert.equal(stack[1].mapped, false);
    assertMappedTo(stack[2], fixture.mainPath, MAIN_TS, 'clearInterval(');
    assertMappedTo(stack[3], fixture.mainPath, MAIN_TS, 'clearInterval(');
    assert.deepEqual(calls.sort(), [inline, linked].sort());
    resolver.dispose();
  });

  test('isUserFrame: own sources yes; bundled node_modules and Node internals no', async () => {
    const resolver = new SourceMapResolver();
    const [own, dependency, internal] = await resolver.resolveStack([
      await frameAt(linked, 'setInterval('),
      await frameAt(linked, 'setTimeout('),
      { url: 'node:internal/timers', lineNumber: 1, columnNumber: 1 },
    ]);
    assertMappedTo(dependency, fixture.depPath, DEP_JS, 'setTimeout(');
    assert.deepEqual([own, dependency, internal].map(isUserFrame), [true, false, false]);
    resolver.dispose();
  });
});

describe('sourcesContent', () => {
  test('is available by resolved source path once the map is loaded', async () => {
    const resolver = new SourceMapResolver();
    assert.equal(await resolver.getSourceContent(fixture.tickPath), undefined);
    await resolver.resolve(await frameAt(linked, 'setInterval('));
    assert.equal(await resolver.getSourceContent(fixture.tickPath), TICK_TS);
    assert.equal(await resolver.getSourceContent(fixture.mainPath), MAIN_TS);
    resolver.dispose();
  });

  test('is absent when the map does not embed sources', async () => {
    const bare = await fixture.build('bare', { sourcesContent: false });
    const resolver = new SourceMapResolver();
    assertMappedTo(await resolver.resolve(await frameAt(bare, 'setInterval(')), fixture.tickPath, TICK_TS, 'setInterval(');
    assert.equal(await resolver.getSourceContent(fixture.tickPath), undefined);
    resolver.dispose();
  });
});

describe('caching', () => {
  test('a second lookup does not re-read; invalidate does', async () => {
    const script = await fixture.build('cached');
    const frame = await frameAt(script, 'setInterval(');
    const resolver = new SourceMapResolver();
    assert.equal((await resolver.resolve(frame)).mapped, true);
    await rm(`${script}.map`);
    assertMappedTo(await resolver.resolve(frame), fixture.tickPath, TICK_TS, 'setInterval(');
    resolver.invalidate(pathToFileURL(script).href);
    assertUnmapped(await resolver.resolve(frame), frame, script, /^cannot read source map .*cached\.js\.map: ENOENT/);
    resolver.dispose();
  });

  test('dispose frees every map; the resolver reloads on demand', async () => {
    const { readScript, calls } = countingReader();
    const resolver = new SourceMapResolver({ readScript });
    const frame = await frameAt(linked, 'setInterval(');
    await resolver.resolve(frame);
    resolver.dispose();
    assertMappedTo(await resolver.resolve(frame), fixture.tickPath, TICK_TS, 'setInterval(');
    assert.equal(calls.length, 2);
    resolver.dispose();
  });
});

describe('fallback to the generated location', () => {
  /** Writes a copy of the linked bundle whose map is `mapText` (or none, when undefined). */
  async function bundleWithMap(name: string, mapText: string | undefined): Promise<string> {
    const script = path.join(fixture.root, 'dist', `${name}.js`);
    const source = await readFile(linked, 'utf8');
    await writeFile(script, source.replace('sourceMappingURL=linked.js.map', `sourceMappingURL=${name}.js.map`));
    if (mapText !== undefined) await writeFile(`${script}.map`, mapText);
    return script;
  }

  async function resolveMarker(script: string, options = {}): Promise<[ResolvedLocation, GeneratedFrame]> {
    const frame = await frameAt(script, 'setInterval(');
    const resolver = new SourceMapResolver(options);
    const location = await resolver.resolve(frame);
    resolver.dispose();
    return [location, frame];
  }

  test('missing .map file', async () => {
    const script = await bundleWithMap('no-map-file', undefined);
    const [location, frame] = await resolveMarker(script);
    assertUnmapped(location, frame, script, new RegExp(`^cannot read source map ${script}\\.map: ENOENT`));
  });

  test('truncated JSON', async () => {
    const mapText = await readFile(`${linked}.map`, 'utf8');
    const script = await bundleWithMap('truncated', mapText.slice(0, mapText.length / 2));
    const [location, frame] = await resolveMarker(script);
    assertUnmapped(location, frame, script, new RegExp(`^source map ${script}\\.map is not valid JSON: `));
  });

  test('wrong version', async () => {
    const map = JSON.parse(await readFile(`${linked}.map`, 'utf8')) as { version: number };
    const script = await bundleWithMap('version-2', JSON.stringify({ ...map, version: 2 }));
    const [location, frame] = await resolveMarker(script);
    assertUnmapped(location, frame, script, /has unsupported version 2$/);
  });

  test('indexed map (sections)', async () => {
    const script = await bundleWithMap('sectioned', JSON.stringify({ version: 3, sections: [] }));
    const [location, frame] = await resolveMarker(script);
    assertUnmapped(location, frame, script, /is an indexed source map \(sections\), which is not supported$/);
  });

  test('corrupt mappings', async () => {
    const map = JSON.parse(await readFile(`${linked}.map`, 'utf8')) as { mappings: string };
    const script = await bundleWithMap('bad-mappings', JSON.stringify({ ...map, mappings: map.mappings.replace(/[A-Z]/g, '/') }));
    const [location, frame] = await resolveMarker(script);
    assertUnmapped(location, frame, script, /has corrupt mappings: /);
  });

  test('maps above the size limit, linked or inline', async () => {
    const [fromFile, frame] = await resolveMarker(linked, { maxSourceMapBytes: 100 });
    assertUnmapped(fromFile, frame, linked, new RegExp(`^source map ${linked}\\.map is \\d+ bytes, above the limit of 100; skipped$`));
    const [fromInline, inlineFrame] = await resolveMarker(inline, { maxSourceMapBytes: 100 });
    assertUnmapped(fromInline, inlineFrame, inline, /^inline source map of .* above the limit of 100; skipped$/);
  });

  test('no sourceMappingURL comment', async () => {
    const script = path.join(fixture.root, 'dist', 'plain.js');
    await writeFile(script, (await readFile(linked, 'utf8')).replace(/\/\/# sourceMappingURL=.*/, ''));
    const [location, frame] = await resolveMarker(script);
    assertUnmapped(location, frame, script, new RegExp(`^no sourceMappingURL in ${script}$`));
  });

  test('sourceMappingURL that is not a local file', async () => {
    const script = path.join(fixture.root, 'dist', 'remote-map.js');
    await writeFile(script, (await readFile(linked, 'utf8')).replace('sourceMappingURL=linked.js.map', 'sourceMappingURL=https://cdn.example/linked.js.map'));
    const [location, frame] = await resolveMarker(script);
    assertUnmapped(location, frame, script, /^source map https:\/\/cdn\.example\/linked\.js\.map of .* is not a local file$/);
  });

  test('missing script', async () => {
    const frame = { url: path.join(fixture.root, 'dist', 'gone.js'), lineNumber: 3, columnNumber: 7 };
    const resolver = new SourceMapResolver();
    assertUnmapped(await resolver.resolve(frame), frame, frame.url, /^cannot read script .*gone\.js: ENOENT/);
  });

  test('frames without a valid 0-based position are not looked up', async () => {
    const { readScript, calls } = countingReader();
    const resolver = new SourceMapResolver({ readScript });
    for (const frame of [
      { url: linked, lineNumber: -1, columnNumber: 0 },
      { url: linked, lineNumber: 3, columnNumber: -1 },
      { url: linked, lineNumber: 2.5, columnNumber: 0 },
    ]) {
      assertUnmapped(await resolver.resolve(frame), frame, linked, /^invalid position: line \S+ column \S+ \(0-based\)$/);
    }
    assert.deepEqual(calls, []);
  });

  test('Node internal frames are returned as they are without reading anything', async () => {
    const { readScript, calls } = countingReader();
    const resolver = new SourceMapResolver({ readScript });
    const frame = { url: 'node:internal/timers', lineNumber: 593, columnNumber: 16 };
    assertUnmapped(await resolver.resolve(frame), frame, 'node:internal/timers', /^Node internal frame$/);
    assert.deepEqual(calls, []);
  });

  test('a URL that names no file is never looked up on disk, even relative to the cwd', async () => {
    const cwd = process.cwd();
    process.chdir(path.join(fixture.root, 'dist'));
    try {
      await copyFile('linked.js', 'relative.js');
      const frame = await frameAt(linked, 'setInterval(', 'relative.js');
      const resolver = new SourceMapResolver();
      assertUnmapped(await resolver.resolve(frame), frame, 'relative.js', /^cannot read script relative\.js: not a local file$/);
    } finally {
      process.chdir(cwd);
    }
  });
});
