/**
 * Checks a CircleCI config's calls into external orbs (`orb-tools/pack`, `shellcheck/check`, ...)
 * against the recorded interface of the exact version it pins (third_party/circleci-orb-interfaces/
 * `<namespace>.<orb>@<version>.json`, written by scripts/orb-interfaces.ts from the orb's source):
 * every import pinned to a recorded X.Y.Z, every job, command and executor known, no undeclared
 * argument, every required one given, enum and typed values valid; and that whatever an orb job
 * reads from the workspace (orb-tools' `continue` and `publish` read `orb_source.tar.gz`) is
 * persisted at that workspace path by a job it requires.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Finding } from './finding.js';
import { WORKFLOW_JOB_KEYS } from './semantic.js';
import { isPlainObject, PLACEHOLDER, type OrbPath } from './tree.js';

/** One parameter as the orb declares it. */
export interface ParameterInterface {
  type: string;
  required: boolean;
  default?: string | number | boolean | unknown[];
  enum?: string[];
}

/**
 * What a job does with the workspace. `root`/`at` are paths, or `<<parameters.x>>`; `if` names the
 * boolean parameter the step is conditional on; `reads` are the files it expects at `at`.
 */
export type WorkspaceUse =
  | { kind: 'persist'; root: string; paths: string[]; if?: string }
  | { kind: 'attach'; at: string; reads: string[]; if?: string };

export interface ComponentInterface {
  parameters: Record<string, ParameterInterface>;
  workspace?: WorkspaceUse[];
}

/** The recorded interface of one orb release. */
export interface OrbInterface {
  /** `namespace/name`. */
  orb: string;
  /** Exact `X.Y.Z`. */
  version: string;
  source: { repository: string; tag: string; commit: string; license: string; files: Record<string, string> };
  commands: Record<string, ComponentInterface>;
  executors: Record<string, ComponentInterface>;
  jobs: Record<string, ComponentInterface>;
}

/** Recorded interfaces by `namespace/name@X.Y.Z`. */
export type OrbInterfaces = Record<string, OrbInterface>;

/** Where recorded interfaces live in this repository. */
export const ORB_INTERFACES_DIR = 'third_party/circleci-orb-interfaces';

/** The file that records `namespace/orb@X.Y.Z`: `namespace.orb@X.Y.Z.json` (a flat folder). */
export function interfaceFileName(ref: string): string {
  return `${ref.replace('/', '.')}.json`;
}

/** Reads every `<namespace>.<orb>@<version>.json` in `dir`. */
export async function loadOrbInterfaces(dir: string): Promise<OrbInterfaces> {
  const out: OrbInterfaces = {};
  const files = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  for (const file of files) {
    const record = JSON.parse(await readFile(join(dir, file), 'utf8')) as OrbInterface;
    const ref = `${record.orb}@${record.version}`;
    if (file !== interfaceFileName(ref)) throw new Error(`${join(dir, file)} records ${ref}; name it ${interfaceFileName(ref)}`);
    out[ref] = record;
  }
  return out;
}

