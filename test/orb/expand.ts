/**
 * Runs a packed orb's jobs and commands the way CircleCI does, for the orb execution tests.
 *
 * Compilation: parameter resolution (defaults, required, types, unknown arguments), substitution of
 * `<< parameters.x >>` (a whole-value reference keeps its type; `<<#parameters.x>>…<</parameters.x>>`
 * and `<<^…>>` sections), `when`/`unless` steps with CircleCI's logic statements (`and`, `or`, `not`,
 * `equal`, `matches` with `pattern`/`value`; falsy: false, null, 0, NaN, "", a statement without
 * arguments), nested commands, and finally the `\<<` escape.
 *
 * Execution ({@link runSteps}): each `run` step's command is written to a script and run with its
 * `shell` (default `/bin/bash -eo pipefail`) and stdin from /dev/null, so bash sources BASH_ENV as it
 * does on CircleCI (a socket on stdin makes bash take the run for an ssh session and skip BASH_ENV);
 * `working_directory` (relative to the job's, `~` expanded), `environment` layered with CircleCI's
 * precedence (project < context < built-in < executor < job < step; exports in BASH_ENV and in the
 * command win at run time), `no_output_timeout` (default 10m; the step fails after that long with no
 * output), `when: on_success|on_fail|always` (a failed step fails the job; later steps run only when
 * their `when` allows), `background: true` (started, not waited for, stopped when the job ends).
 * Other steps (caches, checkout, workspaces) are recorded and skipped.
 *
 * Not modelled: Docker images and the executor's filesystem (steps run on this machine, in the job's
 * folders), `resource_class` (recorded only), `circleci_ip_ranges`, `parallelism`, contexts'
 * restrictions, the 8-hour/5-hour job limits, output masking of secrets, `max_auto_reruns`, pipeline
 * values (`<< pipeline.x >>`), matrix expansion of workflow jobs (a test calls the job once per
 * parameter set), and the `circleci` CLI beyond `circleci env subst` (see job.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { isPlainObject } from '../../scripts/orb/tree.js';

export interface RunStep {
  kind: 'run';
  name: string;
  command: string;
  /** The step's `environment:` after substitution (values as CircleCI exports them). */
  environment: Record<string, string>;
  background: boolean;
  /** `shell`, or undefined for CircleCI's default (`/bin/bash -eo pipefail`). */
  shell?: string;
  workingDirectory?: string;
  /** `no_output_timeout` as written (`10m`, `30s`, `1.5h`). */
  noOutputTimeout?: string;
  when: 'on_success' | 'on_fail' | 'always';
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

/** CircleCI's falsy values: false, null, 0, NaN and the empty string; everything else is truthy. */
function truthy(value: unknown): boolean {
  return !(value === false || value === '' || value === 0 || value === null || value === undefined || Number.isNaN(value));
}

const LOGIC_KEYS = new Set(['and', 'or', 'not', 'equal', 'matches']);

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A logic statement as CircleCI's configuration reference defines it: a map with one of `and`,
 * `or` (lists of statements), `not` (one), `equal` (a list whose values are all equal) or `matches`
 * (`pattern`, a Java regular expression matched against the whole `value`); any other value by its
 * truthiness. A statement without arguments is false.
 */
