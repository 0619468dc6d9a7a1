/**
 * Node's own module scope in a heap snapshot: the contexts of functions defined in Node's built-in
 * scripts (`node:…`) and the exports objects of its built-in modules (held by a `BuiltinModule`).
 *
 * Node keeps a few promises that never settle on purpose, e.g. Node 26's webstreams sentinel
 * `const kPendingPromise = new Promise(() => {})`: nothing can settle it, but it is one object the
 * program did not make and cannot free. A stuck promise held only from Node's own scope is not a
 * leak of the program; held by anything else too (a global, a user's object), it is reported.
 */
import type { HeapAnalysis } from './analyzeHeapGraph';

/** Per node, 1 when it is a scope of Node's own code (see above). Linear in the snapshot. */
export function nodeOwnScopes(graph: HeapAnalysis['graph']): Uint8Array {
  const { firstEdges, edgeTypes, edgeNames, edgeTargets, nodeTypes, nodeNames } = graph.raw;
  const own = new Uint8Array(graph.nodeCount);
  const { internal, property } = graph.edge;
  const shared = graph.indexesOf('shared');
  const script = graph.indexesOf('script');
  const context = graph.indexesOf('context');
  const exportsName = graph.indexesOf('exports');
  const builtinModule = graph.indexesOf('BuiltinModule');
  const edgeTo = (node: number, names: Set<number>): number => {
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === internal && names.has(edgeNames[e])) return edgeTargets[e];
    return -1;
  };
  const builtinScript = new Map<number, boolean>();
  const isBuiltinScript = (name: number) => {
    let known = builtinScript.get(name);
    if (known === undefined) builtinScript.set(name, (known = graph.string(name).startsWith('node:')));
    return known;
  };
  for (let node = 0; node < graph.nodeCount; node++) {
    if (nodeTypes[node] === graph.type.closure) {
      // closure → shared (SharedFunctionInfo) → script, named by its URL.
      const info = edgeTo(node, shared);
      const source = info < 0 ? -1 : edgeTo(info, script);
      const scope = edgeTo(node, context);
      if (source >= 0 && scope >= 0 && isBuiltinScript(nodeNames[source])) own[scope] = 1;
    } else if (builtinModule.has(nodeNames[node])) {
      for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === property && exportsName.has(edgeNames[e])) own[edgeTargets[e]] = 1;
    }
  }
  return own;
}
