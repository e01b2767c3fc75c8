/**
 * Layer 2 of the orb validator: the checks CircleCI's compiler makes that its JSON schema misses.
 * Enum defaults inside their enum, `env_var_name` defaults that are POSIX names, every
 * `<< parameters.x >>` declared by its component, every command/executor/job reference resolvable,
 * no unknown top-level keys, and arguments that match the parameters they are given to.
 */
import { EXAMPLE_USAGE_KEYS, ORB_TOP_LEVEL_KEYS } from './pack.js';
import type { Finding } from './finding.js';
import { isPlainObject, parameterReferences, walkStrings, type OrbPath } from './tree.js';

/** Where findings are reported, and what other orbs are known inline. */
export interface SemanticContext {
  /** Maps a document path to the file to name in a finding. */
  locate: (path: OrbPath) => string;
  /** Orbs whose source is known, by alias (an orb's own examples see it under its alias). */
  inlineOrbs?: Record<string, Record<string, unknown>>;
}

/** The top-level keys of a CircleCI config (2.1). */
export const CONFIG_TOP_LEVEL_KEYS = ['version', 'setup', 'orbs', 'commands', 'executors', 'jobs', 'workflows', 'parameters'] as const;

const POSIX_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const BUILTIN_STEPS = new Set([
  'run', 'checkout', 'setup_remote_docker', 'save_cache', 'restore_cache', 'deploy', 'store_artifacts',
  'store_test_results', 'persist_to_workspace', 'attach_workspace', 'add_ssh_keys', 'when', 'unless', 'steps',
  'jq', 'release',
]);

/** Keys a workflow job entry may carry besides the job's own parameters. */
export const WORKFLOW_JOB_KEYS = new Set([
  'name', 'requires', 'context', 'filters', 'matrix', 'type', 'pre-steps', 'post-steps', 'serial-group', 'override-with', 'plan_name',
]);

type Params = Record<string, Record<string, unknown>>;

function paramsOf(component: unknown): Params {
  if (!isPlainObject(component) || !isPlainObject(component.parameters)) return {};
  const out: Params = {};
  for (const [name, spec] of Object.entries(component.parameters)) if (isPlainObject(spec)) out[name] = spec;
  return out;
}

function checkParameterDeclarations(component: unknown, path: OrbPath, ctx: SemanticContext, findings: Finding[]): void {
  for (const [name, spec] of Object.entries(paramsOf(component))) {
    const at = [...path, 'parameters', name];
    const file = ctx.locate(at);
    const { type, default: fallback } = spec;
    if (type === 'enum') {
      const values = Array.isArray(spec.enum) ? spec.enum : [];
      if (fallback !== undefined && !values.includes(fallback)) {
        findings.push({ rule: 'enum-default', file, path: [...at, 'default'], message: `default "${String(fallback)}" of enum parameter "${name}" is not one of its values: ${values.join(', ')}` });
      }
    } else if (type === 'env_var_name') {
      if (fallback !== undefined && (typeof fallback !== 'string' || !POSIX_NAME.test(fallback))) {
        findings.push({ rule: 'env-var-default', file, path: [...at, 'default'], message: `default of env_var_name parameter "${name}" must be a POSIX variable name ([A-Za-z_][A-Za-z0-9_]*), got "${String(fallback)}"` });
      }
    } else if (type === 'boolean' && fallback !== undefined && typeof fallback !== 'boolean') {
      findings.push({ rule: 'parameter-default-type', file, path: [...at, 'default'], message: `default of boolean parameter "${name}" must be true or false, got "${String(fallback)}"` });
    } else if (type === 'integer' && fallback !== undefined && !Number.isInteger(fallback)) {
      findings.push({ rule: 'parameter-default-type', file, path: [...at, 'default'], message: `default of integer parameter "${name}" must be a whole number, got "${String(fallback)}"` });
    }
  }
}

function checkParameterReferences(component: unknown, path: OrbPath, ctx: SemanticContext, findings: Finding[]): void {
  if (!isPlainObject(component)) return;
  const declared = new Set(Object.keys(paramsOf(component)));
  for (const [key, value] of Object.entries(component)) {
    if (key === 'parameters') continue;
    walkStrings(value, [...path, key], (text, at) => {
      for (const name of new Set(parameterReferences(text))) {
        if (!declared.has(name)) {
          findings.push({ rule: 'undeclared-parameter', file: ctx.locate(at), path: at, message: `<< parameters.${name} >> is not declared in the parameters of ${String(path[path.length - 1])}` });
        }
      }
    });
  }
}

