import type { GeneratedFrame } from './frames';

const FRAME_LINE = /^\s*at (?:(.*?) \((.*)\)|(.*))$/;
const POSITION = /^(.*):(\d+):(\d+)$/;

/**
 * The frames of V8 `Error.stack` text, converted from its 1-based line and column to the CDP
 * convention (0-based) that `SourceMapResolver` takes. Lines without a position — the message,
 * native frames such as `at Promise.all (index 0)` — are skipped.
 */
export function parseV8StackTrace(stack: string): GeneratedFrame[] {
  const frames: GeneratedFrame[] = [];
  for (const line of stack.split('\n')) {
    const frame = FRAME_LINE.exec(line);
    const position = frame && POSITION.exec(frame[2] ?? frame[3]);
    if (!frame || !position) continue;
    const parsed: GeneratedFrame = { url: position[1], lineNumber: Number(position[2]) - 1, columnNumber: Number(position[3]) - 1 };
    if (frame[1] !== undefined) parsed.functionName = frame[1];
    frames.push(parsed);
  }
  return frames;
}
