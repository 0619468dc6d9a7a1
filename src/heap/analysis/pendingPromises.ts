/**
 * Pending promises in a heap snapshot, and those no live code can ever settle: the Node form of
 * Go's goroutineleak profile (golang/go#74609).
 *
 * What the snapshot shows of a promise (V8, Node 20 and 24 alike): an internal edge
 * `reactions_or_result` to a `system / PromiseReaction` while it is pending with reactions, to
 * its result once settled with an object, and no edge at all when it is pending without
 * reactions or settled with a primitive. So a promise with reactions is pending by the snapshot
 * alone; for the others a probe run in the target just before the snapshot tells (see
 * `PendingPromiseProbe`). What can settle a pending promise P:
 * - its resolve/reject functions, whose context (a `system / Context`) holds P in a hidden slot
 *   (or in its `extension` slot, when optimized code made them);
 * - the suspended async function whose own promise P is (a `Generator` holding P in a hidden field);
 * - the reaction (`PromiseReaction`) of another promise whose derived promise P is, and V8's
 *   other internal records (`PromiseCapability`, reaction jobs): any `system / …` hidden node but
 *   those that only store a variable's or property's value (`VALUE_STORAGE`: a global property's
 *   `PropertyCell`, a module export's `Cell`): holding P there is holding it, not settling it;
 * - native code: P held by a GC root or a native node (Node's request wrappers hold v8 resolvers).
 * Marking runs from the GC roots without entering the reactions of a pending promise until one of
 * its settlers is marked; then its reactions (the awaiting functions, `then` handlers) are live
 * and marking goes on from them, to a fixed point, in one pass. Pending promises whose settlers
 * stayed unmarked can never settle. Doubtful cases count as settlers, so errors go toward "live".
 * A stuck promise pending only because it awaits (or was derived from) another stuck one is a
 * consequence, reported with its chain's innermost promise (`promiseChains.ts`).
 *
 * Node's own never-settling promises (held only from its built-in modules' scope, like Node 26's
 * webstreams `kPendingPromise`) are counted apart (`nodeOwnStuckCount`), never reported.
 *
 * Pending promises that are not provably stuck but whose owner is gone (the suspended async
 * function that awaits them, or whose own promise they are, holds a closed connection) are
 * reported apart, as orphaned: they could still settle, so they are never called stuck.
 */
import type { HeapObjectRef, HeapScriptLocation, OrphanedPromiseGroup, PendingPromiseCensus, PendingPromiseSiteCount, PromiseConsequence, PromiseHeapAnalysis, PromiseSite, RetainerPath, RetainerStep, StuckPromiseGroup } from '../../protocol/heap';
import type { RawHeapSnapshot } from '../parser/parseSnapshot';
import type { HeapAnalysis } from './analyzeHeapGraph';
import { ClosedConnections } from './closedConnections';
import { nodeOwnScopes } from './nodeOwnScope';
import { chainRoots, type ChainLink, type SettlerIndex } from './promiseChains';
import { RetainerIndex } from './retainers';

const NONE = 0xffffffff;
/** Reactions looked at per promise when naming its site (a promise with thousands of `then`s). */
const MAX_REACTIONS_READ = 64;
/** Heap ids given per stuck group. */
const SAMPLE_IDS = 5;
/** Objects looked at per suspended function when searching it for a closed connection (its owner). */
const OWNER_SEARCH_BUDGET = 96;
/** Dominator steps walked to tell whether a stuck promise is held by another one of its group. */
const MAX_DOMINATOR_WALK = 256;
/**
 * V8 records that only store the value of a variable or property: out-of-object properties
 * (`PropertyArray`), a global object's property (`PropertyCell`: `globalThis.waiting = p`), a
 * module's export (`Cell`), a context slot V8 tracks (`ContextCell`, V8 14 / Node 26). What they
 * hold is held by that variable, like a context slot or an object's property: never a settler.
 */
