/**
 * The analysis pipeline, with DevTools' semantics: DOM state, edges that can retain, owned
 * sizes, class names and the Summary's classes, dominators and retained sizes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HeapSummary } from '../../protocol/heap';
import type { RawHeapSnapshot } from '../parser/parseSnapshot';
import { agentOwnedNodes } from './agentObjects';
import { addClassRetainedSizes, aggregateByClass, type Aggregates } from './aggregates';
import { classNameIndexes } from './classNames';
import { computeDominators } from './dominators';
import { propagateDomState } from './domState';
import { EphemeronNames, essentialEdges } from './essentialEdges';
import { HeapGraph } from './heapGraph';
import { inferInterfaceDefinitions, type InterfaceDefinition } from './interfaces';
import { moveOwnedSizes } from './shallowSizes';

export interface HeapAnalysis {
  graph: HeapGraph;
  ephemerons: EphemeronNames;
  dominators: Uint32Array;
  retainedSizes: Float64Array;
  interfaces: InterfaceDefinition[];
  /** Per node: the string index of its class name. */
  classNames: Uint32Array;
  aggregates: Aggregates;
  /** Per node: 1 for the leak inspector's own objects (see `agentObjects.ts`); null without an agent. */
  agentOwned: Uint8Array | null;
}

/** A graph ready for class grouping: DOM state propagated, owned sizes moved to their owners. */
export interface PreparedGraph {
  graph: HeapGraph;
  ephemerons: EphemeronNames;
  essential: Uint8Array;
  agentOwned: Uint8Array | null;
}

export function prepareGraph(raw: RawHeapSnapshot): PreparedGraph {
  const graph = new HeapGraph(raw);
  propagateDomState(graph);
  const ephemerons = new EphemeronNames(graph);
  const essential = essentialEdges(graph, ephemerons);
  moveOwnedSizes(graph);
  return { graph, ephemerons, essential, agentOwned: agentOwnedNodes(graph, essential, ephemerons) };
}

/**
 * Class names under `interfaces` (default: the snapshot's own, inferred without the agent's
 * objects) and the classes' counts and self sizes, the agent's objects as one class.
 */
export function classify(
  graph: HeapGraph,
  interfaces: InterfaceDefinition[] | undefined,
  agentOwned: Uint8Array | null,
): { interfaces: InterfaceDefinition[]; classNames: Uint32Array; aggregates: Aggregates } {
  interfaces ??= inferInterfaceDefinitions(graph, agentOwned);
  const classNames = classNameIndexes(graph, interfaces);
  return { interfaces, classNames, aggregates: aggregateByClass(graph, classNames, agentOwned) };
}

/** Everything: the graph stays usable for retainer paths. */
export function analyzeHeap(raw: RawHeapSnapshot): HeapAnalysis {
  const { graph, ephemerons, essential, agentOwned } = prepareGraph(raw);
  const classes = classify(graph, undefined, agentOwned);
  const { dominators, retainedSizes } = computeDominators(graph, essential);
  addClassRetainedSizes(graph, classes.aggregates, dominators, retainedSizes);
  return { graph, ephemerons, dominators, retainedSizes, ...classes, agentOwned };
}

/**
 * The Summary alone, with the least memory: once classes are known, the edge names and types,
 * node names and strings are dropped before the dominators are computed. `raw` is consumed.
 */
export function summarizeHeap(raw: RawHeapSnapshot): HeapSummary {
  const { graph, essential, agentOwned } = prepareGraph(raw);
  collectGarbage();
  const { aggregates } = classify(graph, undefined, agentOwned);
  releaseForDominators(raw);
  const { dominators, retainedSizes } = computeDominators(graph, essential);
  collectGarbage();
  addClassRetainedSizes(graph, aggregates, dominators, retainedSizes);
  return summaryOf(graph, aggregates, retainedSizes);
}

const EMPTY8 = new Uint8Array(0);
const EMPTY32 = new Uint32Array(0);

/** Drops what dominators and class retained sizes do not read. */
function releaseForDominators(raw: RawHeapSnapshot): void {
  raw.edgeNames = EMPTY32;
  raw.edgeTypes = EMPTY8;
  raw.nodeNames = EMPTY32;
  raw.nodeIds = EMPTY32;
  raw.nodeTypes = EMPTY8;
  raw.nodeLocations = null;
  raw.nodeDetachedness = null;
  raw.strings.release();
  collectGarbage();
}

export function summarize(analysis: HeapAnalysis): HeapSummary {
  return summaryOf(analysis.graph, analysis.aggregates, analysis.retainedSizes);
}

/** DevTools' Summary: one entry per class key (a later class with the same key replaces an earlier one, as there). */
function summaryOf(graph: HeapGraph, aggregates: Aggregates, retainedSizes: Float64Array): HeapSummary {
  const byKey = new Map<string, HeapSummary['constructors'][number]>();
  for (const { key, name, count, selfSize, retainedSize } of aggregates.classes) byKey.set(key, { name, count, selfSize, retainedSize });
  const constructors = [...byKey.values()].sort((a, b) => b.retainedSize - a.retainedSize || b.selfSize - a.selfSize || a.name.localeCompare(b.name));
  return {
    nodeCount: graph.nodeCount,
    edgeCount: graph.edgeCount,
    totalSize: retainedSizes[graph.root] + (graph.raw.header.extra_native_bytes ?? 0),
    constructors,
  };
}

let gc: (() => void) | undefined;

/**
 * A full GC now, so the arrays just dropped (or left by the step before) are freed before the
 * next big ones are allocated (V8 would wait, and the peak RSS would hold both). `--expose-gc` is switched on for a fresh
 * context only to fetch the function.
 */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
