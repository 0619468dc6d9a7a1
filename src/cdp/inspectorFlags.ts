/**
 * What a Node.js command line (and NODE_OPTIONS) says about the inspector: whether it
 * started with the process, where it listens or would listen once SIGUSR1 switches it
 * on, and whether SIGUSR1 was disabled.
 */

/** Where Node's inspector listens unless told otherwise. */
export const DEFAULT_INSPECTOR_HOST = '127.0.0.1';
export const DEFAULT_INSPECTOR_PORT = 9229;

export interface InspectorFlags {
  /** --inspect, --inspect-brk or --inspect-wait: the inspector started with the process. */
  active: boolean;
  /** Host from `[host:]port`; undefined means Node's default, 127.0.0.1. */
  host?: string;
  /** Port from `[host:]port`; undefined means 9229, 0 means "any free port". */
  port?: number;
  /** --disable-sigusr1 (Node 22.14+): SIGUSR1 will not start the inspector. */
  sigusr1Disabled: boolean;
}

/** Node options whose value may follow as the next argument. */
const OPTIONS_WITH_VALUE = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-e',
  '--eval',
  '-p',
  '--print',
  '-pe',
  '-C',
  '--conditions',
  '--input-type',
  '--title',
  '--env-file',
  '--inspect-port',
  '--debug-port',
  '--inspect-publish-uid',
  '--redirect-warnings',
  '--disable-warning',
  '--unhandled-rejections',
  '--icu-data-dir',
  '--openssl-config',
]);

/**
 * Reads the inspector flags from NODE_OPTIONS, then from the node options of `argv`
 * (argv[0] is the executable), so the command line wins as it does in Node.
 */
export function parseInspectorFlags(argv: readonly string[], nodeOptions = ''): InspectorFlags {
  const flags: InspectorFlags = { active: false, sigusr1Disabled: false };
  for (const [name, value] of nodeOptionPairs(splitCommandLine(nodeOptions))) applyOption(flags, name, value);
  for (const [name, value] of nodeOptionPairs(argv.slice(1))) applyOption(flags, name, value);
  return flags;
}

/**
 * Splits NODE_OPTIONS (or a command line that is only available as one string): words
 * are separated by whitespace, double quotes group, and inside quotes a backslash escapes
 * `"` or `\` (other backslashes stay, for Windows paths).
 */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
      word = (word ?? '') + text[++i];
    } else if (char === '"') {
      quoted = !quoted;
      word ??= '';
    } else if (!quoted && /\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** `[name, value]` for each node option, up to the script name or `--`. */
function* nodeOptionPairs(args: readonly string[]): Generator<[string, string | undefined]> {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--' || arg === '-' || !arg.startsWith('-')) return;
    const equals = arg.indexOf('=');
    if (equals > 0) yield [arg.slice(0, equals), arg.slice(equals + 1)];
    else if (OPTIONS_WITH_VALUE.has(arg)) yield [arg, args[++i]];
    else yield [arg, undefined];
  }
}

function applyOption(flags: InspectorFlags, name: string, value: string | undefined): void {
  switch (name) {
    case '--inspect':
    case '--inspect-brk':
    case '--inspect-wait':
      flags.active = true;
      if (value !== undefined) applyHostPort(flags, value);
      break;
    case '--inspect-port':
    case '--debug-port':
      if (value !== undefined) applyHostPort(flags, value);
      break;
    case '--disable-sigusr1':
      flags.sigusr1Disabled = true;
      break;
  }
}

/** `port`, `host`, `host:port` or `[ipv6]:port`, as Node reads them. */
function applyHostPort(flags: InspectorFlags, text: string): void {
  const hostAndPort = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(text);
  if (hostAndPort) {
    flags.host = hostAndPort[1] ?? hostAndPort[2];
    flags.port = Number(hostAndPort[3]);
  } else if (/^\d+$/.test(text)) {
    flags.port = Number(text);
  } else {
    flags.host = text;
  }
}