function checkPipelineReferences(config: Record<string, unknown>, ctx: SemanticContext, findings: Finding[]): void {
  const declared = new Set(Object.keys(isPlainObject(config.parameters) ? config.parameters : {}));
  walkStrings(config, [], (text, at) => {
    for (const match of text.matchAll(/\\<<|<<\s*pipeline\.parameters\.([A-Za-z0-9_-]+)\s*>>/g)) {
      if (match[1] !== undefined && !declared.has(match[1])) {
        findings.push({ rule: 'undeclared-parameter', file: ctx.locate(at), path: at, message: `<< pipeline.parameters.${match[1]} >> is not declared in the top-level parameters` });
      }
    }
  });
}

/** The components a reference can resolve to: this document's own, and known inline orbs'. */
interface Scope {
  kind: 'orb' | 'config';
  document: Record<string, unknown>;
  orbs: Record<string, unknown>;
  inlineOrbs: Record<string, Record<string, unknown>>;
}

function resolve(scope: Scope, kind: 'commands' | 'executors' | 'jobs', ref: string): { found: boolean; component?: unknown; checkable: boolean } {
  const slash = ref.indexOf('/');
  if (slash === -1) {
    const components = scope.document[kind];
    const found = isPlainObject(components) && ref in components;
    return { found, component: found ? (components as Record<string, unknown>)[ref] : undefined, checkable: true };
  }
  const alias = ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  const inline = scope.inlineOrbs[alias];
  if (inline !== undefined) {
    const components = inline[kind];
    const found = isPlainObject(components) && name in components;
    return { found, component: found ? (components as Record<string, unknown>)[name] : undefined, checkable: true };
  }
  // An imported orb we cannot see: only its alias can be checked.
  return { found: alias in scope.orbs, checkable: false };
}

function checkArguments(target: unknown, args: Record<string, unknown>, ignore: Set<string>, what: string, path: OrbPath, ctx: SemanticContext, findings: Finding[]): void {
  const params = paramsOf(target);
  for (const key of Object.keys(args)) {
    if (!ignore.has(key) && !(key in params)) {
      findings.push({ rule: 'unknown-argument', file: ctx.locate(path), path: [...path, key], message: `${what} has no parameter "${key}" (it has: ${Object.keys(params).join(', ') || 'none'})` });
    }
  }
  for (const [name, spec] of Object.entries(params)) {
    if (spec.default === undefined && !(name in args)) {
      findings.push({ rule: 'missing-argument', file: ctx.locate(path), path, message: `${what} needs the parameter "${name}" (it has no default)` });
    }
  }
}

function checkSteps(steps: unknown, path: OrbPath, scope: Scope, ctx: SemanticContext, findings: Finding[]): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((step, index) => {
    const at = [...path, index];
    let name: string;
    let args: unknown;
    if (typeof step === 'string') {
      name = step;
    } else if (isPlainObject(step) && Object.keys(step).length === 1) {
      name = Object.keys(step)[0]!;
      args = step[name];
    } else {
      return; // the schema reports malformed steps
    }
    if (/<</.test(name)) return;
    if (name === 'when' || name === 'unless') {
      if (isPlainObject(args)) checkSteps(args.steps, [...at, name, 'steps'], scope, ctx, findings);
      return;
    }
    if (BUILTIN_STEPS.has(name)) return;
    const target = resolve(scope, 'commands', name);
    if (!target.found) {
      const slash = name.indexOf('/');
      const message =
        slash === -1
          ? `step "${name}" is neither a built-in step nor a command of this ${scope.kind}`
          : target.checkable
            ? `step "${name}": the orb imported as "${name.slice(0, slash)}" has no command "${name.slice(slash + 1)}"`
            : `step "${name}": no orb is imported as "${name.slice(0, slash)}" (add it under orbs:)`;
      findings.push({ rule: 'unknown-component', file: ctx.locate(at), path: at, message });
    } else if (target.checkable) {
      checkArguments(target.component, isPlainObject(args) ? args : {}, new Set(['name']), `command "${name}"`, [...at, name], ctx, findings);
    }
  });
}

