/**
 * Await and `then` chains among pending promises, so that one leak is reported once: a promise
 * that is pending only because it (transitively) awaits, or was derived from, another promise of
 * the same set is a consequence of it. The root of a chain is its innermost promise; in a cycle
 * (promises awaiting each other) the member whose site comes first is the root.
 *
 * A link Q → P (P is a consequence of Q) is found by looking, from each reaction of Q, for a
 * settler of P a few internal hops away: the reaction itself (the promise a `then` derived), an
 * `await`'s resume closure → its context → the suspended function (whose own promise P is), a
 * handler that is P's resolve function (→ its context), or a combinator's element function →
 * its context → the capability (`Promise.all`/`race`). User variables are never followed, so a
 * promise merely held by another one's awaiter is not its consequence. Bounded work per promise:
 * linear in the snapshot.
 */
import type { HeapAnalysis } from './analyzeHeapGraph';

export const NONE = 0xffffffff;
/** Reactions followed per promise. */
const MAX_REACTIONS = 64;
/** Nodes looked at per promise when searching its reactions for settlers of others. */
const SEARCH_BUDGET = 48;

/** For each node, the pending promises it can settle (a compact list: `promises[start[node]..start[node + 1]]`). */
export interface SettlerIndex {
  start: Uint32Array;
  promises: Uint32Array;
}

export interface ChainNames {
  reaction: Set<number>;
  context: Set<number>;
  generators: Set<number>;
  extension: Set<number>;
  /** `VALUE_STORAGE` records: a variable's storage, never V8's promise machinery. */
  valueStorage: Set<number>;
}

/**
 * The root of each member of `members` (a promise list; `isMember` its mask): itself for a root,
 * else the root of the chain it is a consequence of. `compare` orders the members of a cycle
 * (the first becomes its root).
 */
export function chainRoots(
  graph: HeapAnalysis['graph'],
  reactionsEdge: Uint32Array,
  settlers: SettlerIndex,
  names: ChainNames,
  members: readonly number[],
  isMember: Uint8Array,
  compare: (a: number, b: number) => number,
): Map<number, ChainLink> {
  const parent = new Map<number, number>();
  for (const promise of members) linkConsequences(graph, reactionsEdge, settlers, names, promise, isMember, parent);
  return resolveRoots(members, parent, compare);
}

function linkConsequences(graph: HeapAnalysis['graph'], reactionsEdge: Uint32Array, settlers: SettlerIndex, names: ChainNames, promise: number, isMember: Uint8Array, parent: Map<number, number>): void {
  const edge = reactionsEdge[promise];
  if (edge === NONE) return;
  const { firstEdges, edgeTypes, edgeNames, edgeTargets, nodeTypes, nodeNames } = graph.raw;
  const { internal, hidden, weak } = graph.edge;
  const seen = new Set<number>();
  const queue: number[] = [];
  const add = (node: number) => {
    if (seen.has(node) || seen.size >= SEARCH_BUDGET) return;
    seen.add(node);
    queue.push(node);
  };
  let reaction = edgeTargets[edge];
  for (let read = 0; read < MAX_REACTIONS && reaction !== NONE && names.reaction.has(nodeNames[reaction]); read++) {
    add(reaction);
    let next = NONE;
    for (let e = firstEdges[reaction]; e < firstEdges[reaction + 1]; e++) if (names.reaction.has(nodeNames[edgeTargets[e]])) next = edgeTargets[e];
    reaction = next;
  }
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    for (let i = settlers.start[node]; i < settlers.start[node + 1]; i++) {
      const settled = settlers.promises[i];
      if (settled !== promise && isMember[settled] && !parent.has(settled)) parent.set(settled, promise);
    }
    const type = nodeTypes[node];
    const name = nodeNames[node];
    if (names.generators.has(name)) continue; // a suspended function: its own promise is all it settles here
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      const target = edgeTargets[e];
      const edgeType = edgeTypes[e];
      if (edgeType === weak || names.reaction.has(nodeNames[target])) continue;
      const targetType = nodeTypes[target];
      if (type === graph.type.closure) {
        if (edgeType === internal && graph.edgeName(e) === 'context') add(target);
      } else if (names.context.has(name)) {
        // A context's hidden slots (a resolve function's promise, a combinator's capability) and
        // its `extension` (an await's suspended function); never its variables.
        if (edgeType === hidden || (edgeType === internal && names.extension.has(edgeNames[e]))) add(target);
      } else if (targetType === graph.type.closure || (targetType === graph.type.hidden && isSystem(graph, names, target)) || names.generators.has(nodeNames[target])) {
        // A reaction's handlers and V8's own records (a capability, a reaction job).
        if (type === graph.type.hidden && edgeType !== weak) add(target);
      }
    }
  }
}

function isSystem(graph: HeapAnalysis['graph'], names: ChainNames, node: number): boolean {
  const name = graph.raw.nodeNames[node];
  return !names.valueStorage.has(name) && graph.string(name).startsWith('system / ');
}

/** A member's root and how many links it is from it (0: a root). */
export interface ChainLink {
  root: number;
  depth: number;
}

/** Follows each member's parent to its root; a cycle's first member (by `compare`) becomes its root. */
function resolveRoots(members: readonly number[], parent: Map<number, number>, compare: (a: number, b: number) => number): Map<number, ChainLink> {
  const root = new Map<number, ChainLink>();
  const onPath = new Set<number>();
  for (const start of members) {
    if (root.has(start)) continue;
    const path: number[] = [];
    let node: number | undefined = start;
    let found: ChainLink | undefined;
    while (node !== undefined) {
      const known = root.get(node);
      if (known !== undefined) {
        found = known;
        break;
      }
      if (onPath.has(node)) {
        // A cycle: from `node` to the end of the path; its first member is the root, the others
        // follow it around the cycle (each is pending because of the one it awaits).
        const cycle = path.slice(path.indexOf(node));
        const at = cycle.indexOf(cycle.reduce((a, b) => (compare(b, a) < 0 ? b : a)));
        parent.delete(cycle[at]);
        for (let i = 0; i < cycle.length; i++) root.set(cycle[(at - i + cycle.length) % cycle.length], { root: cycle[at], depth: i });
        path.length = path.indexOf(node);
        found = root.get(path.length > 0 ? parent.get(path[path.length - 1])! : cycle[at]);
        break;
      }
      onPath.add(node);
      path.push(node);
      const up = parent.get(node);
      if (up === undefined) {
        root.set(node, { root: node, depth: 0 });
        found = root.get(node);
        path.pop();
        break;
      }
      node = up;
    }
    // `path` holds the members still without a root, each the consequence of the next.
    for (let i = path.length - 1; i >= 0; i--) {
      found = { root: found!.root, depth: found!.depth + 1 };
      root.set(path[i], found);
    }
    for (const member of path) onPath.delete(member);
  }
  return root;
}
