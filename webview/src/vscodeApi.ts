/** The API VS Code injects into webviews; tests provide a stub that records messages. */
import type { WebviewMessage } from '../../src/protocol/flameGraph';

export interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** May be called only once per page. */
export function vscodeApi(): VsCodeApi {
  return acquireVsCodeApi();
}
