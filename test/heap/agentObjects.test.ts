/**
 * The leak inspector's own objects never show as the user's in a heap report, against real
 * processes: the sample server summarized without and with the agent (records present), and a
 * small program whose objects the agent must not keep alive, nor count when something of the
 * agent's keeps them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tmpdir } from 'node:os';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { attach } from '../../src/cdp';
import { HeapGrowthProbe } from '../../src/engine/heapGrowth';
import { InspectorSession } from '../../src/engine/inspectorSession';
import { diffHeapSnapshots, heapRetainers, summarizeHeapSnapshot, takeHeapSnapshot } from '../../src/heap';
import { AGENT_CLASS } from '../../src/heap/analysis/agentObjects';
import { botArgs, startSampleServer, type SampleServer } from '../../src/sample/sampleServer';
import { spawnProcess, type Cleanup } from '../helpers/inspectedProcess';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'agent-objects-'));
const servers: SampleServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** What the agent's source declares: its classes, and the fields of its record types (`{record, resource}`…). */
function agentVocabulary(): { classes: Set<string>; shapes: string[][] } {
  const agentDir = path.resolve(__dirname, '../../src/agent');
  const classes = new Set<string>();
  const shapes: string[][] = [];
  for (const file of readdirSync(agentDir).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(path.join(agentDir, file), 'utf8');
    for (const [, name] of text.matchAll(/\bclass (\w+)/g)) classes.add(name);
    for (const [, body] of text.matchAll(/\binterface \w+[^{]*\{([^}]*)\}/g)) shapes.push([...body.matchAll(/^\s*(?:readonly\s+)?(\w+)\??:/gm)].map(([, field]) => field));
  }
  return { classes, shapes };
}

/**
 * Classes of a Summary or Comparison that are the agent's: one of its classes, or objects shaped
 * like one of its records. A name the program or Node also uses (Node's http `Agent`) counts
 * when it has more objects than in `without`, the same target before the attach.
 */
function agentClassesIn(classes: Array<{ name: string; count?: number; newCount?: number }>, without: Map<string, number> = new Map()): string[] {
  const { classes: agentClasses, shapes } = agentVocabulary();
  assert.ok(agentClasses.has('Registry') && shapes.some((fields) => fields.includes('record') && fields.includes('resource')), 'the vocabulary reads the agent source');
  const counts = totals(classes);
  return classes
    .filter(({ name, newCount }) => {
      if (agentClasses.has(name)) return !without.has(name) || (newCount === undefined ? counts.get(name)! > without.get(name)! : newCount > 0);
      const properties = /^\{(.*)\}$/.exec(name)?.[1].split(', ');
      return properties !== undefined && properties.length >= 2 && shapes.some((fields) => properties.every((property) => fields.includes(property)));
    })
    .map(({ name }) => name);
}

/** Objects per class name (several classes may share one: Node's http `Agent` and another `Agent`). */
function totals(classes: Array<{ name: string; count?: number }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { name, count = 0 } of classes) counts.set(name, (counts.get(name) ?? 0) + count);
  return counts;
}

test('a heap Summary of the sample server shows no class of the agent, attached or not, with records present', async () => {
  const server = await startSampleServer({ leaks: 'none', nodeArgs: ['--inspect=127.0.0.1:0'] });
  servers.push(server);
  await run(process.execPath, botArgs({ url: server.wsUrl, players: 4, durationS: 1 }));
  const without = path.join(dir, 'without.heapsnapshot');
  // Kept open until the second snapshot: closing it would reset the heap ids the Comparison matches.
  const plain = await attach(server.inspectorUrl!);
  await takeHeapSnapshot(plain, without);

  const withAgent = path.join(dir, 'with.heapsnapshot');
  const session = await InspectorSession.attach(server.inspectorUrl!);
  try {
    // Snapshots while players play: records with stacks, owners and contexts, sampled callbacks.
    const bots = run(process.execPath, botArgs({ url: server.wsUrl, players: 4, durationS: 1.5 }));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const [report] = await session.snapshot();
    assert.ok(report.sites.length > 0);
    await bots;
    await session.snapshot();
    await takeHeapSnapshot(session.threadSessions[0].session, withAgent);
  } finally {
    await session.detach();
    plain.close();
  }

  const before = summarizeHeapSnapshot(without);
  const summary = summarizeHeapSnapshot(withAgent);
  const counts = totals(before.constructors);
  assert.deepEqual(agentClassesIn(before.constructors.filter((c) => c.name !== 'Agent')), []);
  const shown = (list: Array<{ name: string }>) => JSON.stringify(list.filter((c) => agentVocabulary().classes.has(c.name)));
  assert.deepEqual(agentClassesIn(summary.constructors, counts), [], `no class of the agent in the Summary: ${shown(summary.constructors)} ${shown(before.constructors)}`);
  // The agent's objects are in the snapshot (by their own class names) but the Summary shows them as ours.
  assert.ok(heapRetainers(withAgent, 'Registry', 1).count >= 1, 'the agent was in the heap');
  assert.equal(heapRetainers(without, 'Registry', 1).count, 0);
  const ours = summary.constructors.find((c) => c.name === AGENT_CLASS);
  assert.ok(ours && ours.count > 100 && ours.retainedSize > 0, `the agent's objects as one class: ${JSON.stringify(ours)}`);
  assert.equal(before.constructors.find((c) => c.name === AGENT_CLASS), undefined);
  // The program's classes keep their objects: the game server's are all where they were.
  for (const name of ['GameServer', 'StorePool', 'RankingClient']) {
    const count = (of: typeof summary) => of.constructors.find((c) => c.name === name)?.count;
    assert.ok(count(before)! >= 1, name);
    assert.equal(count(summary), count(before), name);
  }

  const comparison = diffHeapSnapshots(without, withAgent);
  assert.deepEqual(agentClassesIn(comparison.constructors, counts), [], `no class of the agent in the Comparison: ${shown(comparison.constructors)}`);
  assert.ok((comparison.constructors.find((c) => c.name === AGENT_CLASS)?.newCount ?? 0) > 100);
});

