/**
 * A byte-level, resumable tokenizer of the `.heapsnapshot` JSON. It is fed chunks of any size
 * (a chunk may end anywhere: inside a number, an escape or a multi-byte UTF-8 character) and
 * never holds more than one chunk plus one string: the `snapshot` header is captured and
 * JSON.parse'd alone, numbers go to typed-array sinks (nested arrays of numbers, `trace_tree`,
 * to a sink that takes the brackets too), each string's bytes go to the string table, and the
 * sections not needed (unknown keys) are skipped.
 */
import { HeapSnapshotParseError } from './parseError';
import type { NumberSink, SnapshotHeader } from './sinks';
import type { StringTable } from './stringTable';

/** What the tokenizer asks of the parser at each top-level key. */
export interface SectionHandler {
  onHeader(header: SnapshotHeader, offset: number): void;
  /** The sink for a number array under `key`, or undefined if it is not one. */
  numberArray(key: string, offset: number): NumberSink | undefined;
  /** The table for a string array under `key`, or undefined (the value is skipped). */
  stringArray(key: string, offset: number): StringTable | undefined;
}

const enum Mode {
  TopOpen,
  TopKey,
  Key,
  Colon,
  AfterValue,
  Done,
  Value,
  NumbersOpen,
  Numbers,
  StringsOpen,
  StringsBetween,
  String,
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function describe(c: number): string {
  return c >= 32 && c < 127 ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

export class SnapshotTokenizer {
  private mode = Mode.TopOpen;
  /** Bytes consumed before the current chunk. */
  private base = 0;
  private firstKey = true;
  private key: number[] = [];
  private keyEscape = false;

  // A generic value (skipped, or captured for the header).
  private capture: Buffer[] | undefined;
  private depth = 0;
  private inString = false;
  private stringEscape = false;
  private scalar = false;

  // Number arrays.
  private sink: NumberSink | undefined;
  private value = 0;
  private digits = 0;
  /** A value was just completed and no comma followed it yet. */
  private afterNumber = false;
  /** A comma was just seen: the array may not close here. */
  private afterComma = false;
  /** Arrays open inside a nested number array. */
  private nesting = 0;

  // String arrays.
  private table: StringTable | undefined;
  /** 0: none; 1: after a backslash; 2-5: hex digits of \u still to come. */
  private escape = 0;
  private escaped = false;
  private afterString = false;

  constructor(private readonly handler: SectionHandler) {}

  /** Bytes consumed so far. */
  get offset(): number {
    return this.base;
  }

  write(chunk: Uint8Array): void {
    let i = 0;
    const length = chunk.length;
    while (i < length) {
      switch (this.mode) {
        case Mode.TopOpen:
          i = this.skipSpace(chunk, i);
          if (i < length) {
            this.expect(chunk[i], OPEN_BRACE, i, 'the file does not start with "{"');
            this.mode = Mode.TopKey;
            i++;
          }
          break;
        case Mode.TopKey:
          i = this.skipSpace(chunk, i);
          if (i < length) {
            const c = chunk[i];
            if (c === CLOSE_BRACE && this.firstKey) this.mode = Mode.Done;
            else {
              this.expect(c, QUOTE, i, 'expected a key');
              this.mode = Mode.Key;
              this.key = [];
            }
            i++;
          }
          break;
        case Mode.Key:
          i = this.readKey(chunk, i);
          break;
        case Mode.Colon:
          i = this.skipSpace(chunk, i);
          if (i < length) {
            this.expect(chunk[i], COLON, i, 'expected ":"');
            this.startValue(i + 1);
            i++;
          }
          break;
        case Mode.AfterValue:
          i = this.skipSpace(chunk, i);
          if (i < length) {
            const c = chunk[i];
            if (c === CLOSE_BRACE) this.mode = Mode.Done;
            else if (c === COMMA) {
              this.firstKey = false;
              this.mode = Mode.TopKey;
            } else this.fail(`expected "," or "}" after the value of "${this.keyText()}", got ${describe(c)}`, i);
            i++;
          }
          break;
        case Mode.Done:
          i = this.skipSpace(chunk, i);
          if (i < length) this.fail(`unexpected ${describe(chunk[i])} after the end of the snapshot`, i);
          break;
        case Mode.Value:
          i = this.scanValue(chunk, i);
          break;
        case Mode.NumbersOpen:
        case Mode.StringsOpen:
          i = this.skipSpace(chunk, i);
          if (i < length) {
            this.expect(chunk[i], OPEN_BRACKET, i, `expected "[" to open "${this.keyText()}"`);
            if (this.mode === Mode.NumbersOpen) {
              this.mode = Mode.Numbers;
              this.afterNumber = this.afterComma = false;
              this.value = this.digits = this.nesting = 0;
            } else {
              this.mode = Mode.StringsBetween;
              this.afterString = this.afterComma = false;
            }
            i++;
          }
          break;
        case Mode.Numbers:
          i = this.scanNumbers(chunk, i);
          break;
        case Mode.StringsBetween:
          i = this.scanBetweenStrings(chunk, i);
          break;
        case Mode.String:
          i = this.scanString(chunk, i);
          break;
      }
    }
    this.base += length;
  }

  /** The input is over: throws unless the snapshot was complete. */
  end(): void {
    if (this.mode === Mode.Done) return;
    const where =
      this.mode === Mode.TopOpen ? 'the file is empty'
      : this.mode === Mode.TopKey || this.mode === Mode.Key || this.mode === Mode.Colon || this.mode === Mode.AfterValue ? 'the file ends before the closing "}"'
      : `the file ends inside "${this.keyText()}"`;
    throw new HeapSnapshotParseError(`truncated: ${where}`, this.base);
  }

  private readKey(chunk: Uint8Array, start: number): number {
    for (let i = start; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.keyEscape) this.keyEscape = false;
      else if (c === BACKSLASH) this.keyEscape = true;
      else if (c === QUOTE) {
        this.mode = Mode.Colon;
        return i + 1;
      }
      if (this.key.length > 256) this.fail('a key longer than 256 bytes', i);
      this.key.push(c);
    }
    return chunk.length;
  }

  private keyText(): string {
    return Buffer.from(this.key).toString('utf8');
  }

  private startValue(offset: number): void {
    const key = this.keyText();
    const absolute = this.base + offset;
    if (key === 'snapshot') {
      this.beginValue([]);
      return;
    }
    const sink = this.handler.numberArray(key, absolute);
    if (sink) {
      this.sink = sink;
      this.mode = Mode.NumbersOpen;
      return;
    }
    const table = this.handler.stringArray(key, absolute);
    if (table) {
      this.table = table;
      this.mode = Mode.StringsOpen;
      return;
    }
    this.beginValue(undefined);
  }

  private beginValue(capture: Buffer[] | undefined): void {
    this.capture = capture;
    this.depth = 0;
    this.inString = this.stringEscape = this.scalar = false;
    this.mode = Mode.Value;
  }

  /** Skips (or captures) one JSON value of any kind. */
  private scanValue(chunk: Uint8Array, start: number): number {
    let i = start;
    if (this.depth === 0 && !this.inString && !this.scalar) {
      i = this.skipSpace(chunk, i);
      if (i === chunk.length) return i;
    }
    const from = i;
    let done = false;
    for (; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inString) {
        if (this.stringEscape) this.stringEscape = false;
        else if (c === BACKSLASH) this.stringEscape = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.depth === 0) {
            i++;
            done = true;
            break;
          }
        }
      } else if (this.scalar) {
        if (c === COMMA || c === CLOSE_BRACE || isSpace(c)) {
          done = true;
          break;
        }
      } else if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === 0) this.fail(`unexpected ${describe(c)}`, i);
        if (--this.depth === 0) {
          i++;
          done = true;
          break;
        }
      } else if (this.depth === 0) {
        if (c === COMMA) this.fail(`"${this.keyText()}" has no value`, i);
        this.scalar = true;
      }
    }
    this.capture?.push(Buffer.from(chunk.subarray(from, i)));
    if (done) this.finishValue(i);
    return i;
  }

  private finishValue(offset: number): void {
    if (this.capture) {
      const text = Buffer.concat(this.capture).toString('utf8');
      this.capture = undefined;
      let header: SnapshotHeader;
      try {
        header = JSON.parse(text) as SnapshotHeader;
      } catch (error) {
        this.fail(`the "snapshot" header is not valid JSON (${(error as Error).message})`, offset);
      }
      this.handler.onHeader(header, this.base + offset);
    }
    this.mode = Mode.AfterValue;
  }

  /** The hot loop: unsigned integers separated by commas, straight into the sink. */
  private scanNumbers(chunk: Uint8Array, start: number): number {
    const sink = this.sink as NumberSink;
    let value = this.value;
    let digits = this.digits;
    let afterNumber = this.afterNumber;
    const length = chunk.length;
    let i = start;
    for (; i < length; i++) {
      const c = chunk[i];
      if (c >= 48 && c <= 57) {
        if (digits === 0 && afterNumber) this.fail('missing "," between two numbers', i);
        value = value * 10 + (c - 48);
        digits++;
        continue;
      }
      if (digits !== 0) {
        sink.put(value, this.base + i);
        value = 0;
        digits = 0;
        afterNumber = true;
        this.afterComma = false;
      }
      if (c === COMMA) {
        if (!afterNumber) this.fail(`unexpected "," in "${this.keyText()}"`, i);
        afterNumber = false;
        this.afterComma = true;
      } else if (c === OPEN_BRACKET && sink.open) {
        if (afterNumber) this.fail(`missing "," before "[" in "${this.keyText()}"`, i);
        sink.open(this.base + i);
        this.nesting++;
        this.afterComma = false;
      } else if (c === CLOSE_BRACKET) {
        if (this.afterComma) this.fail(`"]" right after "," in "${this.keyText()}"`, i);
        if (this.nesting > 0) {
          // The inner array is one value of the outer one: a comma or "]" must follow.
          (sink.close as (offset: number) => void)(this.base + i);
          this.nesting--;
          afterNumber = true;
          continue;
        }
        sink.finish(this.base + i);
        this.mode = Mode.AfterValue;
        i++;
        break;
      } else if (!isSpace(c)) {
        this.fail(`unexpected ${describe(c)} in the number array "${this.keyText()}"`, i);
      }
    }
    this.value = value;
    this.digits = digits;
    this.afterNumber = afterNumber;
    return i;
  }

  private scanBetweenStrings(chunk: Uint8Array, start: number): number {
    for (let i = start; i < chunk.length; i++) {
      const c = chunk[i];
      if (isSpace(c)) continue;
      if (c === QUOTE) {
        if (this.afterString) this.fail('missing "," between two strings', i);
        (this.table as StringTable).begin();
        this.escape = 0;
        this.escaped = false;
        this.mode = Mode.String;
        return i + 1;
      }
      if (c === COMMA && this.afterString) {
        this.afterString = false;
        this.afterComma = true;
      } else if (c === CLOSE_BRACKET && !this.afterComma) {
        this.mode = Mode.AfterValue;
        return i + 1;
      } else this.fail(`unexpected ${describe(c)} in the string array "${this.keyText()}"`, i);
    }
    return chunk.length;
  }

  /** One string's bytes, copied raw; escapes are checked here and decoded on demand. */
  private scanString(chunk: Uint8Array, start: number): number {
    const table = this.table as StringTable;
    for (let i = start; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.escape === 0) {
        if (c === QUOTE) {
          table.append(chunk, start, i);
          table.end(this.escaped);
          this.afterString = true;
          this.afterComma = false;
          this.mode = Mode.StringsBetween;
          return i + 1;
        }
        if (c === BACKSLASH) {
          this.escape = 1;
          this.escaped = true;
        } else if (c < 32) this.fail(`a control character (${describe(c)}) inside a string`, i);
      } else if (this.escape === 1) {
        if (c === 117) this.escape = 5;
        else if (c === QUOTE || c === BACKSLASH || c === 47 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116) this.escape = 0;
        else this.fail(`invalid escape "\\${String.fromCharCode(c)}" in a string`, i);
      } else {
        if (!isHex(c)) this.fail(`invalid \\u escape in a string (${describe(c)} is not a hex digit)`, i);
        this.escape = this.escape === 2 ? 0 : this.escape - 1;
      }
    }
    table.append(chunk, start, chunk.length);
    return chunk.length;
  }

  private skipSpace(chunk: Uint8Array, start: number): number {
    let i = start;
    while (i < chunk.length && isSpace(chunk[i])) i++;
    return i;
  }

  private expect(c: number, wanted: number, at: number, message: string): void {
    if (c !== wanted) this.fail(`${message}, got ${describe(c)}`, at);
  }

  private fail(message: string, at: number): never {
    throw new HeapSnapshotParseError(message, this.base + at);
  }
}