export const VALUE_STORAGE = ['system / PropertyArray', 'system / PropertyCell', 'system / Cell', 'system / ContextCell', 'system / ContextSidePropertyCell'];
/** Edges V8 adds from a promise to its awaiters while a debugger records async stacks: reactions too. */
const AWAITER_SYMBOL = /promise_(awaited|handled)_by|promise_forwarding_handler/;

/**
 * Finds the probe object in the raw snapshot, returns per node whether the probe named it pending,
 * and turns the probe's own references weak, so neither marking, dominators nor retainer paths
 * see an object the program does not have. Call before the graph is analysed.
 */
export function applyPendingProbe(raw: RawHeapSnapshot, className: string, settledIndexes: readonly number[]): { pending: Uint8Array; found: boolean } {
  const pending = new Uint8Array(raw.nodeCount);
  const edgeTypeNames = raw.header.meta.edge_types[0];
  const weak = edgeTypeNames.indexOf('weak');
  const element = edgeTypeNames.indexOf('element');
  const property = edgeTypeNames.indexOf('property');
  const internal = edgeTypeNames.indexOf('internal');
  const names = new Set(raw.strings.indexesOf(className));
  const pendingName = new Set(raw.strings.indexesOf('pending'));
  const elementsName = new Set(raw.strings.indexesOf('elements'));
  const settled = new Set(settledIndexes);
  const { firstEdges, edgeTypes, edgeNames, edgeTargets, nodeNames } = raw;
  const weaken = (node: number) => {
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) edgeTypes[e] = weak;
  };
  let found = false;
  for (let node = 0; node < raw.nodeCount; node++) {
    if (!names.has(nodeNames[node])) continue;
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      if (edgeTypes[e] !== property || !pendingName.has(edgeNames[e])) continue;
      const array = edgeTargets[e];
      found = true;
      for (let a = firstEdges[array]; a < firstEdges[array + 1]; a++) {
        if (edgeTypes[a] === element && !settled.has(edgeNames[a])) pending[edgeTargets[a]] = 1;
        if (edgeTypes[a] === internal && elementsName.has(edgeNames[a])) weaken(edgeTargets[a]);
      }
      weaken(array);
    }
    weaken(node);
  }
  return { pending, found };
}

interface Strings {
  reactions: Set<number>;
  reaction: Set<number>;
  promise: Set<number>;
  generators: Set<number>;
  context: Set<number>;
  valueStorage: Set<number>;
  extension: Set<number>;
  fn: Set<number>;
  constructorName: Set<number>;
}