export function evaluateLogic(value: unknown): boolean {
  if (!isPlainObject(value) || Object.keys(value).length !== 1 || !LOGIC_KEYS.has(Object.keys(value)[0]!)) return truthy(value);
  const [[kind, args]] = Object.entries(value) as [[string, unknown]];
  switch (kind) {
    case 'and':
      return Array.isArray(args) && args.length > 0 && args.every(evaluateLogic);
    case 'or':
      return Array.isArray(args) && args.length > 0 && args.some(evaluateLogic);
    case 'not':
      return args !== undefined && args !== null && !evaluateLogic(args);
    case 'equal':
      return Array.isArray(args) && args.length > 0 && args.every((item) => deepEqual(item, args[0]));
    default: {
      if (!isPlainObject(args) || typeof args.pattern !== 'string' || args.value === undefined) throw new Error('matches needs pattern and value');
      return new RegExp(`^(?:${args.pattern})$`).test(String(args.value));
    }
  }
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
      const when = run.when ?? 'on_success';
      if (when !== 'on_success' && when !== 'on_fail' && when !== 'always') throw new Error(`run step "${String(run.name ?? command)}": when must be always, on_success or on_fail, got ${JSON.stringify(when)}`);
      out.push({
        kind: 'run',
        name: unescape(String(run.name ?? command)),
        command,
        environment: environmentOf(run.environment, options.booleans),
        background: run.background === true,
        ...(run.shell === undefined ? {} : { shell: String(run.shell) }),
        ...(run.working_directory === undefined ? {} : { workingDirectory: String(run.working_directory) }),
        ...(run.no_output_timeout === undefined ? {} : { noOutputTimeout: String(run.no_output_timeout) }),
        when,
      });
    } else if (name === 'when' || name === 'unless') {
      const spec = isPlainObject(args) ? args : {};
      if (evaluateLogic(spec.condition) === (name === 'when')) expandSteps(orb, spec.steps, options, out, depth + 1);
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

/** The job-level keys of orb job `name` called with `args`, as CircleCI compiles them (recorded, not executed). */
export function jobSettings(orb: Orb, name: string, args: Values = {}): { executor: unknown; resource_class: unknown; circleci_ip_ranges: unknown } {
  const jobs = isPlainObject(orb.jobs) ? orb.jobs : {};
  const job = jobs[name];
  if (!isPlainObject(job)) throw new Error(`unknown job "${name}"`);
  const values = resolveParameters(job, args, `job ${name}`);
  const settled = substitute({ executor: job.executor, resource_class: job.resource_class, circleci_ip_ranges: job.circleci_ip_ranges }, values) as Record<string, unknown>;
  const executor = typeof settled.executor === 'string' ? { name: settled.executor } : settled.executor;
  if (!isPlainObject(executor) || typeof executor.name !== 'string') throw new Error(`job ${name}: executor must name an executor`);
  const executors = isPlainObject(orb.executors) ? orb.executors : {};
  if (!(executor.name in executors)) throw new Error(`job ${name}: unknown executor "${executor.name}"`);
  resolveParameters(executors[executor.name], Object.fromEntries(Object.entries(executor).filter(([key]) => key !== 'name')), `executor ${executor.name}`);
  return { executor, resource_class: settled.resource_class, circleci_ip_ranges: settled.circleci_ip_ranges };
}

export interface StepResult {
  name: string;
  /** The exit code; -1 when the step was stopped (no output timeout, or the job ended under a background step). */
  exitCode: number;
  stdout: string;
  stderr: string;
  status: 'success' | 'failed' | 'background';
}

/** Where a job's environment comes from, lowest precedence first (CircleCI's order). */
export interface JobEnvironment {
  project?: Record<string, string>;
  context?: Record<string, string>;
  builtin?: Record<string, string>;
  executor?: Record<string, string>;
  job?: Record<string, string>;
}

/** The environment a step starts with: CircleCI's precedence, the step's own `environment` last. */
export function layerEnvironment(layers: JobEnvironment, step: Record<string, string> = {}): Record<string, string> {
  return { ...layers.project, ...layers.context, ...layers.builtin, ...layers.executor, ...layers.job, ...step };
}

/** `no_output_timeout` (`10m`, `30s`, `1.5h`) in milliseconds. */
export function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([mhs])$/.exec(text);
  if (!match) throw new Error(`no_output_timeout "${text}" is not a duration such as 10m, 30s or 1h`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
}

function expandHome(path: string, home: string | undefined): string {
  return home !== undefined && (path === '~' || path.startsWith('~/')) ? join(home, path.slice(1)) : path;
}

/** Stops a step and everything it started (its process group), as the executor does. */
function killTree(child: ResultPromise, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs the `run` steps in order as CircleCI's executor does (see the module doc). `job.env` is the
 * job's environment (see {@link layerEnvironment}); `job.cwd` its working_directory.
 */
export async function runSteps(
  steps: ExpandedStep[],
  job: { env: Record<string, string>; cwd: string; noOutputTimeoutMs?: number; /** A wall-clock limit per step (a test's guard, not CircleCI's). */ timeoutMs?: number },
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const background: Array<{ child: ResultPromise; result: StepResult }> = [];
  const scripts = await mkdtemp(join(tmpdir(), 'applink-orb-steps-'));
  let failed = false;
  try {
    for (const [index, step] of steps.entries()) {
      if (step.kind !== 'run') continue;
      if (step.when === 'on_success' ? failed : step.when === 'on_fail' ? !failed : false) continue;
      const script = join(scripts, `step-${index}.sh`);
      await writeFile(script, step.command);
      const [file, ...args] = (step.shell ?? '/bin/bash -eo pipefail').split(/\s+/).filter(Boolean);
      const env = { ...job.env, ...step.environment };
      const cwd = step.workingDirectory === undefined ? job.cwd : resolve(job.cwd, expandHome(step.workingDirectory, env.HOME));
      const child = execa(file!, [...args, script], { env, extendEnv: false, cwd, reject: false, stdin: 'ignore', detached: true });
      const result: StepResult = { name: step.name, exitCode: 0, stdout: '', stderr: '', status: 'success' };
      if (step.background) {
        result.status = 'background';
        background.push({ child, result });
        results.push(result);
        continue;
      }
      const limit = step.noOutputTimeout === undefined ? (job.noOutputTimeoutMs ?? durationMs('10m')) : durationMs(step.noOutputTimeout);
      let timedOut = false;
      const expire = () => {
        timedOut = true;
        killTree(child, 'SIGKILL');
      };
      let timer = setTimeout(expire, limit);
      const rearm = () => {
        clearTimeout(timer);
        timer = setTimeout(expire, limit);
      };
      child.stdout?.on('data', rearm);
      child.stderr?.on('data', rearm);
      const guard = job.timeoutMs === undefined ? undefined : setTimeout(() => killTree(child, 'SIGKILL'), job.timeoutMs);
      const done = await child;
      clearTimeout(timer);
      clearTimeout(guard);
      result.stdout = String(done.stdout);
      result.stderr = String(done.stderr);
      result.exitCode = timedOut ? -1 : (done.exitCode ?? -1);
      if (timedOut) result.stderr += `${result.stderr === '' ? '' : '\n'}Too long with no output (exceeded ${step.noOutputTimeout ?? '10m0s'}): context deadline exceeded`;
      if (result.exitCode !== 0) {
        result.status = 'failed';
        failed = true;
      }
      results.push(result);
    }
  } finally {
    for (const { child, result } of background) {
      killTree(child, 'SIGTERM');
      const done = await child;
      result.stdout = String(done.stdout);
      result.stderr = String(done.stderr);
      result.exitCode = done.exitCode ?? -1;
    }
    await rm(scripts, { recursive: true, force: true });
  }
  return results;
}
