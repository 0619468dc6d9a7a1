/**
 * The leak inspector's own objects in a snapshot of the program it inspects: the agent's records
 * (`{record, resource}`, `{context, owner}`, `Registry`, listener registrations, the snapshot's
 * sampled callbacks) and whatever is alive only because the agent holds it. They are the cost of
 * inspecting, not the user's: the Summary and the Comparison group them as one class,
 * `(leak inspector)`, so no list shows them as a class of the program (and a `PlayerSession`
 * kept only by the agent is not "leaked").
 *
 * Why by reachability, not by name: the agent's plain objects have no constructor location and
 * interface names (`{record, resource}`) say nothing about who made them, while a user's object
 * the agent happens to keep keeps its own class name. So, as a dominator would decide it, an
 * object is the agent's when every path to it from the GC roots goes through the agent:
 * - the agent's roots are its global holder (the `<symbol leak-inspector.agent>` property,
 *   recognised as `HolderNamer` does), the closures of the agent's script (its wrappers on
 *   `setTimeout`, `EventEmitter.prototype.on`, … are reachable from Node's own objects, not
 *   through the holder) and the instances of its classes (`Agent`, `Registry`, …); the agent's
 *   script is the one the holder's methods were compiled from (a snapshot names scripts by id);
 * - a WeakMap value counts as held by its key only when the WeakMap is the program's: the
 *   agent's records keyed by the program's timers and listeners exist only for the agent.
 * One breadth-first walk from the roots that does not enter the agent's roots finds what the
 * program reaches; what the agent's roots reach beyond that is the agent's. A WeakMap is the
 * agent's when the program does not reach it, which can change what the program reaches through
 * other WeakMaps' keys, so the walk repeats until that settles (once or twice in practice).
 */
import type { EphemeronNames } from './essentialEdges';
import type { HeapGraph } from './heapGraph';
import { AGENT_GLOBAL } from './holderHops';

/** The class the Summary and the Comparison show the agent's objects as. */
export const AGENT_CLASS = '(leak inspector)';

const UNSEEN = 0;
const PROGRAM = 1;
const AGENT_ROOT = 2;
const AGENT = 3;

