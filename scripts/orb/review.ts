/**
 * Layer 3 of the orb validator: orb-tools' review rules RC001-RC012 computed as orb-tools v12.4.0
 * computes them (src/scripts/review.bats: yq reads each source file on its own; shell command
 * substitution strips trailing newlines, so RC005/RC009 do not count the newline `>` and `|` add).
 * Where orb-tools' check differs from what it means, the project's stricter check is reported under
 * its own rule id, never an RC number:
 *
 * - RC004 never fails upstream (its `find` is given a quoted glob); `example-name` checks what it
 *   means: an example whose name contains "example".
 * - RC006/RC007 fetch the URLs (HTTP 200); they run only with `urlStatus` (the network); offline,
 *   `url-syntax` checks that display.source_url / home_url are http(s) URLs.
 * - RC011 runs only with the orb name and a `vX.Y.Z` release tag (CIRCLE_TAG), as upstream.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import YAML from 'yaml';
import type { Finding } from './finding.js';
import type { OrbSource } from './pack.js';
import { isPlainObject, type OrbPath } from './tree.js';

export interface ReviewOptions {
  /** Rule codes to skip (orb-tools' `exclude`). */
  exclude?: readonly string[];
  /** The alias examples import the orb under (orb-tools' `orb_name`); RC011 runs only with it. */
  orbName?: string;
  /** The release tag (CIRCLE_TAG); RC011 runs only when it is `vX.Y.Z`. */
  releaseTag?: string;
  /** RC009's limit for an inline `run` command (orb-tools' default: 64). */
  maxCommandLength?: number;
  /** The HTTP status a GET of the URL ends with (following redirects); RC006/RC007 run only with it. */
  urlStatus?: (url: string) => Promise<number>;
}

interface SourceFile {
  /** Absolute path. */
  path: string;
  /** The folder under the root it was found in (jobs, commands, executors, examples). */
  folder: string;
  /** The file as yq reads it (YAML 1.2), or undefined when it does not parse. */
  content: unknown;
}

/** `find <root>/<folder> -name "*.yml"`: every .yml file below the folder, dotfiles included. */
async function findYml(root: string, folder: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const entries = await readdir(join(root, folder), { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.yml')) continue;
    const path = join(entry.parentPath, entry.name);
    let content: unknown;
    try {
      content = YAML.parse(await readFile(path, 'utf8'));
    } catch {
      content = undefined;
    }
    files.push({ path, folder, content });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** What `$(yq '.key' file)` prints for a value: null as "null", a string without its trailing newlines. */
function yqText(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return value.replace(/\n+$/, '');
  return typeof value === 'object' ? YAML.stringify(value).replace(/\n+$/, '') : String(value);
}

const isNull = (value: unknown) => value === undefined || value === null;

/** Every path in `value` whose last key is "run" (jq `paths | select(last == "run")`). */
function runPaths(value: unknown, path: OrbPath, found: Array<{ value: unknown; path: OrbPath }>): void {
  if (Array.isArray(value)) value.forEach((item, index) => runPaths(item, [...path, index], found));
  else if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'run') found.push({ value: child, path: [...path, key] });
      runPaths(child, [...path, key], found);
    }
  }
}

/** Every string in `value` with its path (jq `paths` over strings). */
function strings(value: unknown, path: OrbPath, found: Array<{ value: string; path: OrbPath }>): void {
  if (typeof value === 'string') found.push({ value, path });
  else if (Array.isArray(value)) value.forEach((item, index) => strings(item, [...path, index], found));
  else if (isPlainObject(value)) for (const [key, child] of Object.entries(value)) strings(child, [...path, key], found);
}

function isValidUrl(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(url.hostname) && text.trim() === text;
  } catch {
    return false;
  }
}