/** The census and the stuck groups. `probed`: per node, 1 when the probe named it pending (null: no probe). */
export function analyzePendingPromises(analysis: HeapAnalysis, probed: Uint8Array | null): Omit<PromiseHeapAnalysis, 'timings'> {
  const { graph } = analysis;
  const raw = graph.raw;
  const n = graph.nodeCount;
  const { firstEdges, edgeTypes, edgeNames, edgeTargets, nodeTypes, nodeNames } = raw;
  const s: Strings = {
    reactions: graph.indexesOf('reactions_or_result'),
    reaction: graph.indexesOf('system / PromiseReaction'),
    promise: graph.indexesOf('Promise'),
    generators: new Set([...graph.indexesOf('Generator'), ...graph.indexesOf('AsyncGenerator')]),
    context: graph.indexesOf('system / Context'),
    valueStorage: new Set(VALUE_STORAGE.flatMap((name) => [...graph.indexesOf(name)])),
    extension: graph.indexesOf('extension'),
    fn: graph.indexesOf('function'),
    constructorName: graph.indexesOf('constructor'),
  };
  const { internal, hidden, weak, property } = graph.edge;

  // Pending promises, and the edge to each one's reactions.
  const pending = new Uint8Array(n);
  const reactionsEdge = new Uint32Array(n).fill(NONE);
  let withReactions = 0;
  let unknownState = 0;
  for (let node = 0; node < n; node++) {
    if (nodeTypes[node] !== graph.type.object) continue;
    let isPromise = false;
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      if (edgeTypes[e] !== internal || !s.reactions.has(edgeNames[e])) continue;
      isPromise = true;
      if (s.reaction.has(nodeNames[edgeTargets[e]])) {
        pending[node] = 1;
        reactionsEdge[node] = e;
        withReactions++;
      }
    }
    if (!pending[node] && probed?.[node]) pending[node] = 1;
    if (!isPromise && !pending[node] && s.promise.has(nodeNames[node]) && !hasNamedEdge(graph, node, property, s.constructorName)) unknownState++;
  }

  // Who can settle each pending promise: settler node → promises, as a compact list.
  const settlerCount = new Uint32Array(n + 1);
  const ownGenerator = new Uint32Array(n).fill(NONE);
  const derivedHandler = new Uint32Array(n).fill(NONE);
  const wrappers = nativeWrappers(graph);
  const isSettlerEdge = (from: number, e: number): boolean => {
    const type = nodeTypes[from];
    if (type === graph.type.synthetic || type === graph.type.native || wrappers[from]) return true;
    const name = nodeNames[from];
    // Resolving functions' context: the promise is in a hidden slot, or in the `extension` slot
    // (code V8 optimized builds it that way; a context's `extension` is never a user variable).
    if (s.context.has(name)) return edgeTypes[e] === hidden || (edgeTypes[e] === internal && s.extension.has(edgeNames[e]));
    if (s.generators.has(name)) return edgeTypes[e] === hidden;
    return type === graph.type.hidden && !s.valueStorage.has(name) && graph.string(name).startsWith('system / ');
  };
  const forEachSettlerEdge = (visit: (from: number, promise: number) => void) => {
    for (let from = 0; from < n; from++) {
      for (let e = firstEdges[from]; e < firstEdges[from + 1]; e++) {
        const target = edgeTargets[e];
        if (!pending[target] || target === from || edgeTypes[e] === weak) continue;
        if (isSettlerEdge(from, e)) visit(from, target);
      }
    }
  };
  forEachSettlerEdge((from, promise) => {
    settlerCount[from + 1]++;
    const name = nodeNames[from];
    if (s.generators.has(name)) ownGenerator[promise] = from;
    else if (s.reaction.has(name) && derivedHandler[promise] === NONE) derivedHandler[promise] = locatedClosure(graph, from);
  });
  for (let i = 1; i <= n; i++) settlerCount[i] += settlerCount[i - 1];
  const settled = new Uint32Array(settlerCount[n]);
  const fill = settlerCount.slice(0, n);
  forEachSettlerEdge((from, promise) => (settled[fill[from]++] = promise));

  // Marking from the roots; a pending promise's reactions are entered once it can settle.
  const marked = new Uint8Array(n);
  const settleable = new Uint8Array(n);
  const queue = new Uint32Array(n);
  let head = 0;
  let tail = 0;
  const push = (node: number) => {
    if (!marked[node]) {
      marked[node] = 1;
      queue[tail++] = node;
    }
  };
  push(graph.root);
  while (head < tail) {
    const node = queue[head++];
    for (let i = settlerCount[node]; i < settlerCount[node + 1]; i++) {
      const promise = settled[i];
      if (settleable[promise]) continue;
      settleable[promise] = 1;
      if (reactionsEdge[promise] !== NONE) push(edgeTargets[reactionsEdge[promise]]);
    }
    const holdsReactions = pending[node] === 1 && !settleable[node];
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      if (edgeTypes[e] === weak) continue;
      if (holdsReactions && (e === reactionsEdge[node] || (edgeTypes[e] === property && AWAITER_SYMBOL.test(graph.string(edgeNames[e]))))) continue;
      push(edgeTargets[e]);
    }
  }

  const nodeOwn = heldByNodeOnly(graph, pending, settleable);

  // Sites, the census and the stuck groups.
  const retainers = new RetainerIndex(analysis);
  const sites = new SiteNamer(graph, s, reactionsEdge, ownGenerator, derivedHandler, retainers);
  const census = new Map<string, PendingPromiseSiteCount>();
  const awaiting = new Map<string, PendingPromiseCensus['awaitingFunctions'][number]>();
  const siteOfPromise = new Map<number, { site: PromiseSite; key: string }>();
  const stuck = new Uint8Array(n);
  const stuckList: number[] = [];
  const orphan = new Uint8Array(n);
  const orphanList: number[] = [];
  const owners = new OwnerEvidence(graph);
  const ownerOf = new Map<number, number>();
  let total = 0;
  let nodeOwnCount = 0;
  for (let node = 0; node < n; node++) {
    if (!pending[node]) continue;
    total++;
    const named = sites.siteOf(node);
    const entry = census.get(named.key);
    if (entry) entry.count++;
    else census.set(named.key, { ...named.site, count: 1 });
    const awaiters = sites.awaiters(node);
    for (const generator of awaiters) {
      const fn = sites.functionOf(generator);
      const fnKey = locationKey(fn.scriptLocation) + fn.functionName;
      const counted = awaiting.get(fnKey);
      if (counted) counted.count++;
      else awaiting.set(fnKey, { ...fn, count: 1 });
    }
    if (settleable[node]) {
      // Could settle: orphaned when the function it belongs to, or that awaits it, holds a closed connection.
      const owner = owners.goneWith(ownGenerator[node], awaiters);
      if (owner === NONE) continue;
      ownerOf.set(node, owner);
      orphan[node] = 1;
      orphanList.push(node);
    } else if (nodeOwn[node]) {
      nodeOwnCount++; // Node's own never-settling promise (a sentinel): counted, not the program's leak
      continue;
    } else {
      stuck[node] = 1;
      stuckList.push(node);
    }
    siteOfPromise.set(node, named);
  }

  const settlers: SettlerIndex = { start: settlerCount, promises: settled };
  const chainNames = { reaction: s.reaction, context: s.context, generators: s.generators, extension: s.extension, valueStorage: s.valueStorage };
  const bySource = (a: number, b: number) => compareSites(siteOfPromise.get(a)!, siteOfPromise.get(b)!) || a - b;
  const collect = (list: number[], mask: Uint8Array) => {
    const roots = chainRoots(graph, reactionsEdge, settlers, chainNames, list, mask, bySource);
    return chainGroups(list, roots, siteOfPromise, (promise) => (heldByAnother(analysis.dominators, graph.root, promise, mask) ? 0 : analysis.retainedSizes[promise]));
  };
  const describe = (promises: number[]) => {
    const largest = promises.reduce((a, b) => (analysis.retainedSizes[b] > analysis.retainedSizes[a] ? b : a));
    const retainerPath = retainers.pathTo(largest);
    return { retainerPath, holder: describeHolder(retainerPath) || 'nothing but other pending promises and their awaiters', sampleIds: promises.slice(0, SAMPLE_IDS).map((promise) => raw.nodeIds[promise]) };
  };

  const stuckChains = collect(stuckList, stuck);
  const groups: StuckPromiseGroup[] = stuckChains.map(({ site, roots, consequences, retainedSize }) => {
    const { retainerPath, holder, sampleIds } = describe(roots);
    return { site, count: roots.length, consequences, retainedSize, holder, retainerPath, explanation: explain(site, roots.length, holder, consequences), sampleIds };
  });
  groups.sort((a, b) => b.count - a.count || b.retainedSize - a.retainedSize);
  const orphaned: OrphanedPromiseGroup[] = collect(orphanList, orphan).map(({ site, key, roots, consequences, retainedSize }) => {
    const { retainerPath, holder, sampleIds } = describe(roots);
    const owner = ownerOf.get(roots[0])!;
    const ownerEvidence = `the suspended async function ${sites.functionOf(owner).functionName} (awaiting them, or whose own promises they are) holds a closed ${owners.closedKind(owner)}`;
    return {
      site,
      count: roots.length,
      siteCount: census.get(key)?.count ?? roots.length,
      consequences,
      retainedSize,
      holder,
      retainerPath,
      ownerEvidence,
      explanation: explainOrphaned(site, roots.length, ownerEvidence, holder),
      sampleIds,
    };
  });
  orphaned.sort((a, b) => b.count - a.count || b.retainedSize - a.retainedSize);
  return {
    census: {
      total,
      withReactions,
      probed: probed !== null,
      unknownState,
      sites: [...census.values()].sort((a, b) => b.count - a.count),
      awaitingFunctions: [...awaiting.values()].sort((a, b) => b.count - a.count),
    },
    stuckCount: stuckList.length,
    nodeOwnStuckCount: nodeOwnCount,
    rootCount: groups.reduce((sum, group) => sum + group.count, 0),
    stuck: groups,
    orphaned,
  };
}

