import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPathMapper } from '../../src/sourcemap/pathMapping';
import { resolveSourcePath } from '../../src/sourcemap/sourcePaths';

test('relative sources resolve against the base directory, after sourceRoot', () => {
  assert.equal(resolveSourcePath('../src/a.ts', undefined, '/app/dist'), '/app/src/a.ts');
  assert.equal(resolveSourcePath('a.ts', 'lib/', '/app/dist'), '/app/dist/lib/a.ts');
  assert.equal(resolveSourcePath('/a.ts', '/root', '/app/dist'), '/root/a.ts');
  assert.equal(resolveSourcePath('a.ts', '/root/', '/app/dist'), '/root/a.ts');
  assert.equal(resolveSourcePath('../src/a.ts', undefined, undefined), '../src/a.ts');
});

test('absolute paths and file:// URLs become normalized paths', () => {
  assert.equal(resolveSourcePath('/app/src/../lib/a.ts', undefined, '/elsewhere'), '/app/lib/a.ts');
  assert.equal(resolveSourcePath('file:///app/src/a%20b.ts', undefined, '/elsewhere'), '/app/src/a b.ts');
  assert.equal(resolveSourcePath('src/a.ts', 'file:///app/', '/elsewhere'), '/app/src/a.ts');
});

test('scheme prefixes are stripped to the path they carry', () => {
  assert.equal(resolveSourcePath('webpack://game/./src/a.ts?9a1f', undefined, '/app'), '/app/src/a.ts');
  assert.equal(resolveSourcePath('webpack:///src/a.ts', undefined, '/app'), '/app/src/a.ts');
  assert.equal(resolveSourcePath('webpack:////abs/src/a.ts', undefined, '/app'), '/abs/src/a.ts');
  assert.equal(resolveSourcePath('./src/a.ts', 'webpack:///', '/app'), '/app/src/a.ts');
  assert.equal(resolveSourcePath('vite:src/a.ts', undefined, '/app'), '/app/src/a.ts');
});

test('path mapping replaces the longest matching whole-segment prefix', () => {
  const mapPath = createPathMapper({ '/app/': '/home/me/game/', '/app/vendor': '/opt/vendor', '/': '/mnt/root' });
  assert.equal(mapPath('/app/src/a.ts'), '/home/me/game/src/a.ts');
  assert.equal(mapPath('/app/vendor/x.js'), '/opt/vendor/x.js');
  assert.equal(mapPath('/app'), '/home/me/game');
  assert.equal(mapPath('/apple/a.ts'), '/mnt/root/apple/a.ts');
  assert.equal(createPathMapper({ '/app': '/home' })('/apple/a.ts'), '/apple/a.ts');
  assert.equal(createPathMapper({})('node:internal/timers'), 'node:internal/timers');
});