/**
 * `Session`s held by an interval's closure; the interval is created before the attach, so its
 * callback is the representative the agent hands the engine (and a closure sample).
 */
const PROGRAM = `
class Session { constructor(id) { this.id = id; this.payload = new Array(32).fill(id); } }
function heartbeat(session) { return setInterval(() => session.id, 60_000); }
let ticking = heartbeat(new Session(-1));
globalThis.stopHeartbeat = () => { clearInterval(ticking); ticking = undefined; };
globalThis.kept = [];
globalThis.leakSessions = (n) => { for (let i = 0; i < n; i++) kept.push(new Session(i)); };
globalThis.newSession = (i) => new Session(i);
setInterval(() => undefined, 2 ** 30);
console.log('ready');
`;

async function startProgram(t: Cleanup): Promise<InspectorSession> {
  const script = path.join(dir, `program-${Date.now()}.js`);
  writeFileSync(script, PROGRAM);
  const target = spawnProcess(t, process.execPath, ['--inspect=127.0.0.1:0', script]);
  const [, url] = await target.waitForOutput(/Debugger listening on (ws:\/\/\S+)/, 10_000);
  await target.waitForOutput(/ready/, 10_000);
  t.after(() => target.kill());
  const session = await InspectorSession.attach(url);
  t.after(() => session.detach().catch(() => undefined));
  return session;
}

async function evaluate(session: InspectorSession, expression: string): Promise<void> {
  const { exceptionDetails } = await session.threadSessions[0].session.send('Runtime.evaluate', { expression });
  assert.equal(exceptionDetails, undefined, expression);
}

test('the agent keeps none of the program objects its snapshot handed to the engine', async (t) => {
  const session = await startProgram(t);
  const [report] = await session.snapshot();
  assert.ok(
    report.sites.some((site) => site.type === 'Interval' && site.locationKind === 'callback' && site.location?.line === 3),
    `the interval made before the attach was located through its callback: ${JSON.stringify(report.sites.map((site) => [site.type, site.location, site.locationKind]))}`,
  );
  await evaluate(session, 'stopHeartbeat()');
  const file = path.join(dir, 'after-stop.heapsnapshot');
  await takeHeapSnapshot(session.threadSessions[0].session, file);
  assert.equal(heapRetainers(file, 'Session', 5).count, 0, 'the stopped heartbeat and its session are gone');
});

test('heap growth counts only what the program keeps, not what something of the agent keeps', async (t) => {
  const session = await startProgram(t);
  await session.snapshot();
  await evaluate(session, 'stopHeartbeat()');
  const probe = await HeapGrowthProbe.start(session, { holders: false });
  t.after(() => probe.dispose());
  await evaluate(session, 'leakSessions(5)');
  // Five more kept only by the agent (as a sampled callback's closure would be).
  await evaluate(session, "for (let i = 0; i < 5; i++) globalThis[Symbol.for('leak-inspector.agent')].agent.siteIds.set('planted' + i, newSession(100 + i))");
  const report = await probe.finish();
  assert.equal(heapRetainers(report.after, 'Session', 1).count, 10, 'five kept by the program, five by the agent');
  const sessions = report.sites.find((site) => site.className === 'Session');
  assert.ok(sessions, JSON.stringify(report.sites.map((site) => site.className)));
  assert.equal(sessions.deltaCount, 5, 'only the program kept them');
  assert.match(sessions.retainerPath?.text ?? '', /kept/, 'held by the program');
  assert.doesNotMatch(sessions.retainerPath?.text ?? '', /leak-inspector/);
  const summary = summarizeHeapSnapshot(report.after);
  assert.equal(summary.constructors.find((c) => c.name === 'Session')?.count, 5);
  assert.deepEqual(agentClassesIn(report.sites.map((site) => ({ name: site.className }))), []);
});
