/**
 * The agent formats a creation stack lazily, through `prepareStackTrace`, on first access. A
 * stack someone read before (an inspector preview of the holder materialises it: V8 evaluates
 * native accessors for previews) is V8's text by then; it must give the same frames, or the
 * resource loses its creation line (seen as timers "located at their callback" in CI).
 */
import assert from 'node:assert/strict';
import { Session } from 'node:inspector/promises';
import { test } from 'node:test';
import * as vm from 'node:vm';
import { forgetKnownStacks, readStack, type StackHolder } from '../../src/agent/stacks';

/** Compiled here rather than by tsx, so V8's text carries the same positions as the call sites. */
const ROOM_JS = '/virtual/room.js';
const captureBoth = vm.runInThisContext(
  `function wrapper(lazy, read) {
  Error.captureStackTrace(lazy, wrapper);
  Error.captureStackTrace(read, wrapper);
}
(function createRooms(lazy, read) {
  return [0].map(function join() {
    return wrapper(lazy, read);
  });
})`,
  { filename: ROOM_JS },
) as (lazy: StackHolder, read: StackHolder) => unknown[];

function capture(): [StackHolder, StackHolder] {
  const lazy: StackHolder = {};
  const read: StackHolder = {};
  captureBoth(lazy, read);
  return [lazy, read];
}

test('a stack previewed by the inspector before the agent formats it keeps its frames', async () => {
  const [lazy, read] = capture();
  const session = new Session();
  session.connect();
  try {
    (globalThis as { previewed?: unknown }).previewed = read;
    const { result } = await session.post('Runtime.evaluate', { expression: 'previewed', generatePreview: true });
    assert.equal(result.preview?.properties.find((property) => property.name === 'stack')?.type, 'string', 'the preview read the stack');
  } finally {
    delete (globalThis as { previewed?: unknown }).previewed;
    session.disconnect();
  }
  assert.equal(typeof read.stack, 'string', 'V8 formatted it as text');

  // The text first, then the lazy stack with the cache of known stacks emptied: each read builds its own frames.
  const parsed = readStack(read)?.frames ?? [];
  forgetKnownStacks();
  const expected = readStack(lazy)?.frames ?? [];
  assert.ok(expected.length >= 3, JSON.stringify(expected));
  // Above the wrapper (as the agent's are): join, Array.prototype.map (native: no url, dropped), createRooms.
  assert.deepEqual(expected.slice(0, 2).map(({ functionName, url, line }) => `${functionName} ${url}:${line}`), [`join ${ROOM_JS}:7`, `createRooms ${ROOM_JS}:6`]);
  // Only the vm script's frames: tsx source-maps the text of this file's own frames.
  const positions = (frames: typeof expected) => frames.filter(({ url }) => url === ROOM_JS).map(({ url, line, column }) => ({ url, line, column }));
  assert.deepEqual(positions(parsed), positions(expected));
  assert.equal(parsed.length, expected.length, 'no frame lost or added (the native map frame dropped alike)');
  assert.deepEqual(parsed.slice(0, 2).map(({ functionName }) => functionName), ['join', 'createRooms']);
});
