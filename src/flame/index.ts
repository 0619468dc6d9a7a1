/**
 * Flame graph builders (engine side, no editor API): async resources by creation stack, live
 * allocations from a sampling heap profile, and the diff of two trees. The results are
 * `FlameGraphData` (src/protocol/flameGraph.ts), ready to post to the webview.
 */
export { buildAllocationFlameGraph, type ResolveFrame } from './allocationTree';
export { buildAsyncFlameGraph } from './asyncTree';
export { diffFlameGraphs } from './diffTree';
export { flameGraphHtml, type FlameGraphPageOptions } from './webviewHtml';
export { packFlameGraph } from './pack';
