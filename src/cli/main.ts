/** The `leak-inspector` command line. */
import { parseArgs } from 'node:util';
import { buildAgentConfig, keyList } from '../engine/agentConfig';
import type { AgentConfig } from '../protocol/agentSnapshot';
import { checkCommand } from './checkCommand';
import { runDemo } from './demo';
import { HEAP_USAGE, heapMain } from './heapCommand';
import { promisesMain } from './promisesCommand';
import { printSavedReport, snapshotCommand } from './snapshotCommand';
import { watchCommand } from './watchCommand';

const USAGE = `usage: leak-inspector <command> [options]

commands:
  snapshot --inspect TARGET [--json] [--watch S] [--interval S] [--promises]
        [--context-keys K,…] [--owner-keys K,…] [--allow-remote HOST]
      the ranked leak suspects of every kind (async sites, listeners; with --promises pending
      promises counted exactly and those that can never settle) of a running Node process, then
      its live async resources grouped by creation site. --json prints the report document. TARGET is host:port, a ws:// inspector URL, or pid:N (the inspector is switched
      on if it is off). --watch S keeps snapshotting for S seconds (growth needs several).
      --promises also tracks pending promises all the time (default: sampled in short windows,
      because promise hooks slow every await) and runs the exact census (a heap snapshot:
      pauses the target, estimate printed first). The first snapshot looks for listeners added
      before the attach (a heap walk, ~80 ms per MB of heap, announced; skipped above 2 s). --context-keys a,b,c chooses the
      AsyncLocalStorage store fields reported (default playerId,roomId,protocol) and
      --owner-keys the ones that identify an owner (default playerId,roomId).
  snapshot --from FILE [--json]
      print a saved report (snapshot/check --json, a watch dump, a VS Code export) again.
  check --inspect TARGET [--settle S] [--min-growth N] [--heap] [--alloc-stacks] [--json]
        [--promises] [--context-keys K,…] [--owner-keys K,…] -- COMMAND [ARGS…]
      snapshot, run COMMAND (e.g. a bot scenario), wait S seconds (default 2), snapshot again;
      exit 1 on a leak of any kind the command left behind, 0 otherwise: creation sites that
      grew, listener groups that grew and score medium or high. --heap also takes a heap
      snapshot before and after (each pauses the target) and fails on holders (Maps, Sets,
      arrays), listeners, promise reactions and classes of the program that grew with a medium
      or high score. --alloc-stacks (implies --heap) also has V8 record every allocation's
      stack while COMMAND runs, so holders say which function allocated their new entries
      (slows the target many times over meanwhile and suspends its GC compaction; both end
      with the "after" snapshot). --promises counts pending promises exactly before and after
      (a heap snapshot each) and fails on new promises that can never settle.
  watch --inspect TARGET [--inspect TARGET …] [--interval S] [--metrics HOST:PORT]
        [--top-sites N] [--dump-dir DIR] [--dump-on-score N] [--dump-on-growth N]
        [--dump-on-heap-growth MB_PER_MIN] [--heap-growth-window S] [--dump-cooldown S]
        [--profile-seconds S] [--allow-heap-snapshot] [--min-free-mb N] [--timeline FILE]
        [--scan-listeners] [--promise-census-every S] [--dump-on-stuck-promises N]
      attach to every target (and its worker threads), snapshot every S seconds (default 5)
      until SIGINT/SIGTERM, then detach from all. --metrics serves Prometheus/OpenMetrics on
      /metrics (loopback only unless --allow-remote names the host). With --dump-dir, a rule
      (a suspect of any kind scoring ≥ N, default 80; live resources rising N snapshots in a
      row; heap growing MB/min; N promises that can never settle) writes the report JSON and a
      .heapprofile, and a .heapsnapshot only with --allow-heap-snapshot (it freezes the target),
      once per --dump-cooldown (300 s) per target and rule. --timeline writes a Chrome trace
      (Perfetto, chrome://tracing) on exit. --scan-listeners looks for listeners added before
      the attach (off by default: a heap walk pausing each target ~80 ms per MB, once).
      --promise-census-every S counts pending and stuck promises exactly every S seconds (a heap
      snapshot each: pauses the target; the estimate is logged before each).
${HEAP_USAGE}
  demo [--players N] [--duration S]
      start the sample game server with all leaks, run bots against it, report the suspects`;

