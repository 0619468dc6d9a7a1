/** The streaming .heapsnapshot parser: chunk boundaries anywhere, escapes, big string sections, broken files. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HeapSnapshotParseError } from '../../src/heap';
import { parseHeapSnapshotChunks, parseHeapSnapshotFile } from '../../src/heap/parser/parseSnapshot';
import { syntheticSnapshot, type SyntheticNode } from './snapshots';

/** Strings that are hard to tokenize: escapes of every kind, multi-byte UTF-8, surrogates. */
const TRICKY = ['plain', 'é and ü', '😀 emoji', 'tab\there', 'quote " and \\ backslash', '\u0001 control', '\ud83d\ude00 escaped pair', 'lone \ud800 surrogate', '/slash', '', 'ünïcödé ' + '日本語'];

function trickySnapshot(): string {
  const nodes: SyntheticNode[] = [
    { type: 'synthetic', name: '', id: 1, size: 0, edges: [{ type: 'element', name: 1, to: 1 }, { type: 'shortcut', name: 'global', to: 2 }] },
    { type: 'synthetic', name: '(GC roots)', id: 3, size: 0 },
    { type: 'object', name: 'global', id: 5, size: 24, edges: TRICKY.map((name, i) => ({ type: 'property', name, to: 3 + i })) },
    ...TRICKY.map((name, i) => ({ type: 'string', name, id: 7 + 2 * i, size: 16 + i })),
  ];
  // V8 writes non-ASCII as \u escapes; raw UTF-8 (as other tools write) must work too.
  const text = syntheticSnapshot(nodes).replace('"\ud83d\ude00 escaped pair"', '"\\ud83d\\ude00 escaped pair"').replace('"é and ü"', '"\\u00e9 and \\u00FC"');
  assert.ok(text.includes('\\ud83d\\ude00') && text.includes('\\u00e9') && text.includes('"lone \\ud800 surrogate"'));
  return text;
}

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

test('chunks of 1 to 7 bytes give the same snapshot as JSON.parse, escapes and UTF-8 included', () => {
  const text = trickySnapshot();
  const json = JSON.parse(text) as { nodes: number[]; edges: number[]; strings: string[] };
  const bytes = Buffer.from(text, 'utf8');
  for (let size = 1; size <= 7; size++) {
    const raw = parseHeapSnapshotChunks(chunksOf(bytes, size));
    assert.equal(raw.nodeCount, json.nodes.length / 7);
    assert.equal(raw.edgeCount, json.edges.length / 3);
    assert.deepEqual(Array.from({ length: raw.strings.count }, (_, i) => raw.strings.get(i)), json.strings, `chunk size ${size}`);
    assert.deepEqual([...raw.nodeSelfSizes], json.nodes.filter((_, i) => i % 7 === 3));
    assert.deepEqual([...raw.edgeTargets], json.edges.filter((_, i) => i % 3 === 2).map((index) => index / 7));
  }
});

test('a big strings section is kept in blocks, not one string: many strings and one larger than a block', () => {
  const many = Array.from({ length: 200_000 }, (_, i) => `name-${i}-${'x'.repeat(i % 50)}`);
  const huge = 'h'.repeat(9 * 1024 * 1024);
  const nodes: SyntheticNode[] = [
    { type: 'synthetic', name: '', id: 1, size: 0, edges: [{ type: 'element', name: 1, to: 1 }] },
    { type: 'string', name: huge, id: 3, size: 10 },
  ];
  const raw = parseHeapSnapshotChunks(chunksOf(Buffer.from(syntheticSnapshot(nodes, many)), 65_536));
  assert.equal(raw.strings.count, 2 + many.length);
  assert.equal(raw.strings.get(1), huge);
  assert.equal(raw.strings.get(2), many[0]);
  assert.equal(raw.strings.get(2 + 123_456), many[123_456]);
  assert.equal(raw.strings.get(raw.strings.count - 1), many[many.length - 1]);
});

async function writeTemp(name: string, content: string | Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'heap-parser-'));
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

function parseError(file: string): HeapSnapshotParseError {
  try {
    parseHeapSnapshotFile(file, { chunkSize: 4096 });
  } catch (error) {
    assert.ok(error instanceof HeapSnapshotParseError, String(error));
    return error;
  }
  assert.fail('the file parsed');
}

test('a truncated file is an error naming the section and the byte offset where it ends', async (t) => {
  const text = Buffer.from(trickySnapshot());
  const file = await writeTemp('whole.heapsnapshot', text);
  t.after(() => rm(join(file, '..'), { recursive: true, force: true }));
  for (const [cut, section] of [[text.indexOf('"edges"') - 10, 'nodes'], [text.indexOf('"strings"') + 30, 'strings'], [text.length - 1, 'closing']] as const) {
    const truncated = join(file, '..', `cut-${cut}.heapsnapshot`);
    await writeFile(truncated, text.subarray(0, cut));
    const error = parseError(truncated);
    assert.equal(error.offset, cut);
    assert.match(error.message, new RegExp(`${truncated}: not a valid heap snapshot: truncated: .*${section}.* \\(at byte ${cut}\\)`));
  }
});

test('a corrupt file is an error at the offending byte', async (t) => {
  const text = trickySnapshot();
  const file = await writeTemp('ok.heapsnapshot', text);
  t.after(() => rm(join(file, '..'), { recursive: true, force: true }));
  const cases: Array<[string, string, RegExp]> = [
    [text.replace('"nodes":[9,', '"nodes":[9,x'), '"nodes":[9,x', /unexpected "x" in the number array "nodes"/],
    [text.replace('"nodes":[9,', '"nodes":[9,,'), '"nodes":[9,,', /unexpected "," in "nodes"/],
    [text.replace('"plain"', '"pl\\qain"'), '\\q', /invalid escape "\\q"/],
    [text.replace('"edges":[', '"edges":[-'), '-', /unexpected "-"/],
  ];
  for (const [broken, marker, message] of cases) {
    const corrupt = join(file, '..', 'corrupt.heapsnapshot');
    await writeFile(corrupt, broken);
    const error = parseError(corrupt);
    assert.match(error.message, message);
    const at = Buffer.from(broken).indexOf(marker) + marker.length - 1;
    assert.equal(error.offset, at, `${error.message} for ${marker}`);
  }
  // Well-formed JSON that is not a snapshot.
  await writeFile(join(file, '..', 'other.json'), '{"hello": [1, 2, 3]}');
  assert.match(parseError(join(file, '..', 'other.json')).message, /there is no "snapshot" header/);
  const mismatch = text.replace(/"node_count":\d+/, '"node_count":99');
  await writeFile(join(file, '..', 'count.heapsnapshot'), mismatch);
  assert.match(parseError(join(file, '..', 'count.heapsnapshot')).message, /holds \d+ nodes, but the header says 99/);
  assert.equal((await readFile(file, 'utf8')).length, text.length);
});
