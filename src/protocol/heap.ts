/**
 * Heap analysis results shared by the analyser, the command line, the language server and the
 * views. Plain data only (no Node imports): it crosses worker and process boundaries as JSON.
 */

/** One class in DevTools' Summary view. Sizes are in bytes. */
export interface HeapConstructorSummary {
  name: string;
  /** Objects of the class (with a non-zero self size). */
  count: number;
  /** Sum of the objects' own sizes (shallow size). */
  selfSize: number;
  /** Bytes freed if every object of the class were gone (nested objects counted once). */
  retainedSize: number;
}

export interface HeapSummary {
  nodeCount: number;
  edgeCount: number;
  /** Retained size of the root: every byte in the snapshot (plus extra native bytes reported by V8). */
  totalSize: number;
  /** Sorted by retained size, largest first. */
  constructors: HeapConstructorSummary[];
}

/** Where V8 says an object's constructor is defined: script id, 0-based line and column. */
export interface HeapScriptLocation {
  scriptId: number;
  line: number;
  column: number;
}

/** One class in DevTools' Comparison view: objects matched by heap object id. */
export interface HeapConstructorDiff {
  name: string;
  /** Objects in the second snapshot only. */
  newCount: number;
  /** Objects in the first snapshot only. */
  deletedCount: number;
  deltaCount: number;
  /** Self sizes of the new objects. */
  allocSize: number;
  /** Self sizes of the deleted objects. */
  freedSize: number;
  sizeDelta: number;
  /** The constructor's definition, for classes made by a script's constructor. */
  location?: HeapScriptLocation;
}

export interface HeapDiff {
  before: { nodeCount: number; totalSize: number };
  after: { nodeCount: number; totalSize: number };
  /** Classes with new or deleted objects, largest size growth first. */
  constructors: HeapConstructorDiff[];
}

/** A heap object, as shown in a retainer path. */
export interface HeapObjectRef {
  /** V8's heap object id (`@123` in DevTools); stable across snapshots of one process. */
  id: number;
  /** Class name, as in the Summary. */
  className: string;
  /** The node's own name: a function's name, a string's text (shortened), a context's kind. */
  name: string;
  selfSize: number;
  retainedSize: number;
  /**
   * For a function, where it is defined; for an object made by a constructor, where the
   * constructor is. 0-based; the script id is the target's (`Debugger.scriptParsed`).
   */
  location?: HeapScriptLocation;
}

export type HeapEdgeType = 'context' | 'element' | 'property' | 'internal' | 'hidden' | 'shortcut' | 'weak';

/** One hop of a retainer path: `from` holds the next object through this edge. */
export interface RetainerStep {
  from: HeapObjectRef;
  edgeType: HeapEdgeType;
  /** Property or variable name, or the element index. */
  edgeName: string;
  /** The edge as a user reads it: `.battles`, `[42]`, `->battles` (closure variable), `{table}` (internal). */
  edgeLabel: string;
}

/** The shortest chain of references from the GC roots to `target`. */
export interface RetainerPath {
  target: HeapObjectRef;
  /** From the GC roots side to the object holding the target. Empty if nothing retains it. */
  steps: RetainerStep[];
  /** One line: `(GC roots) → … → system / Context ->battles → Map {table} → … → Battle`. */
  text: string;
}

export interface HeapRetainers {
  className: string;
  /** Objects of the class in the snapshot. */
  count: number;
  /** For the objects retaining the most, largest first. */
  paths: RetainerPath[];
}

/** Work for the heap analyser, in-process or in a worker thread. Files are `.heapsnapshot` paths. */
export type HeapAnalysisRequest =
  | { kind: 'summary'; file: string }
  | { kind: 'diff'; before: string; after: string }
  | { kind: 'retainers'; file: string; className: string; limit: number }
  | { kind: 'path'; file: string; id: number };

export type HeapAnalysisResult<R extends HeapAnalysisRequest> = R extends { kind: 'summary' }
  ? HeapSummary
  : R extends { kind: 'diff' }
    ? HeapDiff
    : R extends { kind: 'retainers' }
      ? HeapRetainers
      : RetainerPath;

/**
 * A class of the program's own code whose objects piled up between two heap snapshots: a heap
 * leak with no async resource to show for it (a finished battle kept in a module-level Map).
 */
export interface HeapGrowthSite {
  className: string;
  newCount: number;
  deletedCount: number;
  deltaCount: number;
  sizeDelta: number;
  /** The constructor's definition in the original source (1-based), when a script defines it. */
  location: { path: string; line: number; column: number } | null;
  /** What holds the objects that retain the most, from the GC roots. */
  retainerPath: RetainerPath | null;
  score: number;
  severity: 'low' | 'medium' | 'high';
  factors: Array<{ name: string; weight: number; value: number; points: number; explanation: string }>;
}

export interface HeapGrowthReport {
  /** Snapshot files, kept for `heap diff` / `heap retainers` when asked to. */
  before: string;
  after: string;
  heapGrowthBytes: number;
  /** Highest score first. */
  sites: HeapGrowthSite[];
}