interface ChainGroup {
  site: PromiseSite;
  key: string;
  roots: number[];
  consequences: PromiseConsequence[];
  retainedSize: number;
}

/** One group per root site: its root promises, and its consequences by site (most first, then the inner links first). */
function chainGroups(list: number[], links: Map<number, ChainLink>, siteOf: Map<number, { site: PromiseSite; key: string }>, bytes: (promise: number) => number): ChainGroup[] {
  const groups = new Map<string, ChainGroup & { bySite: Map<string, PromiseConsequence & { depth: number }> }>();
  const groupOf = (root: number) => {
    const { site, key } = siteOf.get(root)!;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { site, key, roots: [], consequences: [], retainedSize: 0, bySite: new Map() }));
    return group;
  };
  for (const promise of list) {
    const { root, depth } = links.get(promise)!;
    const group = groupOf(root);
    const size = bytes(promise);
    group.retainedSize += size;
    if (root === promise) {
      group.roots.push(promise);
      continue;
    }
    const { site, key } = siteOf.get(promise)!;
    let consequence = group.bySite.get(key);
    if (!consequence) group.bySite.set(key, (consequence = { site, count: 0, retainedSize: 0, depth }));
    consequence.depth = Math.min(consequence.depth, depth);
    consequence.count++;
    consequence.retainedSize += size;
  }
  return [...groups.values()].map(({ bySite, ...group }) => ({ ...group, consequences: [...bySite.values()].sort((a, b) => b.count - a.count || a.depth - b.depth).map(({ depth: _depth, ...consequence }) => consequence) }));
}

