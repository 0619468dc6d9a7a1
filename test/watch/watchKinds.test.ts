/**
 * `watch` exports suspects of every kind with bounded labels and the periodic promise census's
 * figures, scraped from its real exporter while real bots leak listeners into the sample server.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { runBots, startSampleServer } from '../../src/sample/sampleServer';
import { spawnProcess } from '../helpers/inspectedProcess';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const TOP = 2;

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(url: string): Promise<Series[]> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line)!;
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

test('watch: suspects by kind and severity, top N scores per kind, stuck promises from the census', { timeout: 120_000 }, async (t) => {
  const server = await startSampleServer({ leaks: 'listener,pending', nodeArgs: ['--inspect=127.0.0.1:0'] });
  t.after(() => server.stop(1000));
  const inspect = new URL(server.inspectorUrl!).host;
  const watch = spawnProcess(t, process.execPath, [CLI, 'watch', '--inspect', inspect, '--interval', '1', '--metrics', '127.0.0.1:0', '--top-sites', String(TOP), '--promise-census-every', '3'], { cwd: ROOT });
  const [, exporter] = await watch.waitForOutput(/metrics on (http:\/\/\S+)/, 15_000);
  await watch.waitForOutput(/not looking for emitters created before the attach .*--scan-listeners/, 15_000);
  await watch.waitForOutput(/promise census \(census\): a heap snapshot pauses .* about \d+ ms/, 15_000);
  await runBots({ url: server.wsUrl, players: 10, durationS: 4, dropRate: 0.3, paceMs: 50 });

  let series: Series[] = [];
  const deadline = Date.now() + 30_000;
  const listenerAt227 = (s: Series) => s.name === 'leak_inspector_suspect_score' && s.labels.kind === 'listener' && s.labels.site === 'samples/game-server/src/game-server.ts:227';
  for (;;) {
    series = await scrape(exporter);
    const stats = await server.stats();
    const counted = series.find((s) => s.name === 'leak_inspector_suspect_count' && s.labels.kind === 'listener' && s.labels.site === 'samples/game-server/src/game-server.ts:227');
    // The census runs every 3 s: wait for one taken after the bots.
    const pending = series.find((s) => s.name === 'leak_inspector_pending_promises');
    if (counted?.value === stats.presenceListeners && stats.presenceListeners > 0 && pending && pending.value >= stats.pendingReadyChecks) break;
    if (Date.now() > deadline) assert.fail(`no listener series matching the server's ${stats.presenceListeners} listeners:\n${series.filter((s) => s.name.includes('suspect')).map((s) => JSON.stringify(s)).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  assert.ok(series.some(listenerAt227), 'the leaking listener line has its own score series');

  // Every kind has its severity series (0 when clean); the site label is bounded per kind.
  const kinds = new Set(series.filter((s) => s.name === 'leak_inspector_suspects').map((s) => s.labels.kind));
  assert.deepEqual([...kinds].sort(), ['async', 'heap-class', 'holder', 'listener', 'promise-reactions', 'stuck-promise']);
  for (const kind of kinds) {
    const scored = series.filter((s) => s.name === 'leak_inspector_suspect_score' && s.labels.kind === kind);
    assert.ok(scored.length <= TOP, `${kind}: at most ${TOP} scored sites, got ${scored.length}`);
    assert.ok(!scored.some((s) => s.labels.site === 'other'), 'no score for the summed rest');
  }
  const asyncCounts = series.filter((s) => s.name === 'leak_inspector_suspect_count' && s.labels.kind === 'async');
  assert.ok(asyncCounts.some((s) => s.labels.site === 'other'), 'async sites beyond the top N are summed into site="other"');

  const stuck = series.find((s) => s.name === 'leak_inspector_stuck_promises');
  const pending = series.find((s) => s.name === 'leak_inspector_pending_promises');
  assert.ok(stuck && stuck.value >= 0, 'the stuck-promise gauge of the target');
  assert.ok(pending && (await server.stats()).pendingReadyChecks > 0 && pending.value >= (await server.stats()).pendingReadyChecks, 'the exact census counts at least the ready checks never settled');
});
