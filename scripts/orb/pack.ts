/**
 * The orb packer: turns the orb source tree (`orb/src`) into one orb YAML document with the strict
 * semantics of `circleci orb pack` 0.1.x, so the result is the same with either CircleCI CLI.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import YAML, { isScalar, isMap, isSeq, type Node as YamlNode } from 'yaml';
import { isPlainObject, type OrbPath } from './tree.js';

/** The folders `circleci orb pack` 0.1.x reads; everything else under the root is skipped. */
export const COMPONENT_FOLDERS = ['commands', 'executors', 'jobs', 'examples'] as const;

/** The top-level keys pack keeps, in the order it writes them. */
export const ORB_TOP_LEVEL_KEYS = ['version', 'description', 'display', 'orbs', 'commands', 'executors', 'jobs', 'examples'] as const;

/** The keys pack keeps in an example, and in an example's `usage`. */
export const EXAMPLE_KEYS = ['description', 'usage', 'result'] as const;
export const EXAMPLE_USAGE_KEYS = ['version', 'setup', 'orbs', 'jobs', 'workflows'] as const;

/** The placeholder the packer replaces with the package version (the CLI `install` pins). */
export const VERSION_PLACEHOLDER = '@APPLINK_JWT_VERSION@';

// Pack's own pattern (circleci-cli v0 process.go): whitespace allowed, closing parenthesis optional.
const INCLUDE_PATTERN = /<<[\s]*include\(([-\w/.]+)\)?[\s]*>>/g;

/** Pack failed; the message is the one `circleci orb pack` prints, prefixed with the file. */
export class OrbPackError extends Error {
  readonly code = 'ERR_ORB_PACK';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'OrbPackError';
  }
}

/** A place in the source that pack skips or reinterprets, reported so the validator can flag it. */
export interface SourceNote {
  /** Source file (or folder), as `<root>/<relative path>`. */
  file: string;
  path: OrbPath;
  message: string;
}

/** The orb source as pack reads it: files merged into one tree, includes not yet resolved. */
export interface OrbSource {
  /** The orb root as given (the folder holding `@orb.yml`). */
  root: string;
  /** The merged tree, keys as written (before pack's re-shaping). */
  tree: Record<string, unknown>;
  /** Component path (`commands.authorize`, or `` for root keys) to the file it came from. */
  sources: Record<string, string>;
  /** Folders and files pack ignores (nested folders, YAML outside the component folders). */
  ignored: SourceNote[];
  /** Unquoted YAML 1.1 booleans (`yes`, `off`, ...) that CircleCI reads as booleans and we as strings. */
  ambiguousBooleans: SourceNote[];
}

/** The packed orb. */
export interface PackedOrb {
  /** The orb document in pack's shape (fixed top-level order, components sorted). */
  orb: Record<string, unknown>;
  /** The document as YAML (4-space indent, YAML 1.1-safe quoting). */
  yaml: string;
  source: OrbSource;
  /** Keys pack drops silently (unknown top-level keys, extra example/usage keys). */
  dropped: SourceNote[];
}

function goTypeName(value: unknown): string {
  // The names Go's %T prints for what yaml.v3 decodes, so the message matches the real CLI.
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return '[]interface {}';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  return typeof value;
}

const YAML_11_BOOLEAN = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

function parseYamlFile(text: string, file: string): { value: unknown; ambiguous: SourceNote[] } {
  const document = YAML.parseDocument(text, { prettyErrors: false });
  if (document.errors.length > 0) {
    throw new OrbPackError(`${file}: ${document.errors[0]!.message}`, `Fix the YAML syntax in ${file}.`);
  }
  const ambiguous: SourceNote[] = [];
  const visit = (node: unknown, path: OrbPath): void => {
    if (isScalar(node)) {
      if (node.type === 'PLAIN' && typeof node.value === 'string' && /^(yes|no|on|off)$/i.test(node.value) && YAML_11_BOOLEAN.test(node.value)) {
        ambiguous.push({ file, path, message: `unquoted "${node.value}" is a boolean for CircleCI (YAML 1.1) but a string in YAML 1.2; write true/false, or quote it` });
      }
    } else if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    }
  };
  visit(document.contents as YamlNode | null, []);
  return { value: document.toJS({ maxAliasCount: 1000 }), ambiguous };
}

async function readMap(root: string, relative: string, ambiguous: SourceNote[], prefix: OrbPath): Promise<Record<string, unknown>> {
  const file = join(root, relative);
  const { value, ambiguous: found } = parseYamlFile(await readFile(file, 'utf8'), file);
  if (!isPlainObject(value)) {
    throw new OrbPackError(
      `${file}: expected a map, got a \`${goTypeName(value)}\``,
      `Every YAML file in the orb source must hold a mapping (for a command: description, parameters, steps).`,
    );
  }
  for (const note of found) ambiguous.push({ ...note, path: [...prefix, ...note.path] });
  return value;
}

