/**
 * DevTools' Comparison view (HeapSnapshot.calculateSnapshotDiff): per class key, the objects
 * of the second snapshot whose heap object id is not in the first (new) and the other way
 * round (deleted). The first snapshot is classified with the second one's interface names
 * (`{x, y}`), so plain objects fall in the same classes, as DevTools does.
 */
import type { HeapConstructorDiff, HeapDiff, HeapScriptLocation } from '../../protocol/heap';
import type { RawHeapSnapshot } from '../parser/parseSnapshot';
import { NO_CLASS } from './aggregates';
import { classify, prepareGraph } from './analyzeHeapGraph';
import type { InterfaceDefinition } from './interfaces';

/** A snapshot reduced to what a comparison needs: per class key, its objects' ids (ascending) and self sizes. */
export interface ClassMembers {
  nodeCount: number;
  totalSize: number;
  interfaces: InterfaceDefinition[];
  classes: Map<string, { name: string; ids: Uint32Array; selfSizes: Uint32Array }>;
}

/** Classifies a parsed snapshot (with `interfaces`, default its own) and keeps only class members. */
export function classMembers(raw: RawHeapSnapshot, interfaces?: InterfaceDefinition[]): ClassMembers {
  const { graph, agentOwned } = prepareGraph(raw);
  const classified = classify(graph, interfaces, agentOwned);
  const { nodeClasses, classes } = classified.aggregates;
  const { nodeIds, nodeSelfSizes } = raw;
  // Nodes grouped by class (counting sort), then each group sorted by id.
  const start = new Uint32Array(classes.length + 1);
  for (let v = 0; v < graph.nodeCount; v++) if (nodeClasses[v] !== NO_CLASS) start[nodeClasses[v] + 1]++;
  for (let c = 0; c < classes.length; c++) start[c + 1] += start[c];
  const grouped = new Uint32Array(start[classes.length]);
  const fill = start.slice();
  for (let v = 0; v < graph.nodeCount; v++) if (nodeClasses[v] !== NO_CLASS) grouped[fill[nodeClasses[v]]++] = v;
  const members: ClassMembers['classes'] = new Map();
  let totalSize = 0;
  for (let v = 0; v < graph.nodeCount; v++) totalSize += nodeSelfSizes[v];
  classes.forEach((aggregate, c) => {
    const ordinals = grouped.subarray(start[c], start[c + 1]).sort((a, b) => nodeIds[a] - nodeIds[b]);
    // A later class with the same key replaces an earlier one, as in DevTools.
    members.set(aggregate.key, {
      name: aggregate.name,
      ids: Uint32Array.from(ordinals, (v) => nodeIds[v]),
      selfSizes: Uint32Array.from(ordinals, (v) => nodeSelfSizes[v]),
    });
  });
  return { nodeCount: graph.nodeCount, totalSize: totalSize + (raw.header.extra_native_bytes ?? 0), interfaces: classified.interfaces, classes: members };
}

/** The `scriptId,line,column` a class key starts with, when the class has a constructor location. */
function locationOfClassKey(key: string): HeapScriptLocation | undefined {
  const match = /^(\d+),(\d+),(\d+),/.exec(key);
  return match ? { scriptId: Number(match[1]), line: Number(match[2]), column: Number(match[3]) } : undefined;
}

export function diffClassMembers(before: ClassMembers, after: ClassMembers): HeapDiff {
  const empty = { name: '', ids: new Uint32Array(0), selfSizes: new Uint32Array(0) };
  const keys = new Set([...before.classes.keys(), ...after.classes.keys()]);
  const constructors: HeapConstructorDiff[] = [];
  for (const key of keys) {
    const a = before.classes.get(key) ?? empty;
    const b = after.classes.get(key) ?? empty;
    const diff: HeapConstructorDiff = { name: after.classes.has(key) ? b.name : a.name, newCount: 0, deletedCount: 0, deltaCount: 0, allocSize: 0, freedSize: 0, sizeDelta: 0 };
    const location = locationOfClassKey(key);
    if (location) diff.location = location;
    let i = 0;
    let j = 0;
    while (i < a.ids.length || j < b.ids.length) {
      if (j === b.ids.length || (i < a.ids.length && a.ids[i] < b.ids[j])) {
        diff.deletedCount++;
        diff.freedSize += a.selfSizes[i++];
      } else if (i === a.ids.length || a.ids[i] > b.ids[j]) {
        diff.newCount++;
        diff.allocSize += b.selfSizes[j++];
      } else {
        i++;
        j++;
      }
    }
    if (diff.newCount === 0 && diff.deletedCount === 0) continue;
    diff.deltaCount = diff.newCount - diff.deletedCount;
    diff.sizeDelta = diff.allocSize - diff.freedSize;
    constructors.push(diff);
  }
  constructors.sort((x, y) => y.sizeDelta - x.sizeDelta || y.deltaCount - x.deltaCount || x.name.localeCompare(y.name));
  return {
    before: { nodeCount: before.nodeCount, totalSize: before.totalSize },
    after: { nodeCount: after.nodeCount, totalSize: after.totalSize },
    constructors,
  };
}
