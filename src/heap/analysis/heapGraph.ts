/**
 * The parsed snapshot with the node and edge type numbers resolved, and names the analysis
 * adds (class names such as `(system)`, `Detached <div>`, `{x, y}`) appended after the file's
 * strings, as Chrome DevTools does.
 */
import type { RawHeapSnapshot } from '../parser/parseSnapshot';

export class HeapGraph {
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly root: number;
  readonly nodeTypeNames: string[];
  readonly edgeTypeNames: string[];
  readonly type: {
    hidden: number;
    array: number;
    string: number;
    object: number;
    code: number;
    closure: number;
    regexp: number;
    native: number;
    synthetic: number;
    consString: number;
    slicedString: number;
  };
  readonly edge: { context: number; element: number; property: number; internal: number; hidden: number; shortcut: number; weak: number };
  private readonly added: string[] = [];
  private readonly addedIndex = new Map<string, number>();
  private readonly stringIndexes = new Map<string, Set<number>>();

  constructor(readonly raw: RawHeapSnapshot) {
    this.nodeCount = raw.nodeCount;
    this.edgeCount = raw.edgeCount;
    this.root = raw.rootOrdinal;
    this.nodeTypeNames = raw.header.meta.node_types[0];
    this.edgeTypeNames = raw.header.meta.edge_types[0];
    const node = (name: string) => this.nodeTypeNames.indexOf(name);
    const edge = (name: string) => this.edgeTypeNames.indexOf(name);
    this.type = {
      hidden: node('hidden'),
      array: node('array'),
      string: node('string'),
      object: node('object'),
      code: node('code'),
      closure: node('closure'),
      regexp: node('regexp'),
      native: node('native'),
      synthetic: node('synthetic'),
      consString: node('concatenated string'),
      slicedString: node('sliced string'),
    };
    this.edge = {
      context: edge('context'),
      element: edge('element'),
      property: edge('property'),
      internal: edge('internal'),
      hidden: edge('hidden'),
      shortcut: edge('shortcut'),
      weak: edge('weak'),
    };
  }

  /** A string of the file, or one added by the analysis (indexes past the file's strings). */
  string(index: number): string {
    const count = this.raw.strings.count;
    return index < count ? this.raw.strings.get(index) : this.added[index - count];
  }

  /** The index of an added string, adding it once. */
  addString(value: string): number {
    let index = this.addedIndex.get(value);
    if (index === undefined) {
      index = this.raw.strings.count + this.added.length;
      this.added.push(value);
      this.addedIndex.set(value, index);
    }
    return index;
  }

  /** Every file string index equal to `value` (cached). */
  indexesOf(value: string): Set<number> {
    let found = this.stringIndexes.get(value);
    if (!found) {
      found = new Set(this.raw.strings.indexesOf(value));
      this.stringIndexes.set(value, found);
    }
    return found;
  }

  /** Nodes (with a non-zero self size, as in the Summary) whose class name is `className`. */
  indexesOfClass(className: string, classNames: Uint32Array): number[] {
    const { nodeSelfSizes } = this.raw;
    const matches = new Map<number, boolean>();
    const found: number[] = [];
    for (let node = 0; node < this.nodeCount; node++) {
      if (nodeSelfSizes[node] === 0) continue;
      const index = classNames[node];
      let match = matches.get(index);
      if (match === undefined) matches.set(index, (match = this.string(index) === className));
      if (match) found.push(node);
    }
    return found;
  }

  nodeName(ordinal: number): string {
    return this.string(this.raw.nodeNames[ordinal]);
  }

  /** An edge's name: a string, or the index of an element or hidden edge. */
  edgeName(edge: number): string {
    const type = this.raw.edgeTypes[edge];
    const name = this.raw.edgeNames[edge];
    return type === this.edge.element || type === this.edge.hidden ? String(name) : this.string(name);
  }

  /** True when some root edge leads to a user root (not a synthetic node), as in DevTools. */
  hasUserRoots(): boolean {
    const { firstEdges, edgeTargets, nodeTypes } = this.raw;
    for (let e = firstEdges[this.root]; e < firstEdges[this.root + 1]; e++) {
      const target = edgeTargets[e];
      if (nodeTypes[target] !== this.type.synthetic || this.isDocumentDomTreesRoot(target)) return true;
    }
    return false;
  }

  isDocumentDomTreesRoot(ordinal: number): boolean {
    return this.raw.nodeTypes[ordinal] === this.type.synthetic && this.nodeName(ordinal) === '(Document DOM trees)';
  }
}
