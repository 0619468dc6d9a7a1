/**
 * The snapshot's `strings` section, kept as the raw (still JSON-escaped) UTF-8 bytes of each
 * string in large blocks, decoded to a JS string only when asked. A snapshot's strings can be
 * far longer than V8's maximum string length, and most of them (names of single objects) are
 * never looked at by a summary.
 */
const BLOCK_BITS = 23;
const BLOCK_SIZE = 1 << BLOCK_BITS;

export class StringTable {
  private blocks: Buffer[] = [Buffer.allocUnsafe(BLOCK_SIZE)];
  private used = 0;
  /** Per string: block index × 2^23 + offset in the block. */
  private starts = new Float64Array(1 << 16);
  private lengths = new Uint32Array(1 << 16);
  /** Per string: 1 when its bytes contain a backslash escape. */
  private escaped = new Uint8Array(1 << 16);
  private size = 0;
  private openStart = -1;
  private cache = new Map<number, string>();

  get count(): number {
    return this.size;
  }

  /** Starts a string; its bytes follow through `append`, then `end`. */
  begin(): void {
    this.openStart = this.used;
  }

  append(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    let block = this.blocks[this.blocks.length - 1];
    if (this.used + length > block.length) {
      // The string moves whole to a fresh block (its own, if it is bigger than a block).
      const partial = this.used - this.openStart;
      // Doubling, so a huge string arriving in many small pieces is not copied over and over.
      const fresh = Buffer.allocUnsafe(Math.max(BLOCK_SIZE, 2 * (partial + length)));
      block.copy(fresh, 0, this.openStart, this.used);
      this.blocks.push(fresh);
      block = fresh;
      this.openStart = 0;
      this.used = partial;
    }
    block.set(source.subarray(start, end), this.used);
    this.used += length;
  }

  end(hasEscape: boolean): void {
    if (this.size === this.starts.length) this.grow();
    const blockIndex = this.blocks.length - 1;
    this.starts[this.size] = blockIndex * BLOCK_SIZE + this.openStart;
    this.lengths[this.size] = this.used - this.openStart;
    this.escaped[this.size] = hasEscape ? 1 : 0;
    this.size++;
    // A big string keeps its own block; later strings go to a new one.
    if (this.blocks[blockIndex].length > BLOCK_SIZE) {
      this.blocks.push(Buffer.allocUnsafe(BLOCK_SIZE));
      this.used = 0;
    }
  }

  get(index: number): string {
    let value = this.cache.get(index);
    if (value === undefined) {
      const [block, start, end] = this.location(index);
      value = this.escaped[index] ? decodeJsonString(block, start, end) : block.toString('utf8', start, end);
      this.cache.set(index, value);
    }
    return value;
  }

  /** Byte length of the string as stored (escapes undecoded). */
  storedLength(index: number): number {
    return this.lengths[index];
  }

  /** Indexes of every string equal to `value` (a snapshot may hold duplicates). */
  indexesOf(value: string): number[] {
    const bytes = Buffer.from(value, 'utf8');
    const found: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (this.escaped[i]) {
        if (this.get(i) === value) found.push(i);
      } else if (this.lengths[i] === bytes.length) {
        const [block, start, end] = this.location(i);
        if (bytes.equals(block.subarray(start, end))) found.push(i);
      }
    }
    return found;
  }

  /** Releases the unused tail of the arrays once parsing is over. */
  trim(): void {
    this.starts = this.starts.slice(0, this.size);
    this.lengths = this.lengths.slice(0, this.size);
    this.escaped = this.escaped.slice(0, this.size);
    const last = this.blocks.length - 1;
    this.blocks[last] = Buffer.from(this.blocks[last].subarray(0, this.used));
  }

  /** Frees the bytes; only for a caller that is done with every string. */
  release(): void {
    this.blocks = [];
    this.starts = new Float64Array(0);
    this.lengths = new Uint32Array(0);
    this.escaped = new Uint8Array(0);
    this.cache = new Map();
    this.size = 0;
  }

  private location(index: number): [Buffer, number, number] {
    const position = this.starts[index];
    const blockIndex = Math.floor(position / BLOCK_SIZE);
    const start = position - blockIndex * BLOCK_SIZE;
    return [this.blocks[blockIndex], start, start + this.lengths[index]];
  }

  private grow(): void {
    const capacity = this.starts.length * 2;
    const starts = new Float64Array(capacity);
    starts.set(this.starts);
    const lengths = new Uint32Array(capacity);
    lengths.set(this.lengths);
    const escaped = new Uint8Array(capacity);
    escaped.set(this.escaped);
    this.starts = starts;
    this.lengths = lengths;
    this.escaped = escaped;
  }
}

const SIMPLE_ESCAPES: Record<number, string> = { 34: '"', 92: '\\', 47: '/', 98: '\b', 102: '\f', 110: '\n', 114: '\r', 116: '\t' };

/**
 * Decodes the bytes between the quotes of a JSON string (already validated by the tokenizer)
 * exactly as JSON.parse would: `\uXXXX` yields UTF-16 code units, so a surrogate pair becomes
 * one character and a lone surrogate stays as it is.
 */
export function decodeJsonString(bytes: Uint8Array, start: number, end: number): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out = '';
  let run = start;
  for (let i = start; i < end; i++) {
    if (bytes[i] !== 92) continue;
    if (i > run) out += buffer.toString('utf8', run, i);
    const kind = bytes[i + 1];
    if (kind === 117) {
      out += String.fromCharCode(parseInt(buffer.toString('latin1', i + 2, i + 6), 16));
      i += 5;
    } else {
      out += SIMPLE_ESCAPES[kind];
      i += 1;
    }
    run = i + 1;
  }
  if (end > run) out += buffer.toString('utf8', run, end);
  return out;
}