const isYamlFile = (name: string) => /\.(yml|yaml)$/.test(name);

/**
 * Reads the orb source the way `circleci orb pack` 0.1.x walks it: `@orb.yml` (and any other YAML
 * file in the root) merged into the top level; in `commands/`, `executors/`, `jobs/` and
 * `examples/`, each `<name>.yml` becomes `<folder>.<name>` and an `@*.yml` file is merged into the
 * folder. Other folders, nested folders and dotfiles are skipped (and reported in `ignored`).
 */
export async function readOrbSource(root: string): Promise<OrbSource> {
  const hasRoot = await stat(join(root, '@orb.yml')).then((s) => s.isFile(), () => false);
  if (!hasRoot) {
    throw new OrbPackError(
      '@orb.yml file not found, are you sure this is the Orb root?',
      `Point the packer at the folder that holds @orb.yml (here: ${root}).`,
    );
  }
  const tree: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const ignored: SourceNote[] = [];
  const ambiguousBooleans: SourceNote[] = [];
  const entries = (await readdir(root, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));

  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isFile() && isYamlFile(entry.name)) {
      const map = await readMap(root, entry.name, ambiguousBooleans, []);
      for (const key of Object.keys(map)) sources[key] = join(root, entry.name);
      Object.assign(tree, map);
    } else if (entry.isDirectory()) {
      const folder = entry.name;
      if (!(COMPONENT_FOLDERS as readonly string[]).includes(folder)) {
        const files = await readdir(join(root, folder), { recursive: true }).catch(() => [] as string[]);
        for (const file of files.filter((name) => isYamlFile(String(name)))) {
          ignored.push({ file: join(root, folder, String(file)), path: [], message: `YAML outside commands/, executors/, jobs/ and examples/ is not packed` });
        }
        continue;
      }
      // Pack merges shallowly: the folder replaces a key of the same name from @orb.yml.
      if (tree[folder] !== undefined) {
        ignored.push({ file: sources[folder] ?? join(root, '@orb.yml'), path: [folder], message: `"${folder}" in the root file is replaced by the ${folder}/ folder; move those components into ${folder}/` });
      }
      const components: Record<string, unknown> = {};
      const children = (await readdir(join(root, folder), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const child of children) {
        if (child.name.startsWith('.')) continue;
        const relative = join(folder, child.name);
        if (child.isDirectory()) {
          ignored.push({ file: join(root, relative), path: [folder], message: `nested folder ${relative}/ is skipped by circleci orb pack 0.1.x; move its files up into ${folder}/` });
          continue;
        }
        if (!child.isFile() || !isYamlFile(child.name)) continue;
        if (child.name.startsWith('@')) {
          const map = await readMap(root, relative, ambiguousBooleans, [folder]);
          for (const key of Object.keys(map)) sources[`${folder}.${key}`] = join(root, relative);
          Object.assign(components, map);
        } else {
          const name = child.name.replace(/\.(yml|yaml)$/, '');
          components[name] = await readMap(root, relative, ambiguousBooleans, [folder, name]);
          sources[`${folder}.${name}`] = join(root, relative);
        }
      }
      tree[folder] = components;
    }
  }
  return { root, tree, sources, ignored, ambiguousBooleans };
}

/** Sorts map keys at every depth, as yaml.v3 does when pack marshals its intermediate map. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
  return sorted;
}

async function resolveIncludes(value: unknown, root: string, path: OrbPath): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((item, index) => resolveIncludes(item, root, [...path, index])));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = await resolveIncludes(child, root, [...path, key]);
    return out;
  }
  if (typeof value !== 'string' || value === '') return value;
  const matches = [...value.matchAll(INCLUDE_PATTERN)].slice(0, 2);
  if (matches.length > 1) {
    throw new OrbPackError(`multiple include statements: '${value}'`, 'Use one <<include(file)>> per value: split the step, or join the scripts into one file.');
  }
  if (matches.length === 0) return value;
  const [whole, relative] = [matches[0]![0], matches[0]![1]];
  if (whole !== value) {
    throw new OrbPackError(
      `entire string must be include statement: '${value}'`,
      'An <<include(file)>> must be the whole value (for example `command: <<include(scripts/x.sh)>>`); move the surrounding text into the included file.',
    );
  }
  const file = join(root, relative ?? '');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new OrbPackError(`could not open ${file} for inclusion`, `Create ${file}, or fix the path: it is relative to the folder that holds @orb.yml.`);
  }
  // In CircleCI config `\<<` is a literal `<<`: heredocs and `<<parameters.x>>` in scripts stay text.
  return text.replaceAll('<<', '\\<<');
}

function findMisplacedIncludes(value: unknown, path: OrbPath, found: OrbPath[]): void {
  if (Array.isArray(value)) value.forEach((item, index) => findMisplacedIncludes(item, [...path, index], found));
  else if (isPlainObject(value)) for (const [key, child] of Object.entries(value)) findMisplacedIncludes(child, [...path, key], found);
  else if (typeof value === 'string' && new RegExp(INCLUDE_PATTERN.source).test(value)) found.push(path);
}

function replaceVersion(value: unknown, version: string): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceVersion(item, version));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = replaceVersion(child, version);
    return out;
  }
  return typeof value === 'string' ? value.replaceAll(VERSION_PLACEHOLDER, version) : value;
}

function sourceOf(source: OrbSource, path: OrbPath): string {
  const component = path.slice(0, 2).join('.');
  return source.sources[component] ?? source.sources[String(path[0])] ?? join(source.root, '@orb.yml');
}

/** Renders a packed orb (or any CircleCI document) as YAML the way pack prints it. */
export function stringifyOrb(orb: unknown): string {
  // version 1.1 quoting: a string such as "yes" or "010" is quoted so CircleCI (YAML 1.1) keeps it a string.
  return `${YAML.stringify(orb, { indent: 4, lineWidth: 0, minContentWidth: 0, version: '1.1' })}\n`;
}

