/**
 * Late-attach evidence from closures. A timer created before the attach has no recorded owner,
 * but its callback usually closes over the connection it served (`ws`, `session.socket`, a
 * bound `this`). V8 exposes a function's closure only through the inspector (`[[Scopes]]`), so
 * the engine reads it over CDP for a few sampled callbacks of the largest ownerless timer sites
 * and asks the target, in one call, whether the connections found there are closed.
 *
 * Bounded so the default snapshot stays cheap: at most `maxSites` sites × `maxFunctionsPerSite`
 * callbacks, and no new function is started once `budgetMs` has passed. Each CDP call is a
 * short interruption of the target (no heap walk, no GC). What V8 does not expose is not seen:
 * an arrow function's captured `this` (`setInterval(() => this.socket.ping())`) is not among
 * its scope variables.
 */
import type { CdpSession } from '../cdp';
import type { AgentSite } from '../protocol/agentSnapshot';
import type { ClosureEvidence } from '../protocol/asyncSnapshot';

export interface ClosureScanLimits {
  maxSites: number;
  maxFunctionsPerSite: number;
  /** Wall time after which no further callback is looked into. */
  budgetMs: number;
}

export const DEFAULT_CLOSURE_SCAN: ClosureScanLimits = { maxSites: 5, maxFunctionsPerSite: 5, budgetMs: 150 };

export interface ClosureScan {
  bySite: Map<string, ClosureEvidence>;
  sites: number;
  functions: number;
  ms: number;
}

/** Released after each scan, so nothing stays pinned in the target. */
const GROUP = 'leak-inspector-closures';
/** A bound function of a bound function: followed this deep. */
const MAX_BIND_DEPTH = 2;
/** Scopes that belong to the callback's own closure chain; Global, Script and Module are shared by everything. */
const OWN_SCOPE = /^(Closure|Block|Catch)\b/;

/** A closure scope object (its variables under `.object`), or a bound `this` (label `this`). */
interface Holder {
  fn: number;
  objectId: string;
  label: string | null;
}

/** The target's verdict for one callback: the first connection found, innermost scope first. */
interface Verdict {
  conn: number;
  kind: string;
  closed: boolean;
  path: string;
}

/**
 * Runs in the target. Reads own data properties only (no getters of unknown objects, no
 * proxies; Node's `destroyed` getter only on a verified `net.Socket`), two levels deep: a variable that is a connection, or a property of one (`session.ws`).
 */
const CLASSIFY = `function (layout, ...holders) {
  const net = process.getBuiltinModule('net');
  const isProxy = process.getBuiltinModule('util').types.isProxy;
  const MAX_KEYS = 64;
  const own = (o, k) => { try { const d = Object.getOwnPropertyDescriptor(o, k); return d && 'value' in d ? d.value : undefined; } catch { return undefined; } };
  const isObject = (v) => v !== null && typeof v === 'object' && !isProxy(v);
  const connection = (v) => {
    if (!isObject(v)) return undefined;
    try {
      // Node's own getter (stream state), safe to read on a verified socket.
      if (v instanceof net.Socket) return { kind: 'net.Socket', closed: v.destroyed === true };
      const ready = own(v, '_readyState');
      if (typeof ready === 'number' && '_closeFrameReceived' in v) return { kind: 'WebSocket', closed: ready >= 2 || own(v, '_closeFrameReceived') === true };
      if (typeof globalThis.WebSocket === 'function' && v instanceof globalThis.WebSocket) return { kind: 'WebSocket', closed: v.readyState >= 2 };
      const connected = own(v, 'connected');
      if (typeof connected === 'boolean' && own(v, 'nsp') !== undefined) return { kind: 'socket.io Socket', closed: !connected };
    } catch {}
    return undefined;
  };
  const conns = [];
  const idOf = (c) => { let i = conns.indexOf(c); if (i < 0) i = conns.push(c) - 1; return i; };
  const verdicts = [];
  holders.forEach((holder, h) => {
    const [fn, label] = layout[h];
    if (verdicts[fn]) return;
    const variables = label === null ? Object.keys(holder.object || {}).slice(0, MAX_KEYS).map((k) => [k, own(holder.object, k)]) : [[label, holder]];
    for (const [name, value] of variables) {
      let found = connection(value);
      let path = name;
      let conn = value;
      if (!found && isObject(value) && !Array.isArray(value)) {
        for (const key of Object.keys(value).slice(0, MAX_KEYS)) {
          const inner = own(value, key);
          found = connection(inner);
          if (found) { path = name + '.' + key; conn = inner; break; }
        }
      }
      if (found) { verdicts[fn] = { conn: idOf(conn), kind: found.kind, closed: found.closed, path }; return; }
    }
  });
  return verdicts;
}`;