function checkExecutor(job: Record<string, unknown>, path: OrbPath, scope: Scope, ctx: SemanticContext, findings: Finding[]): void {
  const executor = job.executor;
  const ref = typeof executor === 'string' ? executor : isPlainObject(executor) && typeof executor.name === 'string' ? executor.name : undefined;
  if (ref === undefined || /<</.test(ref)) return;
  const target = resolve(scope, 'executors', ref);
  const at = [...path, 'executor'];
  if (!target.found) {
    findings.push({ rule: 'unknown-component', file: ctx.locate(at), path: at, message: `executor "${ref}" is not defined${ref.includes('/') ? ` by the orb imported as "${ref.split('/')[0]}"` : ''}` });
  } else if (target.checkable && isPlainObject(executor)) {
    checkArguments(target.component, executor, new Set(['name']), `executor "${ref}"`, at, ctx, findings);
  }
}

function checkComponents(document: Record<string, unknown>, scope: Scope, ctx: SemanticContext, findings: Finding[]): void {
  for (const kind of ['commands', 'executors', 'jobs'] as const) {
    const components = document[kind];
    if (!isPlainObject(components)) continue;
    for (const [name, component] of Object.entries(components)) {
      const path = [kind, name];
      checkParameterDeclarations(component, path, ctx, findings);
      checkParameterReferences(component, path, ctx, findings);
      if (!isPlainObject(component)) continue;
      if (kind !== 'executors') checkSteps(component.steps, [...path, 'steps'], scope, ctx, findings);
      if (kind === 'jobs') checkExecutor(component, path, scope, ctx, findings);
    }
  }
}

function checkWorkflows(document: Record<string, unknown>, scope: Scope, ctx: SemanticContext, findings: Finding[], prefix: OrbPath): void {
  const workflows = document.workflows;
  if (!isPlainObject(workflows)) return;
  for (const [workflowName, workflow] of Object.entries(workflows)) {
    if (!isPlainObject(workflow) || !Array.isArray(workflow.jobs)) continue;
    const declaredNames = new Set<string>();
    workflow.jobs.forEach((entry) => {
      const name = typeof entry === 'string' ? entry : isPlainObject(entry) ? Object.keys(entry)[0] : undefined;
      const args = isPlainObject(entry) && name !== undefined ? entry[name] : undefined;
      if (name !== undefined) declaredNames.add(isPlainObject(args) && typeof args.name === 'string' ? args.name : name);
    });
    workflow.jobs.forEach((entry, index) => {
      const at = [...prefix, 'workflows', workflowName, 'jobs', index];
      const name = typeof entry === 'string' ? entry : isPlainObject(entry) && Object.keys(entry).length === 1 ? Object.keys(entry)[0]! : undefined;
      if (name === undefined) return;
      const args = isPlainObject(entry) ? entry[name] : undefined;
      if (isPlainObject(args) && args.type === 'approval') return;
      const target = resolve(scope, 'jobs', name);
      if (!target.found) {
        const slash = name.indexOf('/');
        const message =
          slash === -1
            ? `job "${name}" is not defined under jobs:`
            : target.checkable
              ? `job "${name}": the orb imported as "${name.slice(0, slash)}" has no job "${name.slice(slash + 1)}"`
              : `job "${name}": no orb is imported as "${name.slice(0, slash)}" (add it under orbs:)`;
        findings.push({ rule: 'unknown-component', file: ctx.locate(at), path: at, message });
      } else if (target.checkable) {
        // A matrix's parameters are arguments of every job it expands to.
        const given = isPlainObject(args) ? args : {};
        const matrix = isPlainObject(given.matrix) && isPlainObject(given.matrix.parameters) ? given.matrix.parameters : {};
        checkArguments(target.component, { ...matrix, ...given }, WORKFLOW_JOB_KEYS, `job "${name}"`, [...at, name], ctx, findings);
      }
      if (isPlainObject(args) && Array.isArray(args.requires)) {
        args.requires.forEach((required, requiredIndex) => {
          if (typeof required === 'string' && !declaredNames.has(required)) {
            const requiresAt = [...at, name, 'requires', requiredIndex];
            findings.push({ rule: 'unknown-component', file: ctx.locate(requiresAt), path: requiresAt, message: `requires "${required}", which is not a job of workflow "${workflowName}"` });
          }
        });
      }
      for (const hook of ['pre-steps', 'post-steps']) {
        if (isPlainObject(args)) checkSteps(args[hook], [...at, name, hook], scope, ctx, findings);
      }
    });
  }
}

