/**
 * The engine finds each of the sample server's async leaks: attached over a real inspector,
 * with real bots churning players, the leaking site is ranked first among the sites in the
 * sample's own sources, at the right TypeScript line. With `--leaks none` nothing is high.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { TRACK_ALL_PROMISES } from '../../src/engine/agentInjector';
import { HeapGrowthProbe } from '../../src/engine/heapGrowth';
import { InspectorSession } from '../../src/engine/inspectorSession';
import type { AgentConfig } from '../../src/protocol/agentSnapshot';
import type { AsyncSnapshotReport, SiteReport } from '../../src/protocol/asyncSnapshot';
import { runBots, startSampleServer, type SampleServer } from '../../src/sample/sampleServer';

const SOURCES = path.resolve(__dirname, '../../samples/game-server/src');
const ROUNDS = 3;

/** 1-based lines of `file` whose text contains `marker`. */
function linesOf(file: string, marker: string): number[] {
  const lines = fs.readFileSync(path.join(SOURCES, file), 'utf8').split('\n');
  const found = lines.flatMap((text, i) => (text.includes(marker) ? [i + 1] : []));
  assert.ok(found.length > 0, `${marker} not found in ${file}`);
  return found;
}

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function attachTo(leaks: string, agent: Partial<AgentConfig> = {}): Promise<{ server: SampleServer; session: InspectorSession }> {
  const server = await startSampleServer({ leaks, nodeArgs: ['--inspect=127.0.0.1:0'], serverArgs: ['--pool-size', '4', '--ready-timeout-ms', '1000'] });
  cleanups.push(() => server.stop());
  const session = await InspectorSession.attach(server.inspectorUrl!, { agent });
  cleanups.push(() => session.detach());
  return { server, session };
}

/** Churn rounds of bots, a snapshot after each; returns the last report. */
async function churn(server: SampleServer, session: InspectorSession): Promise<AsyncSnapshotReport> {
  let report: AsyncSnapshotReport | undefined;
  for (let round = 1; round <= ROUNDS; round++) {
    await runBots({ url: server.wsUrl, players: 8, durationS: 1.5, dropRate: 0.5, paceMs: 20, seed: round });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    [report] = await session.snapshot();
  }
  return report!;
}

/** Runs churn rounds against a server with `leaks`; returns the last report. */
async function inspectScenario(leaks: string, agent: Partial<AgentConfig> = {}): Promise<{ report: AsyncSnapshotReport; server: SampleServer }> {
  const { server, session } = await attachTo(leaks, agent);
  return { report: await churn(server, session), server };
}

type LocatedSite = SiteReport & { location: NonNullable<SiteReport['location']> };

/** Sites located in the sample's sources, best first (the report is sorted by score). */
function sampleSites(report: AsyncSnapshotReport): LocatedSite[] {
  return report.sites.filter((site): site is LocatedSite => site.location?.path.startsWith(SOURCES) === true);
}

function describeSites(sites: LocatedSite[]): string {
  return sites
    .slice(0, 6)
    .map((site) => `${site.score} ${site.type} ×${site.count} ${path.relative(SOURCES, site.location.path)}:${site.location.line}`)
    .join('\n');
}

function assertTopSite(report: AsyncSnapshotReport, file: string, lines: number[], type?: string): LocatedSite {
  const [top] = sampleSites(report);
  assert.ok(top, 'no site in the sample sources');
  const where = `${path.relative(SOURCES, top.location.path)}:${top.location.line}`;
  assert.ok(top.location.path === path.join(SOURCES, file) && lines.includes(top.location.line), `expected ${file}:${lines.join('|')} first, got ${where}\n${describeSites(sampleSites(report))}`);
  if (type) assert.equal(top.type, type);
  return top;
}

