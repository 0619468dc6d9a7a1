/**
 * Each leak switch of the sample server really leaks: bots churn players through it twice,
 * and the matching resource keeps growing with every churned player. With `none`, the
 * server returns to its idle baseline once everyone has left.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runBots, startSampleServer, type BotFigures, type SampleServer, type SampleServerStats } from '../../src/sample/sampleServer';
import { GameClient } from '../helpers/gameClient';
import { resourceCount, settle } from '../helpers/sampleServer';

const CHURN = { players: 10, durationS: 2.5, dropRate: 0.5, paceMs: 20 };
const SERVER_ARGS = ['--pool-size', '4', '--ready-timeout-ms', '1000'];

interface ChurnResult {
  baseline: SampleServerStats;
  rounds: Array<{ bots: BotFigures; stats: SampleServerStats }>;
}

const servers: SampleServer[] = [];
after(() => Promise.all(servers.map((server) => server.stop())));

/** Starts a server with `leaks`, runs two rounds of churning bots, settles after each. */
async function churn(leaks: string): Promise<ChurnResult> {
  const server = await startSampleServer({ leaks, serverArgs: SERVER_ARGS });
  servers.push(server);
  const baseline = await server.stats();
  const rounds = [];
  for (let round = 1; round <= 2; round++) {
    const { figures: bots } = await runBots({ url: server.wsUrl, ...CHURN, seed: round });
    assert.equal(bots.errors, 0, `bots saw errors in round ${round}`);
    assert.ok(bots.logins >= 10, `round ${round} churned ${bots.logins} players`);
    const stats = await settle(server);
    assert.ok(stats.logins >= bots.logins + (rounds.at(-1)?.stats.logins ?? 0), 'the server saw every login the bots saw');
    rounds.push({ bots, stats });
  }
  return { baseline, rounds };
}