/** Source order of two sites (script, line, column), then their keys: picks a cycle's root. */
function compareSites(a: { site: PromiseSite; key: string }, b: { site: PromiseSite; key: string }): number {
  const x = a.site.scriptLocation;
  const y = b.site.scriptLocation;
  if (x && y) return x.scriptId - y.scriptId || x.line - y.line || x.column - y.column || a.key.localeCompare(b.key);
  if (x || y) return x ? -1 : 1;
  return a.key.localeCompare(b.key);
}

/**
 * The owner evidence of a pending promise: whether the suspended async function whose own promise
 * it is, or that awaits it, holds a connection that has closed (its locals, arguments, `this` and
 * closure, a few hops deep). Cached per suspended function.
 */
class OwnerEvidence {
  private readonly connections: ClosedConnections;
  private readonly closedOf = new Map<number, number>();

  constructor(graph: HeapAnalysis['graph']) {
    this.connections = new ClosedConnections(graph);
  }

  /** The suspended function (its own first, then awaiters) that holds a closed connection, or NONE. */
  goneWith(own: number, awaiters: readonly number[]): number {
    if (own !== NONE && this.closed(own) >= 0) return own;
    return awaiters.find((generator) => this.closed(generator) >= 0) ?? NONE;
  }

  /** What the suspended function holds that has closed: `WebSocket`, `net.Socket`. */
  closedKind(generator: number): string {
    return this.connections.describe(this.closed(generator));
  }

