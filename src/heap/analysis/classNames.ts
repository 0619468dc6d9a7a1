/**
 * Class names as DevTools' Summary shows them (HeapSnapshot.calculateObjectNames): objects and
 * native nodes by constructor name (`<div id="a">` as `<div>`), plain objects by interface
 * (`{x, y}`), functions as `Function`, compiled code as `(compiled code)`, hidden nodes as
 * `(system)`, the rest by type: `(string)`, `(array)`, `(concatenated string)`, ….
 */
import type { HeapGraph } from './heapGraph';
import { applyInterfaceDefinitions, type InterfaceDefinition } from './interfaces';

/** Per node: the string index of its class name. */
export function classNameIndexes(graph: HeapGraph, definitions: InterfaceDefinition[]): Uint32Array {
  const { nodeTypes, nodeNames } = graph.raw;
  const { hidden, object, native, code, closure, regexp } = graph.type;
  const system = graph.addString('(system)');
  const compiledCode = graph.addString('(compiled code)');
  const fn = graph.addString('Function');
  const regExp = graph.addString('RegExp');
  const byType = graph.nodeTypeNames.map((type) => graph.addString(`(${type})`));
  // Whether a name string starts with "<" or "Detached <", decided once per string.
  const tagNames = new Map<number, number>();
  const tagClass = (nameIndex: number): number => {
    let index = tagNames.get(nameIndex);
    if (index === undefined) {
      let name = graph.string(nameIndex);
      const space = name.startsWith('<') ? name.indexOf(' ') : name.startsWith('Detached <') ? name.indexOf(' ', 10) : -2;
      if (space === -2) index = nameIndex;
      else {
        if (space !== -1) name = `${name.substring(0, space)}>`;
        index = graph.addString(name);
      }
      tagNames.set(nameIndex, index);
    }
    return index;
  };
  const classes = new Uint32Array(graph.nodeCount);
  for (let node = 0; node < graph.nodeCount; node++) {
    const type = nodeTypes[node];
    classes[node] =
      type === hidden ? system
      : type === object || type === native ? tagClass(nodeNames[node])
      : type === code ? compiledCode
      : type === closure ? fn
      : type === regexp ? regExp
      : byType[type];
  }
  applyInterfaceDefinitions(graph, definitions, classes);
  return classes;
}