/** Per node: 1 for the agent's objects; null when the snapshot has no agent (nothing to mark). */
export function agentOwnedNodes(graph: HeapGraph, essential: Uint8Array, ephemerons: EphemeronNames): Uint8Array | null {
  const holders = agentHolders(graph);
  if (holders.length === 0) return null;
  const n = graph.nodeCount;
  const { firstEdges, edgeTargets, edgeTypes, edgeNames, nodeIds } = graph.raw;
  const isEssential = (e: number) => (essential[e >>> 3] & (1 << (e & 7))) !== 0;

  const roots = agentRoots(graph, holders);
  // Essential edges from a key to its WeakMap value, with the WeakMap's table.
  const ephemeronTable = new Map<number, number>();
  const tableIds = new Map<number, number[]>();
  const retained = new Uint8Array(n);
  for (let node = 0; node < n; node++) {
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      if (!isEssential(e)) continue;
      retained[edgeTargets[e]] = 1;
      if (edgeTypes[e] !== graph.edge.internal) continue;
      const ephemeron = ephemerons.get(edgeNames[e]);
      if (!ephemeron) continue;
      const edges = tableIds.get(ephemeron.tableId) ?? [];
      edges.push(e);
      tableIds.set(ephemeron.tableId, edges);
    }
  }
  if (tableIds.size > 0) {
    for (let node = 0; node < n; node++) {
      const edges = tableIds.get(nodeIds[node]);
      if (edges) for (const e of edges) ephemeronTable.set(e, node);
    }
  }

  const state = new Uint8Array(n);
  const queue = new Uint32Array(n);
  /** Breadth first from the queued nodes over essential edges, into nodes `enter` accepts. */
  const walk = (length: number, mark: number, enter: (node: number, edge: number) => boolean) => {
    for (let head = 0; head < length; head++) {
      const node = queue[head];
      for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
        const target = edgeTargets[e];
        if (state[target] !== UNSEEN || !isEssential(e) || !enter(target, e)) continue;
        state[target] = mark;
        queue[length++] = target;
      }
    }
  };
  const startAtAgentRoots = () => {
    let length = 0;
    for (const root of roots) {
      state[root] = AGENT_ROOT;
      queue[length++] = root;
    }
    return length;
  };

  // The WeakMaps the agent reaches; those the program reaches too are dropped below.
  let agentTables = new Set<number>();
  walk(startAtAgentRoots(), AGENT, () => true);
  for (const table of new Set(ephemeronTable.values())) if (state[table] !== UNSEEN) agentTables.add(table);

  for (;;) {
    state.fill(UNSEEN);
    for (const root of roots) state[root] = AGENT_ROOT;
    // The program's starts: the root and, as for dominators, whatever has no essential retainer.
    let length = 0;
    for (let node = 0; node < n; node++) {
      if (state[node] !== UNSEEN || (node !== graph.root && retained[node])) continue;
      state[node] = PROGRAM;
      queue[length++] = node;
    }
    walk(length, PROGRAM, (_, edge) => {
      const table = ephemeronTable.get(edge);
      return table === undefined || !agentTables.has(table);
    });
    const still = new Set([...agentTables].filter((table) => state[table] !== PROGRAM));
    if (still.size === agentTables.size) break;
    agentTables = still;
  }

  // The agent's roots, and the values of its WeakMaps (kept by the table, which dominators do not count).
  let length = startAtAgentRoots();
  for (const [edge, table] of ephemeronTable) {
    const value = edgeTargets[edge];
    if (!agentTables.has(table) || state[value] !== UNSEEN) continue;
    state[value] = AGENT;
    queue[length++] = value;
  }
  walk(length, AGENT, () => true);
  for (let node = 0; node < n; node++) state[node] = state[node] === AGENT || state[node] === AGENT_ROOT ? 1 : 0;
  return state;
}

/** The objects the agent's global property points to (one per realm that has the agent). */
function agentHolders(graph: HeapGraph): number[] {
  const names = graph.indexesOf(AGENT_GLOBAL);
  if (names.size === 0) return [];
  const { firstEdges, edgeTargets, edgeTypes, edgeNames } = graph.raw;
  const holders: number[] = [];
  for (let node = 0; node < graph.nodeCount; node++) {
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      if (edgeTypes[e] === graph.edge.property && names.has(edgeNames[e])) holders.push(edgeTargets[e]);
    }
  }
  return holders;
}

/** The holders, and the closures and class instances of the scripts the holders' methods come from. */
function agentRoots(graph: HeapGraph, holders: number[]): number[] {
  const { firstEdges, edgeTargets, edgeTypes, nodeTypes, nodeLocations, locationPositions } = graph.raw;
  const roots = new Set(holders);
  if (!nodeLocations) return [...roots];
  const scriptOf = (node: number) => (nodeLocations[node] === 0 ? -1 : locationPositions[(nodeLocations[node] - 1) * 3]);
  const scripts = new Set<number>();
  for (const holder of holders) {
    for (let e = firstEdges[holder]; e < firstEdges[holder + 1]; e++) {
      const target = edgeTargets[e];
      if (edgeTypes[e] !== graph.edge.weak && nodeTypes[target] === graph.type.closure && scriptOf(target) >= 0) scripts.add(scriptOf(target));
    }
  }
  if (scripts.size === 0) return [...roots];
  const { closure, object } = graph.type;
  for (let node = 0; node < graph.nodeCount; node++) {
    const type = nodeTypes[node];
    if ((type === closure || type === object) && scripts.has(scriptOf(node))) roots.add(node);
  }
  return [...roots];
}
