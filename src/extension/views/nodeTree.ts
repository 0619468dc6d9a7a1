/**
 * A tree view drawn from plain nodes rebuilt on every state change. Nodes carry stable ids,
 * so VS Code keeps what the user expanded, and parent links, so items can be revealed.
 */
import * as vscode from 'vscode';

export interface Node {
  item: vscode.TreeItem & { id: string };
  /** For site nodes: the site's stable key (code lenses reveal sites by it). */
  siteKey?: string;
  /** For suspect nodes: the suspect's key (code lenses and diagnostics reveal suspects by it). */
  suspectKey?: string;
  children?: Node[];
  parent?: Node;
}

export class NodeTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private roots: Node[] = [];
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  /** Replaces the whole tree; children get their parent links here. */
  setRoots(roots: Node[]): void {
    const link = (nodes: Node[], parent: Node | undefined) => {
      for (const node of nodes) {
        node.parent = parent;
        if (node.children) link(node.children, node);
      }
    };
    link(roots, undefined);
    this.roots = roots;
    this.emitter.fire(undefined);
  }

  find(predicate: (node: Node) => boolean): Node | undefined {
    const stack = [...this.roots];
    for (let node = stack.shift(); node; node = stack.shift()) {
      if (predicate(node)) return node;
      stack.push(...(node.children ?? []));
    }
    return undefined;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node.item;
  }

  getChildren(node?: Node): Node[] {
    return node ? (node.children ?? []) : this.roots;
  }

  getParent(node: Node): Node | undefined {
    return node.parent;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

export function leaf(id: string, label: string, extra: Partial<vscode.TreeItem> = {}): Node {
  const item = Object.assign(new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None), extra, { id });
  return { item };
}

export function branch(id: string, label: string, children: Node[], extra: Partial<vscode.TreeItem> = {}, expanded = false): Node {
  const state = children.length === 0 ? vscode.TreeItemCollapsibleState.None : expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
  const item = Object.assign(new vscode.TreeItem(label, state), extra, { id });
  return { item, children };
}