describe('sample server leaks', () => {
  test('heartbeat: every closed connection leaves its heartbeat interval behind', async () => {
    const { baseline, rounds } = await churn('heartbeat');
    for (const { stats } of rounds) {
      assert.equal(stats.connections, 0);
      assert.equal(resourceCount(stats, 'Timeout') - resourceCount(baseline, 'Timeout'), stats.logins, 'one live interval per player ever logged in');
    }
    assert.ok(rounds[1].stats.logins > rounds[0].stats.logins);
  });

  test('pool: connections are never returned on the error path and waiters pile up', async () => {
    const { rounds } = await churn('pool');
    const [first, second] = rounds.map((round) => round.stats.pool);
    assert.equal(first.leased, 4, 'all four store connections leaked after the first round');
    assert.ok(first.waiters > 0, 'later acquires queue up');
    assert.ok(second.waiters - first.waiters >= rounds[1].bots.logins, `every login of round 2 added a waiter (${first.waiters} → ${second.waiters})`);
  });

  test('pending: ready checks awaiting dropped players never settle', async () => {
    const { rounds } = await churn('pending');
    const [first, second] = rounds.map((round) => round.stats);
    assert.ok(first.pendingReadyChecks > 0, 'some matched players dropped before ready');
    assert.ok(second.pendingReadyChecks > first.pendingReadyChecks, `grows with churn (${first.pendingReadyChecks} → ${second.pendingReadyChecks})`);
    assert.equal(second.battlesByState.WAITING, second.pendingReadyChecks, 'their rooms are stuck WAITING');
    assert.equal(second.connections, 0);
  });

  test('timer: every battle that ended early leaves its match timeout running', async () => {
    const { baseline, rounds } = await churn('timer');
    for (const { stats } of rounds) {
      assert.ok(stats.battlesFinished > 0);
      assert.equal(resourceCount(stats, 'Timeout') - resourceCount(baseline, 'Timeout'), stats.battlesFinished, 'one live match timer per finished battle');
    }
    assert.ok(rounds[1].stats.battlesFinished > rounds[0].stats.battlesFinished);
  });

  test('abort: rank polling goes on for every player who left', async () => {
    const { baseline, rounds } = await churn('abort');
    for (const { stats } of rounds) {
      assert.equal(stats.connections, 0);
      assert.equal(stats.rankWatches, stats.logins, 'one polling loop per player ever logged in');
    }
    const logins = rounds[1].stats.logins;
    // Each loop is always either waiting on a timer or on an HTTP request to the ranking service.
    const live = (stats: SampleServerStats) => resourceCount(stats, 'Timeout') + resourceCount(stats, 'TCPSocketWrap');
    assert.ok(live(rounds[1].stats) - live(baseline) >= logins / 2, `timers + sockets grew from ${live(baseline)} to ${live(rounds[1].stats)}`);
  });

  test('battle: finished battles stay ACTIVE in the battles Map, with no timer', async () => {
    const { baseline, rounds } = await churn('battle');
    for (const { stats } of rounds) {
      assert.ok(stats.battlesFinished > 0);
      assert.equal(stats.battles, stats.battlesFinished, 'every finished battle is still in the Map');
      assert.equal(stats.battlesByState.ACTIVE, stats.battlesFinished, 'and still ACTIVE');
      assert.equal(resourceCount(stats, 'Timeout'), resourceCount(baseline, 'Timeout'), 'a pure heap leak: no timer left');
    }
    assert.ok(rounds[1].stats.battles > rounds[0].stats.battles);
  });

  test('listener: every player who left keeps a lobby-feed listener on the presence bus', async () => {
    const { baseline, rounds } = await churn('listener');
    assert.equal(baseline.presenceListeners, 0);
    for (const { stats } of rounds) {
      assert.equal(stats.connections, 0);
      assert.equal(stats.presenceListeners, stats.logins, 'one `broadcast` listener per player ever logged in');
      assert.ok(stats.battlesFinished > 0, 'announcements were broadcast to them');
      assert.equal(stats.reconnectTokens, 0, 'the other registries were pruned');
    }
    assert.ok(rounds[1].stats.presenceListeners > rounds[0].stats.presenceListeners);
  });

  test('holder: the reconnectTokens Map keeps an entry (and its socket) per player who left', async () => {
    const { baseline, rounds } = await churn('holder');
    assert.equal(baseline.reconnectTokens, 0);
    for (const { stats } of rounds) {
      assert.equal(stats.connections, 0);
      assert.equal(stats.reconnectTokens, stats.logins, 'one entry per player ever logged in');
      assert.equal(stats.presenceListeners, 0, 'the feed listeners were removed');
      assert.deepEqual(stats.activeResources, baseline.activeResources, 'a pure heap leak: no resource left');
    }
    assert.ok(rounds[1].stats.reconnectTokens > rounds[0].stats.reconnectTokens);
  });

  test('reactions: every message leaves a reaction on the pending shutdown promise', async () => {
    const { baseline, rounds } = await churn('reactions');
    for (const { stats } of rounds) {
      assert.ok(stats.messages > stats.logins, 'the players played');
      assert.equal(stats.shutdownReactions - baseline.shutdownReactions, stats.messages - baseline.messages, 'one reaction per message handled');
      assert.equal(stats.handlersInFlight, 0);
      assert.deepEqual(stats.activeResources, baseline.activeResources, 'a pure heap leak: no resource left');
    }
    assert.ok(rounds[1].stats.shutdownReactions > rounds[0].stats.shutdownReactions);
  });

  test('none: after everyone leaves, the server returns to its idle baseline', async () => {
    const { baseline, rounds } = await churn('none');
    for (const { bots, stats } of rounds) {
      assert.ok(bots.battles > 0 && bots.drops > 0, 'the bots played and dropped');
      assert.equal(bots.timeouts, 0, 'no player got stuck');
      assert.deepEqual(stats.activeResources, baseline.activeResources);
      assert.equal(stats.battles, 0);
      assert.equal(stats.pendingReadyChecks, 0);
      assert.equal(stats.rankWatches, 0);
      assert.deepEqual(stats.pool, { open: 0, leased: 0, idle: 0, waiters: 0 });
      assert.equal(stats.presenceListeners, 0);
      assert.equal(stats.reconnectTokens, 0);
      assert.equal(stats.shutdownReactions, 0);
      assert.equal(stats.handlersInFlight, 0);
      assert.ok(stats.messages > stats.logins, 'the messages went through the shutdown-aware dispatch');
    }
  });
});

test('a login with the reconnect token takes over the half-open session; without it, it is refused', async () => {
  const server = await startSampleServer({ leaks: 'none' });
  servers.push(server);
  const first = await GameClient.connect(server.wsUrl);
  first.send({ type: 'login', playerId: 'roamer' });
  const { reconnectToken } = await first.next('welcome');
  const intruder = await GameClient.connect(server.wsUrl);
  intruder.send({ type: 'login', playerId: 'roamer', reconnectToken: 'not-the-token' });
  assert.equal((await intruder.next('error')).code, 'already_online');
  const second = await GameClient.connect(server.wsUrl);
  second.send({ type: 'login', playerId: 'roamer', reconnectToken });
  const welcome = await second.next('welcome');
  assert.notEqual(welcome.reconnectToken, reconnectToken, 'a fresh token for the new connection');
  assert.equal((await first.closed).code, 4000);
  await second.roundTrip();
  const stats = await server.stats();
  assert.equal(stats.playersOnline, 1);
  assert.equal(stats.reconnectTokens, 1, 'the old connection closing did not drop the new token');
  for (const client of [second, intruder]) client.close();
});

test('the leak list is validated', async () => {
  await assert.rejects(startSampleServer({ leaks: 'heartbeat,bogus' }), /exited with code 2:[^]*unknown leak "bogus"/);
});