/** Looks into the closures of sampled callbacks of the largest ownerless timer sites. */
export async function scanClosures(session: CdpSession, callbacksExpression: string, sites: ReadonlyArray<Pick<AgentSite, 'id' | 'count' | 'ownerKnownCount' | 'callbackSamples'>>, limits: ClosureScanLimits = DEFAULT_CLOSURE_SCAN): Promise<ClosureScan> {
  const started = performance.now();
  const candidates = sites
    .filter((site) => site.callbackSamples?.length && site.ownerKnownCount === 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, limits.maxSites);
  const samples = candidates.flatMap((site) => site.callbackSamples!.slice(0, limits.maxFunctionsPerSite).map((index) => ({ site, index })));
  const scan: ClosureScan = { bySite: new Map(), sites: 0, functions: 0, ms: 0 };
  if (samples.length === 0) return scan;
  try {
    const { result: array } = await session.send('Runtime.evaluate', {
      expression: `((all) => [${samples.map(({ index }) => index).join(',')}].map((i) => all[i]))(${callbacksExpression})`,
      objectGroup: GROUP,
      silent: true,
    });
    if (!array.objectId) return scan;
    const elements = await session.send('Runtime.getProperties', { objectId: array.objectId, ownProperties: true });
    const functionIds = new Map(elements.result.flatMap((element) => (element.value?.type === 'function' && element.value.objectId ? [[Number(element.name), element.value.objectId] as const] : [])));
    const holders: Holder[] = [];
    const inspected: number[] = [];
    for (let fn = 0; fn < samples.length && performance.now() - started < limits.budgetMs; fn++) {
      const objectId = functionIds.get(fn);
      if (!objectId) continue;
      holders.push(...(await holdersOf(session, fn, objectId, 0)));
      inspected.push(fn);
    }
    const { result } = await session.send('Runtime.callFunctionOn', {
      objectId: array.objectId,
      functionDeclaration: CLASSIFY,
      arguments: [{ value: holders.map(({ fn, label }) => [fn, label]) }, ...holders.map(({ objectId }) => ({ objectId }))],
      returnByValue: true,
      silent: true,
    });
    const verdicts = (Array.isArray(result.value) ? result.value : []) as Array<Verdict | null | undefined>;
    for (const site of candidates) {
      const own = inspected.filter((fn) => samples[fn].site === site);
      if (own.length === 0) continue;
      scan.bySite.set(site.id, summarize(own.map((fn) => verdicts[fn] ?? undefined)));
      scan.sites++;
    }
    scan.functions = inspected.length;
  } catch {
    // Evidence is optional: a failed look (the target busy, a protocol quirk) leaves the site scored without it.
  } finally {
    await session.send('Runtime.releaseObjectGroup', { objectGroup: GROUP }).catch(() => undefined);
    scan.ms = Math.round((performance.now() - started) * 10) / 10;
  }
  return scan;
}

/** Closure scopes of a function, innermost first, and a bound function's `this` and target's scopes. */
async function holdersOf(session: CdpSession, fn: number, objectId: string, depth: number): Promise<Holder[]> {
  const { internalProperties = [] } = await session.send('Runtime.getProperties', { objectId, ownProperties: true, accessorPropertiesOnly: false, generatePreview: false });
  const internal = (name: string) => internalProperties.find((property) => property.name === name)?.value;
  const holders: Holder[] = [];
  const boundThis = internal('[[BoundThis]]');
  if (boundThis?.objectId && boundThis.type === 'object') holders.push({ fn, objectId: boundThis.objectId, label: 'this' });
  const target = internal('[[TargetFunction]]')?.objectId;
  if (target && depth < MAX_BIND_DEPTH) holders.push(...(await holdersOf(session, fn, target, depth + 1)));
  const scopes = internal('[[Scopes]]')?.objectId;
  if (!scopes) return holders;
  const list = await session.send('Runtime.getProperties', { objectId: scopes, ownProperties: true });
  for (const scope of list.result) {
    if (scope.value?.objectId && OWN_SCOPE.test(scope.value.description ?? '')) holders.push({ fn, objectId: scope.value.objectId, label: null });
  }
  return holders;
}

/**
 * One site's verdicts. A connection reached from several distinct callbacks is shared (a
 * module-level client, a server-wide socket), not what each resource belongs to: not counted.
 */
export function summarize(verdicts: ReadonlyArray<Verdict | undefined>): ClosureEvidence {
  const reached = new Map<number, number>();
  for (const verdict of verdicts) if (verdict) reached.set(verdict.conn, (reached.get(verdict.conn) ?? 0) + 1);
  const own = verdicts.filter((verdict): verdict is Verdict => verdict !== undefined && (verdicts.length === 1 || reached.get(verdict.conn) === 1));
  const closed = own.filter((verdict) => verdict.closed);
  const evidence: ClosureEvidence = { sampled: verdicts.length, closed: closed.length, open: own.length - closed.length };
  const shown = mostFrequent(closed.length > 0 ? closed : own);
  if (shown) {
    evidence.kind = shown.kind;
    evidence.path = shown.path;
  }
  return evidence;
}

function mostFrequent(verdicts: readonly Verdict[]): Verdict | undefined {
  const counts = new Map<string, { verdict: Verdict; count: number }>();
  for (const verdict of verdicts) {
    const key = `${verdict.kind} ${verdict.path}`;
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { verdict, count: 1 });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count)[0]?.verdict;
}
