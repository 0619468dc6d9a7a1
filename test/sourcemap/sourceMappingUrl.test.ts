import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDataUrl, findSourceMappingUrl } from '../../src/sourcemap/sourceMappingUrl';

test('finds the last sourceMappingURL comment line, //# or legacy //@', () => {
  assert.equal(findSourceMappingUrl('a();\n//# sourceMappingURL=old.js.map\nb();\n//# sourceMappingURL=app.js.map\n'), 'app.js.map');
  assert.equal(findSourceMappingUrl('a();\r\n  //@ sourceMappingURL=legacy.map\r\n'), 'legacy.map');
  assert.equal(findSourceMappingUrl('//# sourceMappingURL=first.map'), 'first.map');
});

test('ignores the pragma inside code and scripts without one', () => {
  assert.equal(findSourceMappingUrl('//# sourceMappingURL=real.map\nconst s = "//# sourceMappingURL=" + x;\n'), 'real.map');
  assert.equal(findSourceMappingUrl('const x = 1;\n'), undefined);
  assert.equal(findSourceMappingUrl('// sourceMappingURL=no-hash.map\n'), undefined);
});

test('decodes base64 data URLs, with or without a charset', () => {
  const json = '{"version":3,"sources":["é.ts"]}';
  const base64 = Buffer.from(json).toString('base64');
  assert.equal(decodeDataUrl(`data:application/json;base64,${base64}`), json);
  assert.equal(decodeDataUrl(`data:application/json;charset=utf-8;base64,${base64}`), json);
  assert.equal(decodeDataUrl(`data:application/json;charset:utf-8;base64,${base64}`), json);
});

test('decodes percent-encoded data URLs and rejects malformed ones', () => {
  const json = '{"version":3,"sources":["a b.ts"]}';
  assert.equal(decodeDataUrl(`data:application/json;charset=utf-8,${encodeURIComponent(json)}`), json);
  assert.throws(() => decodeDataUrl('data:application/json,%E0%A4%A'), URIError);
  assert.throws(() => decodeDataUrl('data:application/json'), /malformed data: URL/);
});
