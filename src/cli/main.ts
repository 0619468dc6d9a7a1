/** The `leak-inspector` command line. */
import { parseArgs } from 'node:util';
import { runDemo } from './demo';

const USAGE = `usage: leak-inspector <command> [options]

commands:
  demo [--players N] [--duration S]   start the sample game server with all leaks, run bots, report`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { players: { type: 'string', default: '30' }, duration: { type: 'string', default: '10' } } });
      await runDemo({ players: positive(values.players, 'players'), durationS: positive(values.duration, 'duration') });
      return 0;
    }
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
