/**
 * DevTools names plain objects (`Object`) after their properties when many objects share them:
 * `{x, y}` instead of `Object` (HeapSnapshot.inferInterfaceDefinitions /
 * applyInterfaceDefinitions). Work is shared between objects with the same property names in
 * the same order (a trie keyed by name string index), so it is done once per shape.
 */
import type { HeapGraph } from './heapGraph';

export interface InterfaceDefinition {
  name: string;
  properties: string[];
  count: number;
}

const MIN_INTERFACE_PROPERTY_COUNT = 1;
const MAX_INTERFACE_NAME_LENGTH = 120;
const MIN_OBJECT_COUNT_PER_INTERFACE = 2;
const MIN_OBJECT_PROPORTION_PER_INTERFACE = 1000;

/** Property names with commas, quotes or braces are shown JSON-quoted (formatPropertyName). */
export function formatPropertyName(name: string): string {
  if (/[,'"{}]/.test(name)) {
    const quoted = JSON.stringify({ [name]: 0 });
    return quoted.substring(1, quoted.length - 3);
  }
  return name;
}

interface Trie<T> {
  next: Map<number, Trie<T>>;
  value: T | undefined;
}

function trie<T>(): Trie<T> {
  return { next: new Map(), value: undefined };
}

function child<T>(node: Trie<T>, key: number): Trie<T> {
  let next = node.next.get(key);
  if (!next) node.next.set(key, (next = trie()));
  return next;
}

/** Plain JS objects: type `object` named `Object`. */
export function plainObjectTest(graph: HeapGraph): (ordinal: number) => boolean {
  const objectNames = graph.indexesOf('Object');
  const { nodeTypes, nodeNames } = graph.raw;
  const object = graph.type.object;
  return (ordinal) => nodeTypes[ordinal] === object && objectNames.has(nodeNames[ordinal]);
}

/** `skipped` nodes (the leak inspector's own objects) do not count: they must not name the program's objects. */
export function inferInterfaceDefinitions(graph: HeapGraph, skipped: Uint8Array | null = null): InterfaceDefinition[] {
  const { firstEdges, edgeTypes, edgeNames } = graph.raw;
  const property = graph.edge.property;
  const proto = graph.indexesOf('__proto__');
  const isPlain = plainObjectTest(graph);
  const formattedLength = new Map<number, number>();
  const lengthOf = (name: number) => {
    let length = formattedLength.get(name);
    if (length === undefined) formattedLength.set(name, (length = formatPropertyName(graph.string(name)).length));
    return length;
  };
  interface Shape {
    names: number[];
    count: number;
    first: number;
  }
  const shapes = trie<Shape>();
  const found: Shape[] = [];
  let total = 0;
  for (let node = 0; node < graph.nodeCount; node++) {
    if (!isPlain(node) || skipped?.[node] === 1) continue;
    total++;
    let at = shapes;
    let nameLength = 1;
    let depth = 0;
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
      if (edgeTypes[e] !== property || proto.has(edgeNames[e])) continue;
      const length = lengthOf(edgeNames[e]);
      if (nameLength > MIN_INTERFACE_PROPERTY_COUNT && nameLength + length > MAX_INTERFACE_NAME_LENGTH) break;
      if (nameLength !== 1) nameLength += 2;
      nameLength += length;
      at = child(at, edgeNames[e]);
      depth++;
    }
    if (depth === 0) continue;
    if (!at.value) {
      const names: number[] = [];
      for (let e = firstEdges[node]; e < firstEdges[node + 1] && names.length < depth; e++) {
        if (edgeTypes[e] === property && !proto.has(edgeNames[e])) names.push(edgeNames[e]);
      }
      at.value = { names, count: 0, first: node };
      found.push(at.value);
    }
    at.value.count++;
  }
  // Shapes whose names read the same (duplicate strings) are one candidate, as in DevTools.
  const candidates = new Map<string, InterfaceDefinition & { first: number }>();
  for (const shape of found) {
    const properties = shape.names.map((name) => graph.string(name));
    const name = `{${properties.map(formatPropertyName).join(', ')}}`;
    const candidate = candidates.get(name);
    if (!candidate) candidates.set(name, { name, properties, count: shape.count, first: shape.first });
    else {
      candidate.count += shape.count;
      if (shape.first < candidate.first) Object.assign(candidate, { properties, first: shape.first });
    }
  }
  const sorted = [...candidates.values()].sort((a, b) => b.count - a.count || a.first - b.first);
  const minCount = Math.max(MIN_OBJECT_COUNT_PER_INTERFACE, total / MIN_OBJECT_PROPORTION_PER_INTERFACE);
  const result: InterfaceDefinition[] = [];
  for (const { name, properties, count } of sorted) {
    if (count < minCount) break;
    result.push({ name, properties, count });
  }
  return result;
}

interface PropertyTreeNode {
  next: Map<string, PropertyTreeNode>;
  match: Match | null;
  greatestNext: string | null;
}

interface Match {
  name: string;
  propertyCount: number;
  index: number;
}

function better(a: Match, b: Match | null): Match {
  if (!b || a.propertyCount > b.propertyCount) return a;
  if (b.propertyCount > a.propertyCount) return b;
  return a.index <= b.index ? a : b;
}

/**
 * Sets the class name string index of every plain object under `definitions` (its interface
 * name, or its own name `Object`), by DevTools' matching rules.
 */
export function applyInterfaceDefinitions(graph: HeapGraph, definitions: InterfaceDefinition[], classes: Uint32Array): void {
  const tree: PropertyTreeNode = { next: new Map(), match: null, greatestNext: null };
  definitions.forEach((definition, index) => {
    let at = tree;
    for (const property of [...definition.properties].sort()) {
      let next = at.next.get(property);
      if (!next) {
        next = { next: new Map(), match: null, greatestNext: null };
        at.next.set(property, next);
        if (at.greatestNext === null || at.greatestNext < property) at.greatestNext = property;
      }
      at = next;
    }
    at.match ??= { name: definition.name, propertyCount: definition.properties.length, index };
  });
  const none: Match = { name: 'Object', propertyCount: 0, index: Infinity };
  const matchOf = (properties: string[]): Match => {
    properties.sort();
    const states = new Set<PropertyTreeNode>([tree]);
    let match = better(none, tree.match);
    for (const property of properties) {
      for (const state of [...states]) {
        if (state.greatestNext === null || property >= state.greatestNext) states.delete(state);
        const next = state.next.get(property);
        if (next) {
          states.add(next);
          match = better(match, next.match);
        }
      }
    }
    return match;
  };

  const { firstEdges, edgeTypes, edgeNames, nodeNames } = graph.raw;
  const property = graph.edge.property;
  const isPlain = plainObjectTest(graph);
  const shapes = trie<Match>();
  for (let node = 0; node < graph.nodeCount; node++) {
    if (!isPlain(node)) continue;
    let at = shapes;
    for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === property) at = child(at, edgeNames[e]);
    if (!at.value) {
      const names: string[] = [];
      for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) if (edgeTypes[e] === property) names.push(graph.string(edgeNames[e]));
      at.value = matchOf(names);
    }
    classes[node] = at.value === none ? nodeNames[node] : graph.addString(at.value.name);
  }
}