function checkTopLevelKeys(document: Record<string, unknown>, allowed: readonly string[], what: string, prefix: OrbPath, ctx: SemanticContext, findings: Finding[], rule = 'unknown-top-level-key'): void {
  for (const key of Object.keys(document)) {
    if (!allowed.includes(key)) {
      const at = [...prefix, key];
      findings.push({ rule, file: ctx.locate(at), path: at, message: `"${key}" is not a top-level key of ${what} (allowed: ${allowed.join(', ')})` });
    }
  }
}

/** Finds the aliases under which a config imports the orb `orbName` (e.g. `applink: ns/applink@1.2`). */
export function aliasesOf(orbs: unknown, orbName: string): string[] {
  if (!isPlainObject(orbs)) return [];
  return Object.entries(orbs)
    .filter(([, ref]) => typeof ref === 'string' && new RegExp(`^[a-z0-9_-]+/${orbName.replace(/[^\w-]/g, '')}@`).test(ref))
    .map(([alias]) => alias);
}

/** The semantic checks of a packed orb (including its examples' usage, against the orb itself). */
export function checkOrbSemantics(orb: Record<string, unknown>, ctx: SemanticContext & { orbName?: string }): Finding[] {
  const findings: Finding[] = [];
  checkTopLevelKeys(orb, ORB_TOP_LEVEL_KEYS, 'an orb', [], ctx, findings);
  const scope: Scope = { kind: 'orb', document: orb, orbs: isPlainObject(orb.orbs) ? orb.orbs : {}, inlineOrbs: ctx.inlineOrbs ?? {} };
  checkComponents(orb, scope, ctx, findings);
  if (isPlainObject(orb.examples)) {
    for (const [name, example] of Object.entries(orb.examples)) {
      if (!isPlainObject(example) || !isPlainObject(example.usage)) continue;
      const usage = example.usage;
      const prefix = ['examples', name, 'usage'];
      checkTopLevelKeys(usage, EXAMPLE_USAGE_KEYS, 'an example usage (the 0.1.x CLI\'s pack drops the others)', prefix, ctx, findings, 'example-usage-key');
      const inlineOrbs = { ...(ctx.inlineOrbs ?? {}) };
      for (const alias of ctx.orbName === undefined ? [] : aliasesOf(usage.orbs, ctx.orbName)) inlineOrbs[alias] = orb;
      findings.push(
        ...checkConfigSemantics(usage, {
          locate: (path) => ctx.locate([...prefix, ...path]),
          inlineOrbs,
          prefix,
          topLevelKeys: false,
        }),
      );
    }
  }
  return findings;
}

/**
 * The semantic checks of a CircleCI config (`.circleci/*.yml`, or an example's `usage`). Orbs
 * in `inlineOrbs` (by alias) have their command, job and executor references checked too.
 */
export function checkConfigSemantics(
  config: Record<string, unknown>,
  ctx: SemanticContext & { prefix?: OrbPath; topLevelKeys?: boolean },
): Finding[] {
  const findings: Finding[] = [];
  const prefix = ctx.prefix ?? [];
  const local: SemanticContext = { ...ctx, locate: ctx.locate };
  const withPrefix = (list: Finding[]) => list.map((finding) => ({ ...finding, path: [...prefix, ...finding.path] }));
  if (ctx.topLevelKeys !== false) checkTopLevelKeys(config, CONFIG_TOP_LEVEL_KEYS, 'a CircleCI config', [], local, findings);
  const scope: Scope = { kind: 'config', document: config, orbs: isPlainObject(config.orbs) ? config.orbs : {}, inlineOrbs: ctx.inlineOrbs ?? {} };
  const inner: Finding[] = [];
  checkComponents(config, scope, local, inner);
  checkWorkflows(config, scope, local, inner, []);
  checkPipelineReferences(config, local, inner);
  return [...findings, ...withPrefix(inner)];
}