  private closed(generator: number): number {
    let found = this.closedOf.get(generator);
    if (found === undefined) this.closedOf.set(generator, (found = this.connections.findClosed(generator, { elements: true, budget: OWNER_SEARCH_BUDGET })));
    return found;
  }
}

/**
 * Per node, 1 for the pending promises that cannot settle and are held only from Node's own
 * module scope (`nodeOwnScope.ts`): every strong reference to them comes from there.
 */
function heldByNodeOnly(graph: HeapAnalysis['graph'], pending: Uint8Array, settleable: Uint8Array): Uint8Array {
  const { firstEdges, edgeTypes, edgeTargets } = graph.raw;
  const held = new Uint8Array(graph.nodeCount); // bit 1: from Node's scope, bit 2: from anything else
  let own: Uint8Array | undefined;
  for (let from = 0; from < graph.nodeCount; from++) {
    for (let e = firstEdges[from]; e < firstEdges[from + 1]; e++) {
      const target = edgeTargets[e];
      if (!pending[target] || settleable[target] || target === from || edgeTypes[e] === graph.edge.weak) continue;
      own ??= nodeOwnScopes(graph);
      held[target] |= own[from] ? 1 : 2;
    }
  }
  for (let node = 0; node < held.length; node++) held[node] = held[node] === 1 ? 1 : 0;
  return held;
}

/**
 * JS objects that wrap a native one (Node's `FSReqPromise`, handles, requests: an internal edge
 * `javascript_to_native`): native code may settle a promise they hold (`FSReqPromise.promise`).
 */
function nativeWrappers(graph: HeapAnalysis['graph']): Uint8Array {
  const { firstEdges, edgeTypes, edgeNames } = graph.raw;
  const names = graph.indexesOf('javascript_to_native');
  const wrappers = new Uint8Array(graph.nodeCount);
  if (names.size === 0) return wrappers;
  for (let node = 0; node < graph.nodeCount; node++) {
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === graph.edge.internal && names.has(edgeNames[e])) wrappers[node] = 1;
  }
  return wrappers;
}

function hasNamedEdge(graph: HeapAnalysis['graph'], node: number, type: number, names: Set<number>): boolean {
  const { firstEdges, edgeTypes, edgeNames } = graph.raw;
  for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === type && names.has(edgeNames[e])) return true;
  return false;
}

/** The first closure with a script location among a node's edges (a reaction's handler), or NONE. */
function locatedClosure(graph: HeapAnalysis['graph'], node: number): number {
  const { firstEdges, edgeTargets, nodeTypes, nodeLocations } = graph.raw;
  for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
    const target = edgeTargets[e];
    if (nodeTypes[target] === graph.type.closure && (nodeLocations?.[target] ?? 0) !== 0) return target;
  }
  return NONE;
}

/** Whether a stuck promise is dominated by another stuck one (its bytes are counted there). */
function heldByAnother(dominators: Uint32Array, root: number, promise: number, stuck: Uint8Array): boolean {
  let node = dominators[promise];
  for (let steps = 0; node !== root && steps < MAX_DOMINATOR_WALK; steps++, node = dominators[node]) if (stuck[node]) return true;
  return false;
}

function locationKey(location: HeapScriptLocation | undefined): string {
  return location ? `${location.scriptId}:${location.line}:${location.column}:` : '';
}

/** Names each pending promise's site from what the snapshot holds (see `PromiseSiteKind`). */
class SiteNamer {
  constructor(
    private readonly graph: HeapAnalysis['graph'],
    private readonly s: Strings,
    private readonly reactionsEdge: Uint32Array,
    private readonly ownGenerator: Uint32Array,
    private readonly derivedHandler: Uint32Array,
    private readonly retainers: RetainerIndex,
  ) {}

