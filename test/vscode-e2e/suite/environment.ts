/** What the harness tells the in-host suite, through code-server's environment. */

/** The run's scratch dir (results, temp files). */
export function e2eDir(): string {
  return required('LEAK_INSPECTOR_E2E_DIR');
}

/** The Node that runs sample servers (the user's Node, not the editor's). */
export function nodeBinary(): string {
  return required('LEAK_INSPECTOR_E2E_NODE');
}

export const EXTENSION_ID = 'leak-inspector.leak-inspector';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through test/vscode-e2e/run.ts`);
  return value;
}
