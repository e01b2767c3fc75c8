/**
 * How this run prints, decided once from the command line and the environment: `--json`,
 * `-q/--quiet`, `--verbose` (or `DEBUG=applink-jwt`), and whether a spinner may be drawn. main.ts
 * needs it before commander parses (to set up progress), so the flags are scanned here; commander
 * also declares them, so `--help` shows them and the parse accepts them.
 */

export interface CliMode {
  /** `--json`: one JSON envelope on stdout, nothing on stderr but what was asked for. */
  json: boolean;
  /** `-q/--quiet`: no progress, no warnings; only the result and errors. */
  quiet: boolean;
  /** `--verbose` or `DEBUG=applink-jwt`: one trace line per HTTP request on stderr. */
  verbose: boolean;
  /** `DEBUG=applink-jwt`: also the stack trace of an error. */
  debug: boolean;
  /** Plain progress lines even on a terminal: `--no-color`, `NO_COLOR`, `TERM=dumb` or `CI`. */
  plain: boolean;
}

/** The debug namespace of this tool (the `debug` package's convention for `DEBUG`). */
export const DEBUG_NAMESPACE = 'applink-jwt';

/**
 * Whether `DEBUG` enables `namespace`, as the `debug` package reads it: a list separated by commas
 * or spaces, `*` wildcards, and `-name` to exclude. `DEBUG=1` or `DEBUG=express:*` do not.
 */
export function debugEnabled(value: string | undefined, namespace: string = DEBUG_NAMESPACE): boolean {
  if (value === undefined) return false;
  const matches = (pattern: string) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(namespace);
  let enabled = false;
  for (const entry of value.split(/[\s,]+/).filter(Boolean)) {
    if (entry.startsWith('-')) {
      if (matches(entry.slice(1))) return false;
    } else if (matches(entry)) {
      enabled = true;
    }
  }
  return enabled;
}

/** Scans argv (up to `--`) and the environment for the output flags. */
export function scanCliFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliMode {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  const has = (...flags: string[]) => args.some((arg) => flags.includes(arg));
  const debug = debugEnabled(env.DEBUG);
  const set = (name: string) => env[name] !== undefined && env[name] !== '';
  return {
    json: has('--json'),
    quiet: has('-q', '--quiet'),
    verbose: has('--verbose') || debug,
    debug,
    plain: has('--no-color') || set('NO_COLOR') || env.TERM === 'dumb' || set('CI'),
  };
}