const EXACT_REF = /^([a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*)@(\d+\.\d+\.\d+)$/;
const POSIX_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WORKFLOW_KEYS = new Set(WORKFLOW_JOB_KEYS);

type Kind = 'commands' | 'executors' | 'jobs';
const KIND_NAME: Record<Kind, string> = { commands: 'command', executors: 'executor', jobs: 'job' };

interface Context {
  file: string;
  imports: Record<string, OrbInterface>;
  findings: Finding[];
}

function push(ctx: Context, rule: string, path: OrbPath, message: string): void {
  ctx.findings.push({ rule, file: ctx.file, path, message });
}

/** The external component a reference names, when its orb has a recorded interface. */
interface Target {
  orb: OrbInterface;
  component?: ComponentInterface;
  /** The reference as written (`orb-tools/pack`). */
  ref: string;
}

function lookup(ctx: Context, kind: Kind, ref: string, path: OrbPath): Target | undefined {
  const slash = ref.indexOf('/');
  if (slash === -1) return undefined;
  const orb = ctx.imports[ref.slice(0, slash)];
  if (orb === undefined) return undefined;
  const name = ref.slice(slash + 1);
  const component = orb[kind][name];
  if (component === undefined) {
    const known = Object.keys(orb[kind]);
    push(ctx, 'external-orb-component', path, `${KIND_NAME[kind]} "${ref}": ${orb.orb}@${orb.version} has no ${KIND_NAME[kind]} "${name}" (its ${kind}: ${known.join(', ') || 'none'})`);
  }
  return { orb, component, ref };
}

function describeValue(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** The problem with `value` for a parameter of this type, or undefined (placeholders are not judged). */
function valueProblem(spec: ParameterInterface, value: unknown): string | undefined {
  if (typeof value === 'string' && PLACEHOLDER.test(value)) return undefined;
  switch (spec.type) {
    case 'enum':
      return typeof value === 'string' && (spec.enum ?? []).includes(value) ? undefined : `must be one of ${(spec.enum ?? []).join(', ')}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'integer':
      return Number.isInteger(value) ? undefined : 'must be a whole number';
    case 'env_var_name':
      return typeof value === 'string' && POSIX_NAME.test(value) ? undefined : 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), never a value';
    case 'string':
      return typeof value === 'string' || typeof value === 'number' ? undefined : 'must be a string';
    case 'steps':
      return Array.isArray(value) ? undefined : 'must be a list of steps';
    default:
      return undefined;
  }
}

function checkArguments(ctx: Context, target: Target, kind: Kind, args: Record<string, unknown>, ignore: Set<string>, path: OrbPath): void {
  if (target.component === undefined) return;
  const what = `${KIND_NAME[kind]} "${target.ref}" (${target.orb.orb}@${target.orb.version})`;
  const params = target.component.parameters;
  for (const [key, value] of Object.entries(args)) {
    if (ignore.has(key)) continue;
    const spec = params[key];
    if (spec === undefined) {
      push(ctx, 'external-orb-argument', [...path, key], `${what} declares no parameter "${key}" (it declares: ${Object.keys(params).join(', ') || 'none'})`);
      continue;
    }
    const problem = valueProblem(spec, value);
    if (problem !== undefined) push(ctx, 'external-orb-value', [...path, key], `parameter "${key}" of ${what} ${problem}; got ${describeValue(value)}`);
  }
  for (const [name, spec] of Object.entries(params)) {
    if (spec.required && !(name in args)) push(ctx, 'external-orb-argument', path, `${what} needs the parameter "${name}" (it has no default)`);
  }
}

function checkSteps(ctx: Context, steps: unknown, path: OrbPath): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((step, index) => {
    const at = [...path, index];
    const name = typeof step === 'string' ? step : isPlainObject(step) && Object.keys(step).length === 1 ? Object.keys(step)[0]! : undefined;
    if (name === undefined) return;
    const args = isPlainObject(step) ? step[name] : undefined;
    if ((name === 'when' || name === 'unless') && isPlainObject(args)) {
      checkSteps(ctx, args.steps, [...at, name, 'steps']);
      return;
    }
    const target = lookup(ctx, 'commands', name, at);
    if (target !== undefined) checkArguments(ctx, target, 'commands', isPlainObject(args) ? args : {}, new Set(), [...at, name]);
  });
}

function checkExecutor(ctx: Context, executor: unknown, path: OrbPath): void {
  const ref = typeof executor === 'string' ? executor : isPlainObject(executor) && typeof executor.name === 'string' ? executor.name : undefined;
  if (ref === undefined || PLACEHOLDER.test(ref)) return;
  const target = lookup(ctx, 'executors', ref, path);
  if (target !== undefined) checkArguments(ctx, target, 'executors', isPlainObject(executor) ? executor : {}, new Set(['name']), path);
}

/** A workflow job entry: its key, the name others require it by, its arguments. */
interface Entry {
  job: string;
  name: string;
  args: Record<string, unknown>;
  index: number;
}

function entriesOf(jobs: unknown[]): Entry[] {
  const entries: Entry[] = [];
  jobs.forEach((item, index) => {
    const job = typeof item === 'string' ? item : isPlainObject(item) && Object.keys(item).length === 1 ? Object.keys(item)[0]! : undefined;
    if (job === undefined) return;
    const args = isPlainObject(item) && isPlainObject(item[job]) ? (item[job] as Record<string, unknown>) : {};
    entries.push({ job, name: typeof args.name === 'string' ? args.name : job, args, index });
  });
  return entries;
}

/** A parameter's value in a call: the argument, else its default. */
function argument(name: string, component: ComponentInterface, args: Record<string, unknown>): unknown {
  return name in args ? args[name] : component.parameters[name]?.default;
}

/** Whether a recorded workspace use is on: it has no `if`, or that boolean parameter is true. */
function enabled(use: WorkspaceUse, component: ComponentInterface, args: Record<string, unknown>): boolean {
  return use.if === undefined || argument(use.if, component, args) === true;
}

/** A recorded root/at: a literal path, or `<<parameters.x>>` resolved against the call. */
function pathIn(value: string, component: ComponentInterface, args: Record<string, unknown>): string {
  const name = /^<<\s*parameters\.([\w-]+)\s*>>$/.exec(value)?.[1];
  return name === undefined ? value : String(argument(name, component, args));
}

const normalise = (path: string) => path.replace(/^\.\//, '').replace(/\/+$/, '');

/** The workspace paths (relative to the workspace root) that a workflow entry persists. */
function persistedBy(ctx: Context, config: Record<string, unknown>, entry: Entry): string[] {
  const out: string[] = [];
  const fromSteps = (steps: unknown): void => {
    if (!Array.isArray(steps)) return;
    for (const step of steps) {
      if (!isPlainObject(step)) continue;
      const args = step.persist_to_workspace;
      if (isPlainObject(args) && Array.isArray(args.paths)) out.push(...args.paths.map((path) => normalise(String(path))));
      for (const nested of ['when', 'unless']) if (isPlainObject(step[nested])) fromSteps((step[nested] as Record<string, unknown>).steps);
    }
  };
  const slash = entry.job.indexOf('/');
  if (slash !== -1) {
    const component = ctx.imports[entry.job.slice(0, slash)]?.jobs[entry.job.slice(slash + 1)];
    for (const use of component?.workspace ?? []) {
      if (use.kind === 'persist' && enabled(use, component!, entry.args)) out.push(...use.paths.map(normalise));
    }
  } else if (isPlainObject(config.jobs) && isPlainObject(config.jobs[entry.job])) {
    fromSteps((config.jobs[entry.job] as Record<string, unknown>).steps);
  }
  fromSteps(entry.args['pre-steps']);
  fromSteps(entry.args['post-steps']);
  return out;
}

function checkWorkspace(ctx: Context, config: Record<string, unknown>, workflow: string, jobs: unknown[]): void {
  const entries = entriesOf(jobs);
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const upstream = (entry: Entry): Entry[] => {
    const seen = new Set<string>();
    const queue = Array.isArray(entry.args.requires) ? entry.args.requires.map(String) : [];
    const out: Entry[] = [];
    while (queue.length > 0) {
      const name = queue.shift()!;
      const required = byName.get(name);
      if (seen.has(name) || required === undefined) continue;
      seen.add(name);
      out.push(required);
      if (Array.isArray(required.args.requires)) queue.push(...required.args.requires.map(String));
    }
    return out;
  };
  for (const entry of entries) {
    const slash = entry.job.indexOf('/');
    if (slash === -1) continue;
    const component = ctx.imports[entry.job.slice(0, slash)]?.jobs[entry.job.slice(slash + 1)];
    for (const use of component?.workspace ?? []) {
      if (use.kind !== 'attach' || use.reads.length === 0 || !enabled(use, component!, entry.args)) continue;
      const at = pathIn(use.at, component!, entry.args);
      const available = new Set(upstream(entry).flatMap((required) => persistedBy(ctx, config, required)));
      for (const read of use.reads) {
        if (available.has(read)) continue;
        const found = [...available].sort();
        push(
          ctx,
          'workspace',
          ['workflows', workflow, 'jobs', entry.index, entry.job],
          `job "${entry.name}" attaches the workspace at ${at} and reads ${at}/${read}, but no job it requires persists ${read} at the workspace root ` +
            `(persist it with root ${at} and path ${read}, as orb-tools/pack does; what the required jobs persist: ${found.join(', ') || 'nothing'})`,
        );
      }
    }
  }
}

/**
 * Checks every call from `config` into an external orb against `interfaces`. Imports that are
 * inline (`{}` placeholders that orb-tools' `continue` fills, or a whole orb) are not external.
 */
export function checkExternalOrbCalls(config: Record<string, unknown>, file: string, interfaces: OrbInterfaces): Finding[] {
  const ctx: Context = { file, imports: {}, findings: [] };
  if (isPlainObject(config.orbs)) {
    for (const [alias, ref] of Object.entries(config.orbs)) {
      if (typeof ref !== 'string') continue;
      const at = ['orbs', alias];
      const exact = EXACT_REF.exec(ref);
      if (exact === null) {
        push(ctx, 'external-orb-pin', at, `orb "${alias}" is imported as ${ref}: pin an exact version (namespace/orb@X.Y.Z) whose interface is recorded in ${ORB_INTERFACES_DIR}/`);
      } else if (interfaces[ref] === undefined) {
        push(ctx, 'external-orb-pin', at, `no recorded interface for ${ref}: record it with scripts/orb-interfaces.ts (${ORB_INTERFACES_DIR}/${interfaceFileName(ref)}), or pin a recorded version (${Object.keys(interfaces).filter((known) => known.startsWith(`${exact[1]}@`)).join(', ') || 'none'})`);
      } else {
        ctx.imports[alias] = interfaces[ref]!;
      }
    }
  }
  for (const kind of ['commands', 'jobs'] as const) {
    const components = config[kind];
    if (!isPlainObject(components)) continue;
    for (const [name, component] of Object.entries(components)) {
      if (!isPlainObject(component)) continue;
      if (kind === 'jobs') checkExecutor(ctx, component.executor, [kind, name, 'executor']);
      checkSteps(ctx, component.steps, [kind, name, 'steps']);
    }
  }
  if (isPlainObject(config.workflows)) {
    for (const [workflow, definition] of Object.entries(config.workflows)) {
      if (!isPlainObject(definition) || !Array.isArray(definition.jobs)) continue;
      for (const entry of entriesOf(definition.jobs)) {
        const at = ['workflows', workflow, 'jobs', entry.index, entry.job];
        const target = lookup(ctx, 'jobs', entry.job, at);
        if (target !== undefined) checkArguments(ctx, target, 'jobs', entry.args, WORKFLOW_KEYS, at);
        for (const hook of ['pre-steps', 'post-steps']) checkSteps(ctx, entry.args[hook], [...at, hook]);
      }
      checkWorkspace(ctx, config, workflow, definition.jobs);
    }
  }
  return ctx.findings;
}
