/**
 * What the webview keeps through `vscode.setState`: VS Code discards the page when the panel is
 * hidden (retainContextWhenHidden is off), and refreshes replace the tree, so zoom and selection
 * are kept as paths of frame identities, found again in whatever tree comes next.
 */
import { isMode, type FlameMode } from '../../src/protocol/flameGraph';
import type { ColorBy } from './colors';

export interface ViewState {
  mode: FlameMode;
  colorBy: ColorBy;
  query: string;
  /** Zoom history, innermost last: each a path of frame keys from the root. */
  zoom: string[][];
  selected: string[] | null;
  scrollY: number;
}

export const INITIAL_STATE: ViewState = { mode: 'async', colorBy: 'score', query: '', zoom: [], selected: null, scrollY: 0 };

/** Saved state is from an older version of this page, or anything: take what is valid. */
export function restoreState(saved: unknown): ViewState {
  if (typeof saved !== 'object' || saved === null) return { ...INITIAL_STATE };
  const value = saved as Partial<Record<keyof ViewState, unknown>>;
  return {
    mode: isMode(value.mode) ? value.mode : INITIAL_STATE.mode,
    colorBy: value.colorBy === 'type' || value.colorBy === 'score' ? value.colorBy : INITIAL_STATE.colorBy,
    query: typeof value.query === 'string' ? value.query : '',
    zoom: Array.isArray(value.zoom) ? value.zoom.filter(isPath) : [],
    selected: isPath(value.selected) ? value.selected : null,
    scrollY: typeof value.scrollY === 'number' && value.scrollY >= 0 ? value.scrollY : 0,
  };
}

function isPath(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((key) => typeof key === 'string');
}