/** Runs RC001-RC012 (and the project's stricter example-name and url-syntax) on the orb source. */
export async function reviewOrb(source: OrbSource, options: ReviewOptions = {}): Promise<Finding[]> {
  const root = source.root;
  const skip = new Set(options.exclude ?? []);
  const maxCommandLength = options.maxCommandLength ?? 64;
  const rootFile = join(root, '@orb.yml');
  const findings: Finding[] = [];
  const add = (rule: string, file: string, path: OrbPath, message: string) => {
    if (!skip.has(rule)) findings.push({ rule, file, path, message });
  };
  /** The orb path of a place in a component file: `<folder>.<file name>` (an @-file holds several). */
  const orbPath = (file: SourceFile, inner: OrbPath): OrbPath =>
    basename(file.path).startsWith('@') ? [file.folder, ...inner] : [file.folder, basename(file.path).replace(/\.yml$/, ''), ...inner];

  let orbYml: unknown;
  try {
    orbYml = YAML.parse(await readFile(rootFile, 'utf8'));
  } catch {
    orbYml = undefined;
  }
  const display = isPlainObject(orbYml) && isPlainObject(orbYml.display) ? orbYml.display : {};
  const jobs = await findYml(root, 'jobs');
  const commands = await findYml(root, 'commands');
  const executors = await findYml(root, 'executors');
  const examples = await findYml(root, 'examples');

  // RC001: yq '.display.source_url' @orb.yml is not null.
  if (isPlainObject(orbYml) && isNull(display.source_url)) add('RC001', rootFile, ['display', 'source_url'], 'set display.source_url in @orb.yml (the repository of the orb source)');

  // RC002: every file of jobs, examples, commands, executors has a description (yq prints null, or "" only for the text "").
  for (const file of [...jobs, ...examples, ...commands, ...executors]) {
    const description = isPlainObject(file.content) ? file.content.description : undefined;
    if (isNull(description) || description === '""') {
      const name = basename(file.path).startsWith('@') ? relative(root, file.path) : basename(file.path).replace(/\.yml$/, '');
      add('RC002', file.path, orbPath(file, ['description']), `${file.folder.slice(0, -1)} "${name}" has no description; every component needs one (it is shown in the orb registry)`);
    }
  }

  // RC003: at least one examples/*.yml.
  const topExamples = (await readdir(join(root, 'examples')).catch(() => [] as string[])).filter((name) => name.endsWith('.yml') && !name.startsWith('.'));
  if (topExamples.length < 1) add('RC003', rootFile, ['examples'], 'the orb has no usage example; add one under examples/ for each use case');

  // RC004 is a no-op upstream; example-name is what it means.
  for (const file of examples) {
    if (/example/.test(basename(file.path))) {
      add('example-name', file.path, orbPath(file, []), `example file name "${basename(file.path)}" contains "example"; name it after its use case (for example authorize_before_deploy)`);
    }
  }

  // RC005: ${#description} of @orb.yml (trailing newlines stripped) is at least 64.
  const orbDescription = yqText(isPlainObject(orbYml) ? orbYml.description : undefined);
  if ([...orbDescription].length < 64) {
    add('RC005', rootFile, ['description'], `the orb description is ${[...orbDescription].length} characters; write at least 64 that say what the orb is for (it is used by the registry search)`);
  }

  // RC006/RC007: the URLs answer 200 (network); offline, url-syntax.
  for (const [rule, key] of [['RC006', 'source_url'], ['RC007', 'home_url']] as const) {
    const url = display[key];
    if (isNull(url)) continue;
    if (!isValidUrl(url)) add('url-syntax', rootFile, ['display', key], `${key} "${String(url)}" is not a valid http(s) URL`);
    if (options.urlStatus !== undefined) {
      const status = await options.urlStatus(String(url)).catch(() => 0);
      if (status !== 200) add(rule, rootFile, ['display', key], `${key} "${String(url)}" is not reachable (HTTP ${status === 0 ? 'no answer' : status}, expected 200)`);
    }
  }

  // RC008/RC009: every "run" in jobs/ and commands/ files.
  for (const file of [...jobs, ...commands]) {
    const found: Array<{ value: unknown; path: OrbPath }> = [];
    runPaths(file.content, [], found);
    for (const { value, path } of found) {
      const at = orbPath(file, path);
      if (typeof value === 'string') {
        add('RC008', file.path, at, 'run step uses the string form; write it as a map with a name and a command');
        add('RC009', file.path, at, 'run step uses the string form; write it as a map whose command is <<include(scripts/<file>.sh)>>');
        continue;
      }
      if (!isPlainObject(value)) continue;
      if (isNull(value.name) || value.name === '""') add('RC008', file.path, at, 'run step has no name; add one so the step reads well in the CircleCI UI');
      const command = yqText(value.command);
      if ([...command].length > maxCommandLength && !command.includes('<<include')) {
        add('RC009', file.path, [...at, 'command'], `inline command is ${[...command].length} characters (more than ${maxCommandLength}); move it to scripts/ and use <<include(scripts/<file>.sh)>>`);
      }
    }
  }

  // RC010: snake_case file names and parameter names in jobs/, commands/, executors/.
  for (const file of [...jobs, ...commands, ...executors]) {
    const name = basename(file.path);
    if (name.includes('-')) add('RC010', file.path, orbPath(file, []), `file name "${name}" is not snake_case; rename it with underscores`);
    const parameters = isPlainObject(file.content) && isPlainObject(file.content.parameters) ? file.content.parameters : {};
    for (const parameter of Object.keys(parameters)) {
      if (parameter.includes('-')) add('RC010', file.path, orbPath(file, ['parameters', parameter]), `parameter "${parameter}" is not snake_case; rename it with underscores`);
    }
  }

  // RC011: with the orb name and a vX.Y.Z tag, every example imports the orb at the tag's major.
  const tag = options.releaseTag;
  if (options.orbName !== undefined && options.orbName !== '' && tag !== undefined && /^v[0-9]+\.[0-9]+\.[0-9]+$/.test(tag)) {
    const major = tag.slice(1).split('.')[0];
    for (const file of examples) {
      const usage = isPlainObject(file.content) && isPlainObject(file.content.usage) ? file.content.usage : {};
      const orbs = isPlainObject(usage.orbs) ? usage.orbs : {};
      const ref = yqText(orbs[options.orbName]);
      const version = ref.split('@')[1] ?? ref;
      const name = basename(file.path).replace(/\.yml$/, '');
      const at = orbPath(file, ['usage', 'orbs', options.orbName]);
      if (isNull(orbs[options.orbName])) add('RC011', file.path, at, `example "${name}" does not import the orb as "${options.orbName}"`);
      else if (version.split('.')[0] !== major) add('RC011', file.path, at, `example "${name}" uses ${ref}, but the release ${tag} is major version ${major}; update the example to @${major}.x`);
    }
  }

  // RC012: a parameter whose default holds a $ (not at its end) is named in a value whose path ends in "key".
  for (const file of [...jobs, ...commands, ...executors]) {
    const parameters = isPlainObject(file.content) && isPlainObject(file.content.parameters) ? file.content.parameters : {};
    for (const [parameter, spec] of Object.entries(parameters)) {
      const fallback = yqText(isPlainObject(spec) ? spec.default : undefined);
      if (!fallback.includes('$') || fallback.endsWith('$')) continue;
      const found: Array<{ value: string; path: OrbPath }> = [];
      strings(file.content, [], found);
      for (const { value, path } of found) {
        if (value.includes(parameter) && path.join('.').endsWith('key')) {
          add('RC012', file.path, orbPath(file, path), `parameter "${parameter}" defaults to "${fallback}", which is not expanded in ${String(path.at(-1))}: (environment variables are not expanded at compile time); use a value without $`);
        }
      }
    }
  }
  return findings;
}
