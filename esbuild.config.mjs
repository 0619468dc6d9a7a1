// Builds every bundle the extension ships. `node esbuild.config.mjs [--watch]`.
// Each entry is self-contained: the .vsix carries no node_modules.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const watch = process.argv.includes('--watch');

/** @type {esbuild.BuildOptions} */
const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
};

/** @type {esbuild.BuildOptions[]} */
const bundles = [
  // Extension host: thin VS Code glue.
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode'], sourcesContent: false },
  // Language server: sessions, snapshots, analysis and heap work, out of the extension host.
  { ...node, entryPoints: { server: 'src/server/main.ts' }, outdir: 'dist', sourcesContent: false },
  // Command line: `leak-inspector …` and `npm run demo`.
  {
    ...node,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    sourcesContent: false,
    banner: { js: '#!/usr/bin/env node' },
  },
  // Heap snapshot analysis in a worker thread, off the caller's event loop.
  { ...node, entryPoints: { heapWorker: 'src/heap/worker/heapWorker.ts' }, outdir: 'dist', sourcesContent: false },
  // The agent injected into target processes: one self-contained script (no require at run
  // time), evaluated with Runtime.evaluate.
  {
    ...node,
    entryPoints: { agent: 'src/agent/agent.ts' },
    outdir: 'dist',
    format: 'iife',
    sourcemap: false,
    target: 'node20',
  },
  // The sample game server, its ranking service and the load bots. Their source maps
  // carry the TypeScript sources (sourcesContent), so an installed .vsix can still
  // show the original lines the inspector points at.
  {
    ...node,
    entryPoints: {
      server: 'samples/game-server/src/server.ts',
      'ranking-service': 'samples/game-server/src/ranking-service.ts',
      bots: 'samples/game-server/src/bots.ts',
    },
    outdir: 'dist/samples/game-server',
    sourcesContent: true,
    keepNames: true,
  },
  // Test fixtures: a socket.io game server with its bots, and a room-lifecycle server with its
  // client (test/fixtures/). Maps carry their sources, as the sample's do; not shipped in the .vsix.
  {
    ...node,
    entryPoints: { server: 'test/fixtures/socketio-app/src/server.ts', bots: 'test/fixtures/socketio-app/src/bots.ts' },
    outdir: 'dist/fixtures/socketio-app',
    sourcesContent: true,
    keepNames: true,
  },
  {
    ...node,
    entryPoints: { server: 'test/fixtures/room-lifecycle/src/server.ts', client: 'test/fixtures/room-lifecycle/src/client.ts' },
    outdir: 'dist/fixtures/room-lifecycle',
    sourcesContent: true,
    keepNames: true,
  },
  // The flame graph webview: browser code, one script and one stylesheet (flameGraph.css).
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    entryPoints: { flameGraph: 'webview/src/main.ts' },
    outdir: 'dist/webview',
    sourcemap: false,
    minify: true,
    logLevel: 'warning',
  },
];

// `source-map` reads its WASM decoder from next to the bundle that uses it.
mkdirSync('dist', { recursive: true });
copyFileSync(createRequire(import.meta.url).resolve('source-map/lib/mappings.wasm'), 'dist/mappings.wasm');

if (watch) {
  for (const options of bundles) await (await esbuild.context(options)).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(bundles.map((options) => esbuild.build(options)));
}
