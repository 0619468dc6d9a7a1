/** Status bar: what is attached, its live async resources and their trend. */
import * as vscode from 'vscode';
import type { LeakInspectorState } from '../protocol/lsp';
import type { StateStore } from './stateStore';
import { trendOf } from './views/targetsView';

export function createStatusBar(store: StateStore): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('leakInspector.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Leak Inspector';
  item.command = 'workbench.view.extension.leakInspector';
  const render = (state: LeakInspectorState) => {
    if (state.targets.length === 0) return item.hide();
    const live = state.targets.reduce((sum, target) => sum + (target.liveTrend.at(-1) ?? 0), 0);
    const first = state.targets[0];
    const name = first.pid ? `pid ${first.pid}` : first.label;
    const others = state.targets.length > 1 ? ` +${state.targets.length - 1}` : '';
    const trend = state.targets.length === 1 ? trendOf(first.liveTrend) : '';
    const gone = state.targets.some((target) => target.status === 'disconnected');
    item.text = `$(${gone ? 'debug-disconnect' : 'pulse'}) ${name}${others} · ${live} live ${trend}`.trimEnd();
    const high = state.suspects.filter((entry) => entry.suspect.severity === 'high').length;
    item.tooltip = `Leak Inspector: ${state.targets.map((target) => `${target.label} (${target.status})`).join(', ')}\n${live} live async resources · ${high} high suspects${state.autoRefresh.enabled ? ` · auto-refresh every ${state.autoRefresh.intervalSeconds}s` : ''}`;
    item.show();
  };
  const subscription = store.onDidChange(render);
  render(store.state);
  return vscode.Disposable.from(item, subscription);
}