  siteOf(promise: number): { site: PromiseSite; key: string } {
    const own = this.ownGenerator[promise];
    if (own !== NONE) return this.functionSite('async-function', this.functionOf(own));
    const [awaiter] = this.awaiters(promise);
    if (awaiter !== undefined) return this.functionSite('awaiter', this.functionOf(awaiter));
    const handler = this.firstHandler(promise);
    if (handler !== NONE) return this.functionSite('handler', this.closureFunction(handler));
    const holder = describeHolder(this.retainers.pathTo(promise));
    return { site: { kind: 'holder', functionName: '', holder }, key: `holder:${normalizeHolder(holder)}` };
  }

  /** The suspended async functions (their `Generator`s) awaiting `promise`. */
  awaiters(promise: number): number[] {
    const found: number[] = [];
    this.forEachHandler(promise, (closure) => {
      const generator = this.awaitingGenerator(closure);
      if (generator !== NONE && !found.includes(generator)) found.push(generator);
    });
    return found;
  }

  functionOf(generator: number): { functionName: string; scriptLocation?: HeapScriptLocation } {
    const { firstEdges, edgeTypes, edgeNames, edgeTargets } = this.graph.raw;
    for (let e = firstEdges[generator]; e < firstEdges[generator + 1]; e++) {
      if (edgeTypes[e] === this.graph.edge.internal && this.s.fn.has(edgeNames[e])) return this.closureFunction(edgeTargets[e]);
    }
    return { functionName: 'anonymous', scriptLocation: this.location(generator) };
  }

  private functionSite(kind: PromiseSite['kind'], fn: { functionName: string; scriptLocation?: HeapScriptLocation }): { site: PromiseSite; key: string } {
    return { site: { kind, ...fn }, key: `${kind}:${locationKey(fn.scriptLocation)}${fn.functionName}` };
  }

  private closureFunction(closure: number): { functionName: string; scriptLocation?: HeapScriptLocation } {
    return { functionName: this.graph.nodeName(closure) || 'anonymous', scriptLocation: this.location(closure) };
  }

  private firstHandler(promise: number): number {
    let handler = this.derivedHandler[promise];
    if (handler !== NONE) return handler;
    this.forEachHandler(promise, (closure) => {
      if (handler === NONE && (this.graph.raw.nodeLocations?.[closure] ?? 0) !== 0) handler = closure;
    });
    return handler;
  }

  /** Every closure in the promise's reaction list (bounded). */
  private forEachHandler(promise: number, visit: (closure: number) => void): void {
    const edge = this.reactionsEdge[promise];
    if (edge === NONE) return;
    const { firstEdges, edgeTargets, nodeTypes, nodeNames } = this.graph.raw;
    let reaction = edgeTargets[edge];
    for (let read = 0; read < MAX_REACTIONS_READ && reaction !== NONE; read++) {
      let next = NONE;
      for (let e = firstEdges[reaction]; e < firstEdges[reaction + 1]; e++) {
        const target = edgeTargets[e];
        if (nodeTypes[target] === this.graph.type.closure) visit(target);
        else if (this.s.reaction.has(nodeNames[target])) next = target;
      }
      reaction = next;
    }
  }

  /** For an `await`'s resume closure: the suspended function's Generator (its context's `extension`). */
  private awaitingGenerator(closure: number): number {
    const { firstEdges, edgeTypes, edgeNames, edgeTargets, nodeNames } = this.graph.raw;
    const { internal } = this.graph.edge;
    for (let e = firstEdges[closure]; e < firstEdges[closure + 1]; e++) {
      if (edgeTypes[e] !== internal || this.graph.edgeName(e) !== 'context') continue;
      const context = edgeTargets[e];
      for (let c = firstEdges[context]; c < firstEdges[context + 1]; c++) {
        if (this.s.extension.has(edgeNames[c]) && this.s.generators.has(nodeNames[edgeTargets[c]])) return edgeTargets[c];
      }
    }
    return NONE;
  }

