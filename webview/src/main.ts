/**
 * The flame graph webview's entry: the toolbar, the graph, and the messages to and from the
 * extension (src/protocol/flameGraph.ts). Bundled to dist/webview/flameGraph.js.
 */
import './flameGraph.css';
import type { ExtensionMessage, FlameMode, PackedFlameGraph } from '../../src/protocol/flameGraph';
import type { ColorBy } from './colors';
import { FlameView } from './flameView';
import { restoreState, type ViewState } from './state';
import { button, dropdown, searchField } from './toolkit';
import { vscodeApi } from './vscodeApi';

const vscode = vscodeApi();
const state: ViewState = restoreState(vscode.getState());
let data: PackedFlameGraph | undefined;

const toolbar = element('div', 'toolbar');
toolbar.setAttribute('role', 'toolbar');
toolbar.setAttribute('aria-label', 'Flame graph');
const title = element('div', 'title');
const message = element('div', 'message');
message.setAttribute('role', 'alert');
const searchStatus = element('span', 'search-status');
searchStatus.setAttribute('aria-live', 'polite');
const graph = element('div', 'graph');
document.body.append(toolbar, title, message, graph);

const view = new FlameView(graph, {
  openSource: (node) => vscode.postMessage({ type: 'openSource', path: node.path, line: node.line, column: Math.max(1, node.column) }),
  changed: save,
});

const modes = dropdown<FlameMode>(
  'View',
  [
    { value: 'async', label: 'Async resources' },
    { value: 'allocations', label: 'Allocations' },
    { value: 'diff', label: 'Diff' },
  ],
  (mode) => {
    state.mode = mode;
    state.zoom = [];
    state.selected = null;
    save();
    updateControls();
    vscode.postMessage({ type: 'selectMode', mode });
  },
);
const colorBy = dropdown<ColorBy>(
  'Colour by',
  [
    { value: 'score', label: 'Colour: leak score' },
    { value: 'type', label: 'Colour: resource type' },
  ],
  (value) => {
    state.colorBy = value;
    view.setColorBy(value);
    save();
  },
);
const search = searchField('Search frames', 'Search function or file', (query) => {
  state.query = query;
  showSearch();
  save();
});
const heapProfile = button('Save .heapprofile', 'Save the sampled allocations for Chrome DevTools', () =>
  vscode.postMessage({ type: 'export', format: 'heapprofile' }),
);
toolbar.append(
  modes.element,
  colorBy.element,
  search.element,
  searchStatus,
  button('Refresh', 'Take a new snapshot', () => vscode.postMessage({ type: 'refresh' }), 'primary'),
  button('Export SVG', 'Save the current view as SVG', () => exportAs('svg')),
  button('Export PNG', 'Save the current view as PNG', () => exportAs('png')),
  heapProfile,
);

modes.setValue(state.mode);
colorBy.setValue(state.colorBy);
search.setValue(state.query);
view.setColorBy(state.colorBy);
updateControls();

window.addEventListener('message', (event: MessageEvent<ExtensionMessage>) => receive(event.data));
vscode.postMessage({ type: 'ready', mode: state.mode });

function receive(incoming: ExtensionMessage): void {
  switch (incoming?.type) {
    case 'setData': {
      // Zoom and selection are kept across refreshes and reloads of the same view only.
      if (incoming.data.mode !== state.mode) {
        state.zoom = [];
        state.selected = null;
      }
      data = incoming.data;
      state.mode = data.mode;
      modes.setValue(data.mode);
      title.textContent = data.title;
      message.textContent = '';
      message.hidden = true;
      graph.hidden = false;
      view.setData(data, state);
      showSearch();
      updateControls();
      save();
      break;
    }
    case 'loading':
      title.textContent = `Loading ${incoming.mode}…`;
      break;
    case 'error':
      // In place of the graph: an older tree under the new view's name would mislead.
      title.textContent = '';
      message.textContent = incoming.message;
      message.hidden = false;
      graph.hidden = true;
      break;
  }
}

function showSearch(): void {
  const { matches, share } = view.applyQuery(state.query);
  searchStatus.textContent = state.query.trim() ? `${matches} match${matches === 1 ? '' : 'es'}${matches ? `, ${share}` : ''}` : '';
}

function exportAs(format: 'svg' | 'png'): void {
  if (!data) return;
  if (format === 'svg') vscode.postMessage({ type: 'export', format, svg: view.exportSvg() });
  else vscode.postMessage({ type: 'export', format, dataUrl: view.exportPng() });
}

function updateControls(): void {
  colorBy.element.hidden = state.mode !== 'async';
  heapProfile.hidden = !(data?.mode === 'allocations' && data.heapProfileAvailable);
}

function save(): void {
  Object.assign(state, view.position());
  vscode.setState(state);
}

function element(tag: string, className: string): HTMLElement {
  const created = document.createElement(tag);
  created.className = className;
  return created;
}
