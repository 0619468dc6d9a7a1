/** `FlameGraphData` → `PackedFlameGraph`, the form the panel posts to the webview. */
import { FRAME_KINDS, type FlameGraphData, type FlameNode, type PackedFlameGraph } from '../protocol/flameGraph';

export function packFlameGraph(data: FlameGraphData): PackedFlameGraph {
  const order: FlameNode[] = [];
  // Iterative pre-order (children pushed in reverse): stacks can be deep.
  const stack = [data.root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    order.push(node);
    for (let c = node.children.length - 1; c >= 0; c--) stack.push(node.children[c]!);
  }
  const count = order.length;
  const strings = [''];
  const ids = new Map<string, number>([['', 0]]);
  const intern = (text: string | undefined): number => {
    if (!text) return 0;
    let id = ids.get(text);
    if (id === undefined) {
      id = strings.push(text) - 1;
      ids.set(text, id);
    }
    return id;
  };
  const packed: PackedFlameGraph = {
    mode: data.mode,
    unit: data.unit,
    title: data.title,
    strings,
    name: new Int32Array(count),
    path: new Int32Array(count),
    line: new Int32Array(count),
    column: new Int32Array(count),
    kind: new Uint8Array(count),
    self: new Float64Array(count),
    total: new Float64Array(count),
    size: new Int32Array(count),
    type: new Int32Array(count),
    score: new Int16Array(count),
  };
  if (data.beforeTotal !== undefined) packed.beforeTotal = data.beforeTotal;
  if (data.heapProfileAvailable) packed.heapProfileAvailable = true;
  const before = data.mode === 'diff' ? new Float64Array(count) : undefined;
  const index = new Map<FlameNode, number>();
  order.forEach((node, i) => {
    index.set(node, i);
    packed.name[i] = intern(node.name);
    packed.path[i] = intern(node.path);
    packed.line[i] = node.line;
    packed.column[i] = node.column;
    packed.kind[i] = Math.max(0, FRAME_KINDS.indexOf(node.kind));
    packed.self[i] = node.self;
    packed.total[i] = node.total;
    packed.type[i] = intern(node.type);
    packed.score[i] = node.score ?? -1;
    if (before) before[i] = node.before ?? 0;
  });
  // Subtree sizes, from the leaves up: a frame comes after its parent in pre-order.
  for (let i = count - 1; i >= 0; i--) {
    const node = order[i]!;
    packed.size[i] = 1 + node.children.reduce((sum, child) => sum + packed.size[index.get(child)!]!, 0);
  }
  if (before) packed.before = before;
  return packed;
}