  private location(node: number): HeapScriptLocation | undefined {
    const { nodeLocations, locationPositions } = this.graph.raw;
    const location = nodeLocations?.[node] ?? 0;
    if (location === 0) return undefined;
    const at = (location - 1) * 3;
    return { scriptId: locationPositions[at], line: locationPositions[at + 1], column: locationPositions[at + 2] };
  }
}

/**
 * What holds an object, as a user writes the access: the last few named hops of its retainer
 * path (closure variables, properties, Map values, array elements), internal hops left out:
 * `->rooms → Set → Object.ready → Promise`.
 */
export function describeHolder(path: RetainerPath): string {
  const named: Array<{ step: RetainerStep; next: HeapObjectRef }> = [];
  path.steps.forEach((step, i) => {
    const userElement = step.edgeType === 'element' && step.from.className === 'Array';
    if (step.edgeType !== 'context' && step.edgeType !== 'property' && !userElement && !step.edgeLabel.startsWith('{value of')) return;
    named.push({ step, next: path.steps[i + 1]?.from ?? path.target });
  });
  // From the innermost variable on (`->rooms …`); without one, the last two hops.
  const variable = named.findLastIndex(({ step }) => step.edgeType === 'context');
  const shown = named.slice(variable >= 0 ? variable : -2);
  return shown
    .map(({ step, next }, i) => {
      const hop = `${step.edgeType === 'context' ? '' : step.from.className}${step.edgeLabel}`;
      // The object reached, unless the next hop starts from it (`.leaf → {p}.p`, not `.leaf → {p} → {p}.p`).
      return shown[i + 1]?.step.from.id === next.id ? hop : `${hop} → ${next.className}`;
    })
    .join(' → ');
}

/** A holder without the parts that differ per instance (indexes, Map keys), for grouping. */
function normalizeHolder(holder: string): string {
  return holder.replace(/\[\d+\]/g, '[]').replace(/\{value of [^}]*\}/g, '{value}');
}

function explain(site: PromiseSite, count: number, holder: string, consequences: PromiseConsequence[]): string {
  const outer = consequences.reduce((sum, consequence) => sum + consequence.count, 0);
  const what =
    site.kind === 'async-function' ? `${count} call(s) of async function ${site.functionName} are suspended for good`
    : site.kind === 'awaiter' ? `${count} promise(s) awaited by async function ${site.functionName} can never settle`
    : site.kind === 'handler' ? `${count} promise(s) whose handler ${site.functionName} can never run`
    : `${count} promise(s) can never settle`;
  return (
    `${what}: no resolve/reject function of these promises, and no native operation that would settle them, ` +
    `is reachable from anything that can still run (only from the promises themselves, their awaiters, or dead code). ` +
    `They are held by ${holder}, so they and everything their awaiters hold stay in memory for good.` +
    (outer > 0 ? ` ${outer} more stuck promise(s) are pending only because of them (the outer links of the same chains: ${consequences.map(describeConsequence).join(', ')}).` : '')
  );
}

export function describeConsequence({ site, count }: PromiseConsequence): string {
  const where = site.location ? ` (${site.location.path.split(/[\\/]/).pop()}:${site.location.line})` : '';
  switch (site.kind) {
    case 'async-function':
      return `${count} call(s) of ${site.functionName}${where} suspended`;
    case 'awaiter':
      return `${count} awaited by ${site.functionName}${where}`;
    case 'handler':
      return `${count} with handler ${site.functionName}${where}`;
    default:
      return `${count} held by ${site.holder}`;
  }
}

function explainOrphaned(site: PromiseSite, count: number, evidence: string, holder: string): string {
  const what = site.kind === 'async-function' ? `${count} call(s) of async function ${site.functionName} wait` : `${count} pending promise(s)${site.functionName ? ` of ${site.functionName}` : ''} wait`;
  return (
    `${what} for an owner that is gone: ${evidence}. A resolve/reject function is still reachable from live code, so they could settle ` +
    `(not provably stuck), but nothing will call it while the connection is closed unless a timeout or cleanup does. They are held by ${holder}.`
  );
}
