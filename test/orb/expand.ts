/**
 * Runs a packed orb's jobs and commands the way CircleCI does, for the orb execution tests:
 * parameter resolution (defaults, required, types, unknown arguments), substitution of
 * `<< parameters.x >>` (a whole-value reference keeps its type; `<<#parameters.x>>…<</parameters.x>>`
 * and `<<^…>>` sections), `when`/`unless`, nested commands, and finally the `\<<` escape. Each
 * `run` step then runs with `bash -eo pipefail`, with BASH_ENV sourced, stopping at the first
 * failure; other steps (caches, checkout) are recorded and skipped.
 */
import { execa } from 'execa';
import { isPlainObject } from '../../scripts/orb/tree.js';

export interface RunStep {
  kind: 'run';
  name: string;
  command: string;
  /** The step's `environment:` after substitution (values as CircleCI exports them). */
  environment: Record<string, string>;
  background: boolean;
}

export interface OtherStep {
  kind: 'other';
  step: string;
  args: unknown;
}

export type ExpandedStep = RunStep | OtherStep;

/** How booleans reach `environment:` values: `true`/`false`, or `1`/`0` as some images do. */
export type BooleanStyle = 'true-false' | '1-0';

export interface ExpandOptions {
  booleans?: BooleanStyle;
}

type Orb = Record<string, unknown>;
type Values = Record<string, unknown>;

const BUILTIN = new Set([
  'checkout', 'setup_remote_docker', 'save_cache', 'restore_cache', 'store_artifacts', 'store_test_results',
  'persist_to_workspace', 'attach_workspace', 'add_ssh_keys', 'deploy',
]);

const POSIX_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** CircleCI's parameter check: every required parameter given, no unknown one, each of its type. */
export function resolveParameters(component: unknown, args: Values, what: string): Values {
  const declared = isPlainObject(component) && isPlainObject(component.parameters) ? component.parameters : {};
  for (const key of Object.keys(args)) {
    if (!(key in declared)) throw new Error(`${what}: unknown argument "${key}"`);
  }
  const values: Values = {};
  for (const [name, spec] of Object.entries(declared)) {
    if (!isPlainObject(spec)) continue;
    const value = name in args ? args[name] : spec.default;
    if (value === undefined) throw new Error(`${what}: missing required argument "${name}"`);
    const type = spec.type;
    if (type === 'boolean' && typeof value !== 'boolean') throw new Error(`${what}: "${name}" must be a boolean, got ${JSON.stringify(value)}`);
    if (type === 'integer' && !Number.isInteger(value)) throw new Error(`${what}: "${name}" must be an integer, got ${JSON.stringify(value)}`);
    if (type === 'enum' && !(Array.isArray(spec.enum) && spec.enum.includes(value))) throw new Error(`${what}: "${name}" must be one of ${JSON.stringify(spec.enum)}, got ${JSON.stringify(value)}`);
    if (type === 'env_var_name' && (typeof value !== 'string' || !POSIX_NAME.test(value))) throw new Error(`${what}: "${name}" must be an environment variable name, got a value that is not`);
    if (type === 'string' && typeof value !== 'string') throw new Error(`${what}: "${name}" must be a string, got ${JSON.stringify(value)}`);
    values[name] = value;
  }
  return values;
}

function truthy(value: unknown): boolean {
  return !(value === false || value === '' || value === 0 || value === null || value === undefined || (Array.isArray(value) && value.length === 0));
}

function lookup(values: Values, name: string): unknown {
  if (!(name in values)) throw new Error(`<< parameters.${name} >> is not a parameter here`);
  return values[name];
}

const WHOLE = /^<<\s*parameters\.([\w-]+)\s*>>$/;

/** Substitutes one string. The `\<<` escape is kept (and skipped) until {@link unescape}. */
export function interpolate(text: string, values: Values): string {
  const sections = /(?<!\\)<<\s*([#^])\s*parameters\.([\w-]+)\s*>>([\s\S]*?)(?<!\\)<<\s*\/\s*parameters\.\2\s*>>/g;
  const withSections = text.replace(sections, (_match, kind: string, name: string, body: string) =>
    (kind === '#') === truthy(lookup(values, name)) ? body : '',
  );
  return withSections.replace(/\\<<|<<\s*parameters\.([\w-]+)\s*>>/g, (match, name: string | undefined) =>
    name === undefined ? match : String(lookup(values, name)),
  );
}

/** Substitutes a value tree; a string that is exactly one reference takes the parameter's value. */
export function substitute(value: unknown, values: Values): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    return whole ? lookup(values, whole[1]!) : interpolate(value, values);
  }
  if (Array.isArray(value)) {
    // A `steps` parameter used as a step splices its steps in.
    return value.flatMap((item) => {
      const replaced = substitute(item, values);
      return isPlainObject(item) && 'steps' in item && Object.keys(item).length === 1 && Array.isArray((replaced as Values).steps)
        ? ((replaced as Values).steps as unknown[])
        : [replaced];
    });
  }
  if (isPlainObject(value)) {
    const out: Values = {};
    for (const [key, child] of Object.entries(value)) out[key] = substitute(child, values);
    return out;
  }
  return value;
}

