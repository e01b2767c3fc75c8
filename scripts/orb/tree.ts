/** Small helpers for walking parsed YAML documents (orbs and CircleCI configs). */

/** A location in a document: map keys and sequence indexes from the root. */
export type OrbPath = ReadonlyArray<string | number>;

/** True for a YAML mapping parsed to a plain object (not a list, not a timestamp). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Renders a path as `commands.authorize.steps[0].run`. */
export function formatPath(path: OrbPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}

/** Calls `visit` for every string scalar under `value` with its path. */
export function walkStrings(value: unknown, path: OrbPath, visit: (text: string, path: OrbPath) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, index) => walkStrings(item, [...path, index], visit));
  else if (isPlainObject(value)) for (const [key, child] of Object.entries(value)) walkStrings(child, [...path, key], visit);
}

/** The parameter references (`<< parameters.x >>`, `<<#parameters.x>>`, ...) in a text, escapes skipped. */
export function parameterReferences(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/\\<<|<<\s*[#^/]?\s*parameters\.([A-Za-z0-9_-]+)\s*>>/g)) {
    if (match[1] !== undefined) names.push(match[1]);
  }
  return names;
}

/** A `<< parameters.x >>` / `<< pipeline.x >>` placeholder anywhere in the text. */
export const PLACEHOLDER = /<<\s*(parameters|pipeline)\.[\w.-]+\s*>>/;
