/**
 * Entry of the mocha suite that runs inside the real extension host (the `extensionTestsPath`
 * contract of @vscode/test-electron): VS Code calls `run()` and reports its outcome to the
 * workbench, which the harness reads. Results also go to a JSON file for the run's summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { defineActivationTests } from './activation';
import { defineDebugSessionTests } from './debugSession';
import { e2eDir } from './environment';
import { defineHeapCommandTests } from './heapCommands';
import { defineAttachByPidTests } from './pidAttach';

interface Outcome {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  detail?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // Binds mocha's describe/it (imported by the test modules) to this instance.
  mocha.suite.emit('pre-require', globalThis, 'vscode-e2e', mocha);
  defineActivationTests();
  defineAttachByPidTests();
  defineDebugSessionTests();
  defineHeapCommandTests();

  const outcomes: Outcome[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      fs.writeFileSync(path.join(e2eDir(), 'exthost-results.json'), JSON.stringify(outcomes, null, 2));
      if (failures > 0) reject(new Error(`${failures} extension-host tests failed`));
      else resolve();
    });
    runner.on('pass', (test) => outcomes.push({ name: test.fullTitle(), status: 'passed', ms: test.duration ?? 0 }));
    runner.on('pending', (test) => outcomes.push({ name: test.fullTitle(), status: 'skipped', ms: 0 }));
    runner.on('fail', (test, error: Error) =>
      outcomes.push({ name: test.fullTitle(), status: 'failed', ms: test.duration ?? 0, detail: error.stack ?? error.message }),
    );
  });
}
