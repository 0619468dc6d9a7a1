/** Files of this package at run time, from the sources (tsx) or from the bundles in dist/. */
import * as fs from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'leak-inspector') return (root = dir);
    if (path.dirname(dir) === dir) throw new Error(`cannot find the leak-inspector package above ${__dirname}`);
  }
}

/** A built file under dist/, with a clear error when the build has not run. */
export function builtFile(...relative: string[]): string {
  const file = path.join(packageRoot(), 'dist', ...relative);
  if (!fs.existsSync(file)) throw new Error(`${path.join('dist', ...relative)} is missing: run "npm run build"`);
  return file;
}
