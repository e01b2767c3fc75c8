/**
 * Layer 1 of the orb validator: CircleCI's own JSON schema (from circleci-yaml-language-server),
 * run with ajv. Errors caused by `<< parameters.x >>` placeholders in typed fields are dropped,
 * as CircleCI only checks those values after substitution.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Finding } from './finding.js';
import { PLACEHOLDER, type OrbPath } from './tree.js';

/** Checks one document against the schema; `locate` maps a path to the file to report. */
export type SchemaCheck = (document: unknown, locate: (path: OrbPath) => { file: string; prefix?: OrbPath }) => Finding[];

/**
 * Loads the schema at `schemaPath` and returns a checker, or `undefined` when the file is absent
 * (the caller says so and runs the other layers).
 */
export async function loadSchemaCheck(schemaPath: string): Promise<SchemaCheck | undefined> {
  let text: string;
  try {
    text = await readFile(schemaPath, 'utf8');
  } catch {
    return undefined;
  }
  const ajv = new Ajv({
    strict: false,
    allowUnionTypes: true,
    allErrors: true,
    verbose: true,
    // The schema uses format "uri" for URL orbs; ajv knows no formats without ajv-formats.
    formats: { uri: (text: string) => URL.canParse(text) },
  });
  const validate: ValidateFunction = ajv.compile(JSON.parse(text) as object);
  return (document, locate) => {
    const errors = validateNeutralized(validate, document);
    return relevantErrors(errors).map((error) => {
      const path = pointerToPath(error.instancePath);
      const { file, prefix = [] } = locate(path);
      return { rule: 'schema', file, path: [...prefix, ...path], message: describe(error) };
    });
  };
}

function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function containsPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && PLACEHOLDER.test(value);
}

const CANDIDATES: unknown[] = [1, true, '10m', '1', 'x', 'on_success', 'medium', 'default'];

/** A value that satisfies a leaf schema (type, enum, pattern), standing in for a placeholder. */
function standIn(schema: unknown): unknown {
  if (schema === null || typeof schema !== 'object') return undefined;
  const leaf = schema as { enum?: unknown[]; const?: unknown; type?: string | string[]; pattern?: string };
  if (Array.isArray(leaf.enum) && leaf.enum.length > 0) return leaf.enum[0];
  if (leaf.const !== undefined) return leaf.const;
  const types = leaf.type === undefined ? [] : Array.isArray(leaf.type) ? leaf.type : [leaf.type];
  return CANDIDATES.find((candidate) => {
    const type = Number.isInteger(candidate) ? ['integer', 'number'] : [typeof candidate];
    if (types.length > 0 && !types.some((t) => type.includes(t))) return false;
    if (leaf.pattern !== undefined && (typeof candidate !== 'string' || !new RegExp(leaf.pattern, 'u').test(candidate))) return false;
    return true;
  });
}

function setAt(document: unknown, path: ReadonlyArray<string | number>, value: unknown): void {
  let node = document as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

/**
 * Validates with each `<< parameters.x >>` value that the schema rejects replaced by a value its
 * field accepts: CircleCI checks these fields only after substitution, so the errors that remain
 * are real. Runs a few rounds, as a replacement can expose the next level of a `oneOf`.
 */
function validateNeutralized(validate: ValidateFunction, document: unknown): ErrorObject[] {
  if (validate(document)) return [];
  const current = structuredClone(document);
  const replaced = new Set<string>();
  for (let round = 0; round < 10; round += 1) {
    if (validate(current)) return [];
    const errors = [...(validate.errors ?? [])];
    const byPath = new Map<string, ErrorObject[]>();
    for (const error of errors) {
      if (!containsPlaceholder(error.data) || replaced.has(error.instancePath)) continue;
      byPath.set(error.instancePath, [...(byPath.get(error.instancePath) ?? []), error]);
    }
    if (byPath.size === 0) return errors;
    for (const [pointer, found] of byPath) {
      const value = found.map((error) => standIn(error.parentSchema)).find((candidate) => candidate !== undefined);
      replaced.add(pointer);
      if (value !== undefined) setAt(current, pointerToPath(pointer), value);
    }
  }
  return validate(current) ? [] : [...(validate.errors ?? [])];
}

const COMPOSITE = new Set(['oneOf', 'anyOf', 'if', 'not']);

/** The leaf errors (a failed `oneOf` only repeats its branches' errors), each once. */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const all = errors.filter((error) => !COMPOSITE.has(error.keyword));
  // "must be string" from the string form of a step or component, when the map form has deeper errors.
  // "unknown key run" from the branch of a step that is not the run step, when the run step has errors.
  const below = (error: ErrorObject, path: string) => all.some((other) => other !== error && other.instancePath.startsWith(path));
  const leaves = all.filter((error) => {
    if (error.keyword === 'type') return !below(error, `${error.instancePath}/`);
    if (error.keyword === 'additionalProperties') {
      const key = String((error.params as { additionalProperty?: unknown }).additionalProperty).replace(/~/g, '~0').replace(/\//g, '~1');
      return !below(error, `${error.instancePath}/${key}`);
    }
    return true;
  });
  const result = leaves.length > 0 ? leaves : errors;
  const seen = new Set<string>();
  return result.filter((error) => {
    const key = `${error.instancePath} ${describe(error)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `unknown key "${String(params.additionalProperty)}" (schema)`;
  if (error.keyword === 'enum') return `${error.message ?? 'must be one of the allowed values'}: ${JSON.stringify(params.allowedValues)} (schema)`;
  if (error.keyword === 'required') return `missing required key "${String(params.missingProperty)}" (schema)`;
  return `${error.message ?? error.keyword} (schema)`;
}