/** The `\<<` escape: a literal `<<` once configuration processing is over. */
export function unescape(text: string): string {
  return text.replaceAll('\\<<', '<<');
}

function environmentOf(value: unknown, booleans: BooleanStyle): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isPlainObject(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    out[key] = typeof child === 'boolean' ? (booleans === '1-0' ? (child ? '1' : '0') : String(child)) : unescape(String(child ?? ''));
  }
  return out;
}

function expandSteps(orb: Orb, steps: unknown, options: Required<ExpandOptions>, out: ExpandedStep[], depth: number): void {
  if (depth > 20) throw new Error('commands nest more than 20 deep');
  if (!Array.isArray(steps)) throw new Error(`steps must be a list, got ${JSON.stringify(steps)}`);
  for (const step of steps) {
    const name = typeof step === 'string' ? step : isPlainObject(step) && Object.keys(step).length === 1 ? Object.keys(step)[0]! : undefined;
    if (name === undefined) throw new Error(`malformed step ${JSON.stringify(step)}`);
    const args = isPlainObject(step) ? step[name] : undefined;
    if (name === 'run') {
      const run = typeof args === 'string' ? { command: args } : isPlainObject(args) ? args : {};
      const command = unescape(String(run.command ?? ''));
      out.push({ kind: 'run', name: unescape(String(run.name ?? command)), command, environment: environmentOf(run.environment, options.booleans), background: run.background === true });
    } else if (name === 'when' || name === 'unless') {
      const spec = isPlainObject(args) ? args : {};
      if (truthy(spec.condition) === (name === 'when')) expandSteps(orb, spec.steps, options, out, depth + 1);
    } else if (BUILTIN.has(name)) {
      out.push({ kind: 'other', step: name, args });
    } else {
      const commands = isPlainObject(orb.commands) ? orb.commands : {};
      const command = commands[name];
      if (!isPlainObject(command)) throw new Error(`unknown step "${name}"`);
      const values = resolveParameters(command, isPlainObject(args) ? args : {}, `command ${name}`);
      expandSteps(orb, substitute(command.steps, values), options, out, depth + 1);
    }
  }
}

/** The steps of orb command `name` called with `args`, as CircleCI compiles them. */
export function expandCommand(orb: Orb, name: string, args: Values = {}, options: ExpandOptions = {}): ExpandedStep[] {
  const out: ExpandedStep[] = [];
  expandSteps(orb, [{ [name]: args }], { booleans: options.booleans ?? 'true-false' }, out, 0);
  return out;
}

/** The steps of orb job `name` called with `args` (a workflow's job entry), as CircleCI compiles them. */
export function expandJob(orb: Orb, name: string, args: Values = {}, options: ExpandOptions = {}): ExpandedStep[] {
  const jobs = isPlainObject(orb.jobs) ? orb.jobs : {};
  const job = jobs[name];
  if (!isPlainObject(job)) throw new Error(`unknown job "${name}"`);
  const values = resolveParameters(job, args, `job ${name}`);
  const out: ExpandedStep[] = [];
  expandSteps(orb, substitute(job.steps, values), { booleans: options.booleans ?? 'true-false' }, out, 0);
  return out;
}

export interface StepResult {
  name: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the `run` steps in order with `bash -eo pipefail` (CircleCI's default shell), each with the
 * job's environment plus its own, until one fails. BASH_ENV (in `env`) is sourced by bash itself.
 */
export async function runSteps(steps: ExpandedStep[], job: { env: Record<string, string>; cwd: string; timeoutMs?: number }): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    if (step.kind !== 'run') continue;
    if (step.background) throw new Error(`background step "${step.name}" is not supported by this runner`);
    const result = await execa('bash', ['-eo', 'pipefail', '-c', step.command], {
      env: { ...job.env, ...step.environment },
      extendEnv: false,
      cwd: job.cwd,
      reject: false,
      // /dev/null, not an empty pipe: Node's pipes are socket pairs, and bash with a socket on stdin
      // takes itself for an rsh session, reads ~/.bashrc and skips BASH_ENV (CircleCI sources it).
      stdin: 'ignore',
      timeout: job.timeoutMs ?? 60_000,
    });
    results.push({ name: step.name, exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) });
    if (result.exitCode !== 0) break;
  }
  return results;
}
