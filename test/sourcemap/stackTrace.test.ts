import * as assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { isUserFrame, parseV8StackTrace, SourceMapResolver, type ResolvedLocation } from '../../src/sourcemap';
import { createFixture, MAIN_TS, positionOf, TICK_TS, type Fixture } from './fixtures';

let fixture: Fixture;
before(async () => (fixture = await createFixture()));
after(() => fixture.remove());

test('parses V8 stack lines into 0-based frames, skipping lines without a position', () => {
  const stack = [
    'Error: boom',
    '    at Timeout.tick [as _onTimeout] (/app/dist/server.js:12:34)',
    '    at /app/dist/server.js:5:1',
    '    at new Battle (file:///app/dist/server.js:3:9)',
    '    at async Promise.all (index 0)',
    '    at new Promise (<anonymous>)',
    '    at listOnTimeout (node:internal/timers:581:17)',
    '    at C:\\game\\dist\\server.js:7:2',
    '    at load (/x/my (copy)/a.js:1:2)',
  ].join('\n');
  assert.deepEqual(parseV8StackTrace(stack), [
    { url: '/app/dist/server.js', lineNumber: 11, columnNumber: 33, functionName: 'Timeout.tick [as _onTimeout]' },
    { url: '/app/dist/server.js', lineNumber: 4, columnNumber: 0 },
    { url: 'file:///app/dist/server.js', lineNumber: 2, columnNumber: 8, functionName: 'new Battle' },
    { url: 'node:internal/timers', lineNumber: 580, columnNumber: 16, functionName: 'listOnTimeout' },
    { url: 'C:\\game\\dist\\server.js', lineNumber: 6, columnNumber: 1 },
    { url: '/x/my (copy)/a.js', lineNumber: 0, columnNumber: 1, functionName: 'load' },
  ]);
});

test('a real Error.stack from a bundle maps back to the TypeScript creation site', async () => {
  const script = await fixture.build('stack');
  // tsx turns on Node's own stack mapping; a target process normally runs without it.
  const sourceMapsEnabled = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  let stack;
  try {
    const { run } = createRequire(__filename)(script) as { run: () => string };
    stack = run();
  } finally {
    process.setSourceMapsEnabled(sourceMapsEnabled);
  }
  const frames = parseV8StackTrace(stack);
  assert.deepEqual(
    frames.slice(0, 2).map((frame) => [frame.url, frame.functionName]),
    [
      [script, 'captureStack'],
      [script, 'run'],
    ],
  );

  const resolver = new SourceMapResolver();
  const locations = await resolver.resolveStack(frames);
  const [creation, caller] = locations;
  const where = ({ path, line, column }: ResolvedLocation) => ({ path, line, column });
  assert.deepEqual(where(creation), { path: fixture.tickPath, ...positionOf(TICK_TS, 'new Error(') });
  assert.deepEqual(where(caller), { path: fixture.mainPath, ...positionOf(MAIN_TS, 'captureStack();') });
  const internal = locations.find((location) => location.generated.url.startsWith('node:'));
  assert.ok(internal, 'expected a node: frame below the test');
  assert.equal(isUserFrame(internal), false);
  assert.equal(locations.find(isUserFrame), creation);
  resolver.dispose();
});