describe('leak detection on the sample server', { concurrency: false }, () => {
  test('heartbeat: the interval that outlives its connection', async () => {
    const { report } = await inspectScenario('heartbeat');
    const top = assertTopSite(report, 'player-session.ts', linesOf('player-session.ts', 'this.heartbeat = setInterval('), 'Interval');
    assert.ok(top.count >= 10, `${top.count} live intervals`);
    const players = top.context.keys.playerId;
    assert.ok(players && players.distinct >= 10, 'tagged with the players who left');
    assert.equal(players.gone, players.distinct, 'every one of those players is gone');
    assert.ok((top.context.goneShare ?? 0) > 0.9, `owners gone: ${top.context.goneShare}`);
  });

  test('timer: the match timeout not cleared when a battle ends early', async () => {
    const { report } = await inspectScenario('timer');
    assertTopSite(report, 'battle.ts', linesOf('battle.ts', 'this.matchTimer = setTimeout('), 'Timeout');
  });

  test('abort: the rank poll that keeps retrying after the player left', async () => {
    const { report } = await inspectScenario('abort');
    // The poll loop itself (`async watch`, never settling) or what it keeps creating.
    const lines = [...linesOf('ranking-client.ts', 'async watch('), ...linesOf('ranking-client.ts', 'await sleep('), ...linesOf('ranking-client.ts', 'http.get('), ...linesOf('ranking-client.ts', 'await this.getRank(')];
    assertTopSite(report, 'ranking-client.ts', lines);
  });

  test('pool: store connections never released, waiters piling up', async () => {
    const { report } = await inspectScenario('pool');
    const [top] = sampleSites(report);
    const lines = [...linesOf('store-pool.ts', 'net.connect('), ...linesOf('store-pool.ts', 'this.waiters.push(resolve)')];
    assertTopSite(report, 'store-pool.ts', lines);
    assert.ok(top.count >= 4);
  });

  test('pending: ready checks awaiting players who dropped', async () => {
    // Promise hooks run in short windows by default (they slow every await); this scenario is
    // a few seconds long, so it tracks promises all the time, as `--promises` does.
    const { report } = await inspectScenario('pending', TRACK_ALL_PROMISES);
    const [top] = sampleSites(report);
    assert.equal(top.type, 'Promise');
    const chain = new Map([
      ['player-session.ts', linesOf('player-session.ts', 'return new Promise<void>')],
      // The battle's own async run() that awaits the ready check, located at its function.
      ['battle.ts', [...linesOf('battle.ts', 'await Promise.all('), ...linesOf('battle.ts', 'async run(')]],
      // The outermost link: the promise of the async startMatch itself, located at its function.
      ['game-server.ts', [...linesOf('game-server.ts', 'await battle.run()'), ...linesOf('game-server.ts', 'private async startMatch(')]],
    ]);
    const file = path.relative(SOURCES, top.location.path);
    assert.ok(chain.get(file)?.includes(top.location.line), `expected the ready-check chain first, got ${file}:${top.location.line}\n${describeSites(sampleSites(report))}`);
  });

  test('battle: finished battles kept in a module-level Map (a heap leak, no async resource)', async () => {
    const { server, session } = await attachTo('battle');
    const probe = await HeapGrowthProbe.start(session);
    cleanups.push(() => probe.dispose());
    await churn(server, session);
    const report = await probe.finish();
    const own = report.sites.filter((site) => site.location?.path.startsWith(SOURCES));
    const [top] = own;
    const shown = own.slice(0, 5).map((site) => `${site.score} ${site.className} +${site.deltaCount} ${site.location?.path}:${site.location?.line}`).join('\n');
    assert.ok(top, `no grown class in the sample sources\n${shown}`);
    assert.equal(top.className, 'Battle', shown);
    assert.equal(top.location?.path, path.join(SOURCES, 'battle.ts'));
    // V8 names the constructor, or the class when it has none.
    const lines = [...linesOf('battle.ts', 'export class Battle'), ...linesOf('battle.ts', '  constructor(')];
    assert.ok(lines.includes(top.location?.line ?? 0), `battle.ts:${top.location?.line}, expected ${lines.join('|')}`);
    const stats = await server.stats();
    assert.ok(top.deltaCount >= stats.battles && stats.battles > 0, `${top.deltaCount} kept, ${stats.battles} battles held`);
    assert.match(top.retainerPath?.text ?? '', /->battles → Map/, 'the path names the Map and its variable');
    assert.ok(top.severity !== 'low', `score ${top.score}: ${JSON.stringify(top.factors)}`);
  });

  test('none: no site reaches high', async () => {
    const { report } = await inspectScenario('none');
    const high = report.sites.filter((site) => site.severity === 'high');
    assert.deepEqual(high.map((site) => `${site.score} ${site.type} ${site.location?.path}:${site.location?.line}`), []);
  });
});
