/**
 * Hostile input never crashes the sample server: each case gets a clear error reply or a
 * close code, and a bystander player keeps being served throughout.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { startSampleServer, type SampleServer } from '../../src/sample/sampleServer';
import { GameClient } from '../helpers/gameClient';
import { sleep } from '../helpers/sampleServer';

const RATE_LIMIT = 20;
const MAX_PAYLOAD = 1024;
const HEARTBEAT_MS = 150;

describe('hostile input', () => {
  let server: SampleServer;
  let bystander: GameClient;

  before(async () => {
    server = await startSampleServer({
      leaks: 'none',
      serverArgs: ['--rate-limit', String(RATE_LIMIT), '--max-payload', String(MAX_PAYLOAD), '--heartbeat-ms', String(HEARTBEAT_MS)],
    });
    bystander = await GameClient.login(server.wsUrl, 'bystander');
  });

  after(async () => {
    bystander.close();
    await server.stop();
  });

  // After every case the server is alive and still answers the bystander.
  async function assertOthersUnaffected(): Promise<void> {
    assert.equal(server.process.exitCode, null, `server exited:\n${server.output()}`);
    await bystander.roundTrip();
  }

  test('malformed JSON gets bad_json and the connection stays usable', async () => {
    const client = await GameClient.connect(server.wsUrl);
    client.send('{"type": "login", playerId');
    assert.equal((await client.next('error')).code, 'bad_json');
    await client.roundTrip();
    client.close();
    await assertOthersUnaffected();
  });

  test('JSON that is not an object gets bad_message', async () => {
    const client = await GameClient.connect(server.wsUrl);
    for (const text of ['[1,2]', '"login"', 'null', '42']) {
      client.send(text);
      assert.equal((await client.next('error')).code, 'bad_message', text);
    }
    client.close();
    await assertOthersUnaffected();
  });

  test('unknown message types get unknown_type', async () => {
    const client = await GameClient.connect(server.wsUrl);
    client.send({ type: '__proto__' });
    assert.equal((await client.next('error')).code, 'unknown_type');
    client.send({ type: 'teleport', x: 1e308 });
    const error = await client.next('error');
    assert.equal(error.code, 'unknown_type');
    assert.match(error.message, /teleport/);
    client.close();
    await assertOthersUnaffected();
  });

  test('invalid fields, wrong order and duplicate logins are refused with a reason', async () => {
    const client = await GameClient.connect(server.wsUrl);
    client.send({ type: 'attack', seq: 1 });
    assert.equal((await client.next('error')).code, 'not_logged_in');
    for (const playerId of ['', 'x'.repeat(33), 'a b', '../etc', 7]) {
      client.send({ type: 'login', playerId });
      assert.equal((await client.next('error')).code, 'bad_message', JSON.stringify(playerId));
    }
    client.send({ type: 'login', playerId: 'bystander' });
    assert.equal((await client.next('error')).code, 'already_online');
    client.send({ type: 'login', playerId: 'fresh-one' });
    await client.next('welcome');
    client.send({ type: 'login', playerId: 'fresh-two' });
    assert.equal((await client.next('error')).code, 'already_logged_in');
    client.send({ type: 'attack', seq: 'x' });
    assert.equal((await client.next('error')).code, 'bad_message');
    client.send({ type: 'attack', seq: 1 });
    assert.equal((await client.next('error')).code, 'bad_state');
    client.close();
    await assertOthersUnaffected();
  });

  test('binary frames get binary_not_supported', async () => {
    const client = await GameClient.connect(server.wsUrl);
    client.socket.send(Buffer.from([1, 2, 3]));
    assert.equal((await client.next('error')).code, 'binary_not_supported');
    client.close();
    await assertOthersUnaffected();
  });

  test('an oversize frame closes that connection with 1009', async () => {
    const client = await GameClient.connect(server.wsUrl);
    client.send(JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(MAX_PAYLOAD) }));
    assert.equal((await client.closed).code, 1009);
    await assertOthersUnaffected();
  });

  test('a flood is rate limited, then closed with 1008', async () => {
    const client = await GameClient.connect(server.wsUrl);
    for (let i = 0; i < RATE_LIMIT * 10; i++) client.send({ type: 'ping', t: i });
    const { code } = await client.closed;
    assert.equal(code, 1008);
    const limited = client.received.filter((m) => m.type === 'error' && m.code === 'rate_limited').length;
    const served = client.received.filter((m) => m.type === 'pong').length;
    assert.ok(limited > 0, 'rate_limited errors were sent before closing');
    assert.ok(served <= RATE_LIMIT * 2 + 1, `at most a burst was served (${served})`);
    await assertOthersUnaffected();
  });

  test('an abrupt disconnect mid-battle: the opponent wins by forfeit, nothing breaks', async () => {
    const [a, b] = await Promise.all([GameClient.login(server.wsUrl, 'duelist-a'), GameClient.login(server.wsUrl, 'duelist-b')]);
    a.send({ type: 'queue' });
    b.send({ type: 'queue' });
    await Promise.all([a.next('match_found'), b.next('match_found')]);
    a.send({ type: 'ready' });
    b.send({ type: 'ready' });
    await Promise.all([a.next('battle_start'), b.next('battle_start')]);
    a.send({ type: 'attack', seq: 1 });
    await a.next('attack_ack');
    a.close();
    const end = await b.next('battle_end');
    assert.deepEqual([end.winner, end.reason], ['duelist-b', 'forfeit']);
    b.send({ type: 'queue' });
    await b.next('queued');
    b.close();
    await assertOthersUnaffected();
  });

  test('a connection that stops answering pings is dropped', async () => {
    const silent = await GameClient.login(server.wsUrl, 'silent', { autoPong: false });
    const started = Date.now();
    await silent.closed;
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= HEARTBEAT_MS && elapsed < HEARTBEAT_MS * 10, `dropped after ${elapsed} ms`);
    await assertOthersUnaffected();
  });

  test('garbage that is not WebSocket at all is refused', async () => {
    const net = await import('node:net');
    const socket = net.connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.end('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x00\xff garbage');
    let reply = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk));
    await once(socket, 'close');
    assert.match(reply, /^HTTP\/1\.1 400/);
    await sleep(50);
    await assertOthersUnaffected();
  });
});

describe('shutdown', () => {
  test('SIGTERM closes every player with 1001 and exits 0', async () => {
    const server = await startSampleServer({ leaks: 'all' });
    const client = await GameClient.login(server.wsUrl, 'last-player');
    const exit = server.stop();
    assert.equal((await client.closed).code, 1001);
    assert.equal(await exit, 0);
    assert.match(server.output(), /shutdown complete/);
  });
});