/**
 * Packs the orb whose root (the folder holding `@orb.yml`) is `root`: the semantics of
 * `circleci orb pack` 0.1.x (see the module doc), with errors carrying its messages. An
 * `<<include()>>` outside commands, executors and jobs (which pack leaves as text) is an error here.
 * `options.version` replaces {@link VERSION_PLACEHOLDER} everywhere (the CLI version `install` pins).
 */
export async function packOrb(root: string, options: { version?: string } = {}): Promise<PackedOrb> {
  const source = await readOrbSource(root);
  const { tree } = source;
  const dropped: SourceNote[] = [];

  const misplaced: OrbPath[] = [];
  for (const [key, value] of Object.entries(tree)) {
    if (!['commands', 'executors', 'jobs'].includes(key)) findMisplacedIncludes(value, [key], misplaced);
  }
  if (misplaced.length > 0) {
    const path = misplaced[0]!;
    throw new OrbPackError(
      `${sourceOf(source, path)}: <<include()>> at ${path.join('.')} is not expanded: pack resolves includes only in commands, executors and jobs`,
      'Inline the text there, or move the step into a command and call it.',
    );
  }

  const orb: Record<string, unknown> = {};
  for (const key of ORB_TOP_LEVEL_KEYS) {
    if (tree[key] === undefined) continue;
    if (key === 'version') {
      const version = tree.version;
      orb.version = typeof version === 'string' && /^\d+(\.\d+)?$/.test(version) ? Number(version) : version;
    } else if (key === 'description') {
      orb.description = tree.description;
    } else if (key === 'examples') {
      orb.examples = reshapeExamples(tree.examples, source, dropped);
    } else if (key === 'commands' || key === 'executors' || key === 'jobs') {
      orb[key] = sortKeys(await resolveIncludes(tree[key], root, [key]));
    } else {
      orb[key] = sortKeys(tree[key]);
    }
  }
  for (const key of Object.keys(tree)) {
    if (!(ORB_TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
      dropped.push({ file: sourceOf(source, [key]), path: [key], message: `top-level key "${key}" is dropped by pack (kept: ${ORB_TOP_LEVEL_KEYS.join(', ')})` });
    }
  }
  const final = options.version === undefined ? orb : (replaceVersion(orb, options.version) as Record<string, unknown>);
  return { orb: final, yaml: stringifyOrb(final), source, dropped };
}

function reshapeExamples(examples: unknown, source: OrbSource, dropped: SourceNote[]): unknown {
  if (!isPlainObject(examples)) return examples;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(examples).sort()) {
    const example = examples[name];
    if (!isPlainObject(example)) {
      out[name] = example;
      continue;
    }
    const file = sourceOf(source, ['examples', name]);
    const shaped: Record<string, unknown> = {};
    for (const key of EXAMPLE_KEYS) {
      if (example[key] === undefined) continue;
      if (key === 'usage' && isPlainObject(example.usage)) {
        const usage: Record<string, unknown> = {};
        for (const usageKey of EXAMPLE_USAGE_KEYS) if (example.usage[usageKey] !== undefined) usage[usageKey] = sortKeys(example.usage[usageKey]);
        for (const usageKey of Object.keys(example.usage)) {
          if (!(EXAMPLE_USAGE_KEYS as readonly string[]).includes(usageKey)) {
            dropped.push({ file, path: ['examples', name, 'usage', usageKey], message: `usage key "${usageKey}" is dropped by pack (kept: ${EXAMPLE_USAGE_KEYS.join(', ')})` });
          }
        }
        shaped.usage = usage;
      } else {
        shaped[key] = sortKeys(example[key]);
      }
    }
    for (const key of Object.keys(example)) {
      if (!(EXAMPLE_KEYS as readonly string[]).includes(key)) {
        dropped.push({ file, path: ['examples', name, key], message: `example key "${key}" is dropped by pack (kept: ${EXAMPLE_KEYS.join(', ')})` });
      }
    }
    out[name] = shaped;
  }
  return out;
}
