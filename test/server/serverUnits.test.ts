/**
 * The language server's pure parts: settings from untrusted client input, source path ↔ URI
 * (as clients re-encode URIs), and the words diagnostics and code lenses use.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TRACK_ALL_PROMISES } from '../../src/engine/agentInjector';
import type { SiteReport } from '../../src/protocol/asyncSnapshot';
import { buildAgentConfig } from '../../src/engine/agentConfig';
import { diagnosticMessage, lensTitle } from '../../src/presentation';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/server/settings';
import { pathOfUri, sourceUri } from '../../src/server/sourceUris';

test('settings: well-typed fields override the defaults, junk is ignored', () => {
  assert.deepEqual(parseSettings(undefined), DEFAULT_SETTINGS);
  assert.deepEqual(parseSettings('nonsense'), DEFAULT_SETTINGS);
  const parsed = parseSettings({
    refreshIntervalSeconds: 0,
    autoRefresh: 'yes',
    diagnosticMinScore: 70,
    allowedRemoteHosts: ['10.0.0.5', 42],
    sourcePathMapping: { '/app': '/home/me/game' },
    promiseTracking: 'always',
    contextKeys: ['tenant'],
  });
  assert.equal(parsed.refreshIntervalSeconds, DEFAULT_SETTINGS.refreshIntervalSeconds, 'below 1 s is refused');
  assert.equal(parsed.autoRefresh, DEFAULT_SETTINGS.autoRefresh);
  assert.equal(parsed.diagnosticMinScore, 70);
  assert.deepEqual(parsed.allowedRemoteHosts, [], 'a list with a non-string is refused whole');
  assert.deepEqual(parsed.sourcePathMapping, { '/app': '/home/me/game' });
  assert.deepEqual(parsed.contextKeys, ['tenant']);
});

test('settings → agent config: promise tracking modes, owner keys always read', () => {
  assert.equal(buildAgentConfig({ ...DEFAULT_SETTINGS, promiseTracking: 'off' }).promiseBudgetPerSecond, 0);
  const always = buildAgentConfig({ ...DEFAULT_SETTINGS, promiseTracking: 'always' });
  assert.equal(always.promiseDutyCycle, TRACK_ALL_PROMISES.promiseDutyCycle);
  assert.equal(always.promiseBudgetPerSecond, TRACK_ALL_PROMISES.promiseBudgetPerSecond);
  assert.equal(buildAgentConfig(DEFAULT_SETTINGS).promiseDutyCycle, undefined, 'sampled: the agent default');
  const config = buildAgentConfig({ ...DEFAULT_SETTINGS, contextKeys: ['protocol'], ownerKeys: ['playerId'] });
  assert.deepEqual(config.contextKeys, ['protocol', 'playerId']);
  // The CLI's flags go through the same function: --owner-keys alone adds to the default context keys.
  assert.deepEqual(buildAgentConfig({ ownerKeys: ['guildId'] }).contextKeys, ['playerId', 'roomId', 'protocol', 'guildId']);
  assert.deepEqual(buildAgentConfig({}), {}, 'nothing asked: the agent defaults');
  const cli = buildAgentConfig({ contextKeys: ['protocol', 'roomId'] });
  assert.deepEqual([cli.contextKeys, cli.ownerKeys], [['protocol', 'roomId'], ['roomId']], 'default owner keys only among the chosen context keys');
});

test('source URIs: file on disk, source-map-only document, and back whatever the encoding', () => {
  const file = '/work/my game/src/player-session.ts';
  assert.equal(sourceUri(file, () => true), 'file:///work/my%20game/src/player-session.ts');
  const virtual = sourceUri(file, () => false);
  assert.equal(virtual, 'leak-inspector-source:///work/my%20game/src/player-session.ts');
  assert.equal(pathOfUri(virtual), file);
  // VS Code writes an empty authority without `//`.
  assert.equal(pathOfUri('leak-inspector-source:/work/my%20game/src/player-session.ts'), file);
  assert.equal(pathOfUri('file:///work/my%20game/src/player-session.ts'), file);
  assert.equal(pathOfUri('untitled:Untitled-1'), undefined);
});

test('diagnostic message and code lens title', () => {
  const site = {
    type: 'Interval',
    count: 15,
    oldestAgeMs: 252_000,
    preexisting: false,
    score: 92,
    factors: [
      { name: 'growth', weight: 25, value: 1, points: 25, explanation: '' },
      { name: 'owner-gone', weight: 30, value: 1, points: 30, explanation: '' },
      { name: 'age', weight: 20, value: 0, points: 0, explanation: '' },
    ],
    growth: { previous: 11, delta: 4, trend: [11, 15] },
    context: { keys: { playerId: { distinct: 15, top: [], gone: 15 }, protocol: { distinct: 1, top: [] } }, goneShare: 1 },
  } as unknown as SiteReport;
  assert.equal(
    diagnosticMessage(site),
    '15 live intervals created here · oldest 4m12s · score 92 (owner-gone 30, growth 25) · trend ↑ +4 · players: 15 (15 gone), protocol: 1',
  );
  assert.equal(lensTitle(site), '15 live intervals created here · oldest 4m12s · score 92');
  assert.match(lensTitle({ ...site, count: 1, preexisting: true }), /^1 live interval created here · oldest ≥ 4m12s/);
});