/** Flags of every command that attaches to a target. */
const INSPECT_OPTIONS = {
  inspect: { type: 'string' },
  json: { type: 'boolean', default: false },
  'allow-remote': { type: 'string', multiple: true, default: [] as string[] },
  promises: { type: 'boolean', default: false },
  'context-keys': { type: 'string' },
  'owner-keys': { type: 'string' },
} as const;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { players: { type: 'string', default: '30' }, duration: { type: 'string', default: '10' } } });
      await runDemo({ players: positive(values.players, 'players'), durationS: positive(values.duration, 'duration') });
      return 0;
    }
    case 'snapshot': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...INSPECT_OPTIONS,
          watch: { type: 'string' },
          interval: { type: 'string', default: '2' },
          from: { type: 'string' },
        },
      });
      if (values.from !== undefined) {
        await printSavedReport(values.from, values.json, (text) => console.log(text));
        return 0;
      }
      if (!values.inspect) throw new Error(`snapshot needs --inspect TARGET\n\n${USAGE}`);
      await snapshotCommand(
        {
          target: values.inspect,
          json: values.json,
          watchS: values.watch === undefined ? undefined : positive(values.watch, 'watch'),
          intervalS: positive(values.interval, 'interval'),
          allowRemoteHosts: values['allow-remote'],
          agent: agentOptions(values),
          promiseTracking: values.promises ? 'always' : 'sampled',
          promises: values.promises,
        },
        (text) => console.log(text),
        (text) => console.error(text),
      );
      return 0;
    }
    case 'check': {
      const separator = rest.indexOf('--');
      if (separator < 0 || separator === rest.length - 1) throw new Error(`check needs a command after --\n\n${USAGE}`);
      const { values } = parseArgs({
        args: rest.slice(0, separator),
        options: {
          ...INSPECT_OPTIONS,
          settle: { type: 'string', default: '2' },
          'min-growth': { type: 'string', default: '1' },
          heap: { type: 'boolean', default: false },
          'alloc-stacks': { type: 'boolean', default: false },
        },
      });
      if (!values.inspect) throw new Error(`check needs --inspect TARGET\n\n${USAGE}`);
      return checkCommand(
        {
          target: values.inspect,
          command: rest.slice(separator + 1),
          settleS: nonNegative(values.settle, 'settle'),
          minGrowth: positive(values['min-growth'], 'min-growth'),
          heap: values.heap,
          allocStacks: values['alloc-stacks'],
          promises: values.promises,
          json: values.json,
          allowRemoteHosts: values['allow-remote'],
          agent: agentOptions(values),
          promiseTracking: values.promises ? 'always' : 'sampled',
        },
        (text) => console.log(text),
        (text) => console.error(text),
      );
    }
    case 'watch': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...INSPECT_OPTIONS,
          inspect: { type: 'string', multiple: true, default: [] as string[] },
          interval: { type: 'string', default: '5' },
          metrics: { type: 'string' },
          'top-sites': { type: 'string', default: '10' },
          'dump-dir': { type: 'string' },
          'dump-on-score': { type: 'string' },
          'dump-on-growth': { type: 'string' },
          'dump-on-heap-growth': { type: 'string' },
          'heap-growth-window': { type: 'string', default: '60' },
          'dump-cooldown': { type: 'string', default: '300' },
          'profile-seconds': { type: 'string', default: '5' },
          'allow-heap-snapshot': { type: 'boolean', default: false },
          'min-free-mb': { type: 'string', default: '256' },
          timeline: { type: 'string' },
          'scan-listeners': { type: 'boolean', default: false },
          'promise-census-every': { type: 'string' },
          'dump-on-stuck-promises': { type: 'string' },
        },
      });
      if (values.inspect.length === 0) throw new Error(`watch needs at least one --inspect TARGET\n\n${USAGE}`);
      const optional = (raw: string | undefined, name: string) => (raw === undefined ? undefined : positive(raw, name));
      return watchCommand(
        {
          targets: values.inspect,
          intervalS: positive(values.interval, 'interval'),
          metrics: values.metrics,
          topSites: positive(values['top-sites'], 'top-sites'),
          dumpDir: values['dump-dir'],
          dumpCooldownS: nonNegative(values['dump-cooldown'], 'dump-cooldown'),
          profileS: positive(values['profile-seconds'], 'profile-seconds'),
          allowHeapSnapshot: values['allow-heap-snapshot'],
          minFreeMb: nonNegative(values['min-free-mb'], 'min-free-mb'),
          rules: {
            scoreAtLeast: optional(values['dump-on-score'], 'dump-on-score'),
            growthIntervals: optional(values['dump-on-growth'], 'dump-on-growth'),
            heapGrowthMbPerMin: optional(values['dump-on-heap-growth'], 'dump-on-heap-growth'),
            heapWindowS: positive(values['heap-growth-window'], 'heap-growth-window'),
            stuckPromisesAtLeast: optional(values['dump-on-stuck-promises'], 'dump-on-stuck-promises'),
          },
          scanListeners: values['scan-listeners'],
          promiseCensusEveryS: optional(values['promise-census-every'], 'promise-census-every'),
          timelineFile: values.timeline,
          allowRemoteHosts: values['allow-remote'],
          agent: agentOptions(values),
          promiseTracking: values.promises ? 'always' : 'sampled',
        },
        (line) => console.error(`${new Date().toISOString()} ${line}`),
      );
    }
    case 'heap':
      if (rest[0] === 'promises') return promisesMain(rest.slice(1), (text) => console.log(text), (text) => console.error(text));
      return heapMain(rest, (text) => console.log(text), (text) => console.error(text));
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

/** Agent settings from the shared flags: --promises, --context-keys, --owner-keys. */
function agentOptions(values: { promises?: boolean; 'context-keys'?: string; 'owner-keys'?: string }): Partial<AgentConfig> {
  return buildAgentConfig({
    promiseTracking: values.promises ? 'always' : 'sampled',
    contextKeys: values['context-keys'] === undefined ? undefined : keyList(values['context-keys']),
    ownerKeys: values['owner-keys'] === undefined ? undefined : keyList(values['owner-keys']),
  });
}

function nonNegative(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0, got ${raw}`);
  return value;
}

function positive(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return value;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(`leak-inspector: ${error.message}`);
    process.exitCode = 1;
  },
);
