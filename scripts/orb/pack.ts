/**
 * The orb packer: turns an orb source tree (`orb/src`) into one orb YAML document with the data
 * `circleci orb pack` produces (the CLI's `internal/pack`, as of 2026), so what the project
 * validates and tests is what CircleCI publishes. The facts it follows are recorded as golden
 * outputs of CircleCI's own pack code in test/fixtures/orb/pack/ (scripts/orb/record-pack-goldens.sh):
 *
 * - Files at the root (`@orb.yml` and any other `*.yml`/`*.yaml`) merge, shallowly, into the top level.
 * - Every root folder with YAML becomes a top-level key (no allow-list; `scripts/` without YAML adds
 *   nothing); its files become `<folder>.<name>`; deeper folders are flattened into their root
 *   folder (`commands/aws/login.yml` is `commands.login`), two files claiming one name are an error;
 *   an `@*.yml` file merges at its folder's level. A folder and `@orb.yml` both holding `commands`
 *   merge (the folder wins per name). Dotfiles, dot-folders and other files are skipped.
 * - An empty or comment-only file is `{}`; any other non-map file is an error.
 * - Plain scalars resolve as yaml.v3 does, then unquoted yes/no/on/off (any of three casings) become
 *   booleans, as CircleCI's config compiler reads them (`010` is 8, `1_000` is 1000, `y` stays a string).
 * - An anchor defined in one file can be aliased from another; merge keys (`<<: *x`) apply.
 * - `<< include(path) >>` is resolved in `commands`, `executors` and `jobs` only, anywhere in a
 *   string value, any number of times, relative to the root; every `<<` of the included text
 *   becomes `\<<`.
 * - Output keys are sorted at every depth in yaml.v3's natural order (`STEP9` before `STEP10`),
 *   4-space indent. Layout may differ from CircleCI's bytes; the data does not.
 *
 * Stricter opinions (what the 0.1.x CLI refused or skipped) are not refusals here: they are
 * reported as notes the validator turns into findings.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative as relativePath } from 'node:path';
import YAML, { isAlias, isMap, isScalar, isSeq, LineCounter, Scalar, YAMLMap, YAMLSeq, type Node as YamlNode } from 'yaml';
import { isPlainObject, type OrbPath } from './tree.js';

/** The folders of CircleCI's orb layout (the 0.1.x CLI read only these). */
export const COMPONENT_FOLDERS = ['commands', 'executors', 'jobs', 'examples'] as const;

/** The top-level keys an orb may have (the 0.1.x CLI kept only these, in this order). */
export const ORB_TOP_LEVEL_KEYS = ['version', 'description', 'display', 'orbs', 'commands', 'executors', 'jobs', 'examples'] as const;

/** The keys an example's `usage` may have (the 0.1.x CLI dropped the others). */
export const EXAMPLE_USAGE_KEYS = ['version', 'setup', 'orbs', 'jobs', 'workflows'] as const;

/** The placeholder the packer replaces with the package version (the CLI `install` pins). */
export const VERSION_PLACEHOLDER = '@APPLINK_JWT_VERSION@';

// Pack's pattern: whitespace allowed inside the guillemets, closing parenthesis optional.
const INCLUDE_PATTERN = /<<[\s]*include\(([-\w/.]+)\)?[\s]*>>/g;

/** Pack failed; the message is the one CircleCI's pack gives (after `Could not pack "<dir>": `). */
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

/** Something in the source that CircleCI packs but that this project reports (see the validator). */
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
  /** The merged tree. */
  tree: Record<string, unknown>;
  /** Component path (`commands.authorize`, or a root key) to the file it came from. */
  sources: Record<string, string>;
  /** What the 0.1.x CLI skipped or refused and CircleCI's current pack accepts (nested folders, ...). */
  ignored: SourceNote[];
  /** Unquoted YAML 1.1 booleans (`yes`, `off`, ...): booleans for CircleCI, strings for YAML 1.2 readers. */
  ambiguousBooleans: SourceNote[];
}

/** The packed orb. */
export interface PackedOrb {
  /** The orb document (keys in pack's order). */
  orb: Record<string, unknown>;
  /** The document as YAML (4-space indent, YAML 1.1-safe quoting). */
  yaml: string;
  source: OrbSource;
  /** Includes the 0.1.x CLI refused (several in a value, or text around one) or left as text (outside commands, executors, jobs). */
  includes: SourceNote[];
}

// ---------------------------------------------------------------------------------------------
// Scalars, as yaml.v3 resolves them (then pack's YAML 1.1 booleans)

const YAML11_BOOLEANS: Record<string, boolean> = {
  yes: true, Yes: true, YES: true, on: true, On: true, ON: true,
  no: false, No: false, NO: false, off: false, Off: false, OFF: false,
};
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const GO_INT = /^[+-]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})|[ ](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?)?$/;

function goInt(text: string): number | undefined {
  if (!GO_INT.test(text)) return undefined;
  const negative = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');
  let value: number;
  if (/^0[xX]/.test(digits)) value = parseInt(digits.slice(2), 16);
  else if (/^0[oO]/.test(digits)) value = parseInt(digits.slice(2), 8);
  else if (/^0[bB]/.test(digits)) value = parseInt(digits.slice(2), 2);
  else if (digits.length > 1 && digits.startsWith('0')) value = parseInt(digits.slice(1), 8);
  else value = parseInt(digits, 10);
  return negative ? -value || 0 : value;
}

function timestamp(text: string): Date | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = match[9] ?? '0', mi = match[10] ?? '0', s = match[11] ?? '0', fraction = match[12] ?? '', zone = 'Z'] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Math.floor(Number(`0${fraction || '.0'}`) * 1000));
  const date = new Date(ms);
  if (date.getUTCDate() !== Number(d) || date.getUTCMonth() !== Number(mo) - 1) return undefined;
  if (zone === 'Z') return date;
  const offset = (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return new Date(ms - offset * 60_000);
}

/** What yaml.v3 makes of a plain (unquoted, untagged) scalar. */
export function resolvePlainScalar(text: string): unknown {
  if (NULLS.has(text)) return null;
  if (text === 'true' || text === 'True' || text === 'TRUE') return true;
  if (text === 'false' || text === 'False' || text === 'FALSE') return false;
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(text)) return NaN;
  const first = text[0]!;
  if (first === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? Number(text) : text;
  if (!/[0-9+-]/.test(first)) return text;
  if (/[0-9]/.test(first)) {
    const date = timestamp(text);
    if (date) return date;
  }
  const plain = text.replaceAll('_', '');
  const integer = goInt(plain);
  if (integer !== undefined) return integer;
  if (YAML_STYLE_FLOAT.test(plain)) return Number(plain);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Reading files

function goTypeName(value: unknown): string {
  // The names Go's %T prints for what yaml.v3 decodes, so the message matches CircleCI's.
  if (Array.isArray(value)) return '[]interface {}';
  if (value instanceof Date) return 'time.Time';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  return typeof value;
}

const quote = (text: string) => JSON.stringify(text);
const isYamlName = (name: string) => /.+\.(yml|yaml)$/.test(name);
const isSpecialName = (name: string) => /^@.+\.(yml|yaml)$/.test(name);
const nameWithoutExt = (name: string) => name.slice(0, name.length - extname(name).length);

/** Anchored nodes of every YAML file under the root (later files win), for aliases across files. */
type Anchors = Map<string, YamlNode>;

function containsAlias(node: unknown): boolean {
  let found = false;
  YAML.visit(node as YamlNode, { Alias: () => { found = true; return YAML.visit.BREAK; } });
  return found;
}

async function collectAnchors(root: string): Promise<Anchors> {
  const anchors: Anchors = new Map();
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (isYamlName(entry.name)) {
        const document = YAML.parseDocument(await readFile(path, 'utf8'), { version: '1.1', merge: true, prettyErrors: false });
        YAML.visit(document, {
          Node(_key, node) {
            if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor && !containsAlias(node)) anchors.set(node.anchor, node);
          },
        });
      }
    }
  };
  await walk(root);
  return anchors;
}

interface ParsedFile {
  value: unknown;
  ambiguous: SourceNote[];
}

function duplicateKey(document: YAML.Document, lines: LineCounter, file: string): string | undefined {
  let message: string | undefined;
  YAML.visit(document, {
    Map(_key, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const source = (pair.key as { source?: unknown }).source;
        const key = pair.key.type === 'PLAIN' && typeof source === 'string' ? String(resolvePlainScalar(source)) : String(pair.key.value);
        const line = lines.linePos(pair.key.range?.[0] ?? 0).line;
        const first = seen.get(key);
        if (first !== undefined) {
          message = `${file}:${line}: mapping key ${quote(key)} already defined at line ${first}`;
          return YAML.visit.BREAK;
        }
        seen.set(key, line);
      }
      return undefined;
    },
  });
  return message;
}

/** Parses one file as pack does: yaml.v3 scalars, YAML 1.1 booleans, merge keys, aliases to anchors of other files. */
async function parseYamlFile(text: string, file: string, anchors: () => Promise<Anchors>): Promise<ParsedFile> {
  const lines = new LineCounter();
  const document = YAML.parseDocument(text, { version: '1.1', merge: true, uniqueKeys: false, prettyErrors: false, lineCounter: lines });
  const fatal = document.errors[0];
  if (fatal) throw new OrbPackError(`${file}: ${fatal.message}`, `Fix the YAML syntax in ${file}.`);
  const duplicate = duplicateKey(document, lines, file);
  if (duplicate) throw new OrbPackError(duplicate, `Remove one of the two keys in ${file}.`);
  const ambiguous: SourceNote[] = [];
  const resolveNode = (node: unknown, path: OrbPath, isKey: boolean): void => {
    if (!isScalar(node) || node.type !== 'PLAIN' || node.tag !== undefined && !node.tag.startsWith('tag:yaml.org,2002:')) return;
    const source = (node as Scalar & { source?: string }).source;
    if (typeof source !== 'string' || source === '<<') return;
    if (node.tag !== undefined && (node as { explicitTag?: boolean }).explicitTag) return;
    if (!isKey && source in YAML11_BOOLEANS) {
      ambiguous.push({ file, path, message: `unquoted "${source}" is a boolean for CircleCI (YAML 1.1) but a string in YAML 1.2; write ${YAML11_BOOLEANS[source]}, or quote it` });
      node.value = YAML11_BOOLEANS[source];
    } else {
      node.value = resolvePlainScalar(source);
    }
  };
  const visit = (node: unknown, path: OrbPath): void => {
    if (isScalar(node)) resolveNode(node, path, false);
    else if (isMap(node)) {
      for (const pair of node.items) {
        resolveNode(pair.key, path, true);
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) node.items.forEach((item, index) => visit(item, [...path, index]));
  };
  const local = new Set<string>();
  const foreign: string[] = [];
  YAML.visit(document, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (!local.has(node.source)) foreign.push(node.source);
      } else if ((node as { anchor?: string }).anchor) local.add((node as { anchor: string }).anchor);
    },
  });
  if (foreign.length > 0) {
    // An alias to an anchor another file defines: replace it with (a copy of) that node.
    const known = await anchors();
    const missing = foreign.find((name) => !known.has(name));
    if (missing !== undefined) throw new OrbPackError(`${file}: unknown anchor '${missing}' referenced`, `Define &${missing} in one of the orb's YAML files, or fix the alias.`);
    YAML.visit(document, {
      Alias(_key, alias) {
        return local.has(alias.source) ? undefined : (known.get(alias.source)!.clone() as YamlNode);
      },
    });
  }
  visit(document.contents, []);
  return { value: document.toJS({ maxAliasCount: 10000 }), ambiguous };
}

function mergeMaps(...maps: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const map of maps) if (isPlainObject(map)) Object.assign(out, map);
  return out;
}

/**
 * Reads the orb source the way CircleCI's pack walks it (see the module doc). `sources` maps each
 * component to its file; `ignored` lists what the 0.1.x CLI would have skipped.
 */
export async function readOrbSource(root: string): Promise<OrbSource> {
  const sources: Record<string, string> = {};
  const ignored: SourceNote[] = [];
  const ambiguousBooleans: SourceNote[] = [];
  let anchorCache: Promise<Anchors> | undefined;
  const anchors = () => (anchorCache ??= collectAnchors(root));

  const readMap = async (file: string, prefix: OrbPath): Promise<Record<string, unknown>> => {
    const { value, ambiguous } = await parseYamlFile(await readFile(file, 'utf8'), file, anchors);
    if (value === null || value === undefined) return {};
    if (!isPlainObject(value)) {
      throw new OrbPackError(
        `${quote(file)} must have a YAML map at the root, got ${goTypeName(value)}`,
        'Every YAML file in the orb source must hold a mapping (for a command: description, parameters, steps).',
      );
    }
    for (const note of ambiguous) ambiguousBooleans.push({ ...note, path: [...prefix, ...note.path] });
    return value;
  };

  const packDir = async (dir: string, depth: number, section: string): Promise<Record<string, unknown>> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    let subtree: Record<string, unknown> = {};
    const dirBasename = nameWithoutExt(basename(dir));
    const origins = new Map<string, string>();
    const nested: Array<{ path: string; content: Record<string, unknown> }> = [];
    for (const entry of entries) {
      const name = entry.name;
      const full = join(dir, name);
      if (name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        const child = await packDir(full, depth + 1, depth === 0 ? name : section);
        if (depth === 0) {
          const merged = mergeMaps(subtree[name], child);
          if (Object.keys(merged).length > 0) subtree[name] = merged;
        } else {
          nested.push({ path: full, content: child });
          if (Object.keys(child).length > 0) {
            ignored.push({ file: full, path: [section], message: `nested folder ${relativePath(root, full)}/ is flattened into ${section} by circleci orb pack; the 0.1.x CLI skips it: move its files up into ${section}/` });
          }
        }
        continue;
      }
      if (!isYamlName(name)) continue;
      const prefix: OrbPath = depth === 0 ? [] : isSpecialName(name) ? [section] : [section, nameWithoutExt(name)];
      const content = await readMap(full, prefix);
      if (depth === 0) {
        for (const key of Object.keys(content)) sources[key] = full;
        subtree = mergeMaps(subtree, content);
      } else if (isSpecialName(name)) {
        for (const key of Object.keys(content)) sources[`${section}.${key}`] = full;
        subtree = mergeMaps(subtree, subtree[dirBasename], content);
      } else {
        const key = nameWithoutExt(name);
        sources[`${section}.${key}`] = full;
        subtree[key] = mergeMaps(subtree[key], content);
        origins.set(key, full);
      }
    }
    for (const { path, content } of nested) {
      for (const key of Object.keys(content)) {
        const from = origins.get(key);
        const claimed = join(path, `${key}.yml`);
        if (from !== undefined) {
          throw new OrbPackError(
            `${quote(from)} and ${quote(claimed)} both define ${quote(key)}; two files that pack into the same section cannot share a name`,
            `Rename one of the two files: pack flattens nested folders, so every ${section} needs its own name.`,
          );
        }
        origins.set(key, claimed);
      }
      subtree = mergeMaps(subtree, content);
    }
    return subtree;
  };

  const info = await stat(root).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new OrbPackError(`accessing ${quote(root)}: no such ${info === undefined ? 'file or directory' : 'directory'}`, 'Give the folder that holds the orb source (@orb.yml, commands/, jobs/, ...).');
  }
  const tree = await packDir(root, 0, '');
  return { root, tree, sources, ignored, ambiguousBooleans };
}

// ---------------------------------------------------------------------------------------------
// Includes, version, output

async function resolveIncludes(value: unknown, root: string, path: OrbPath, notes: SourceNote[], file: (path: OrbPath) => string): Promise<unknown> {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [index, item] of value.entries()) out.push(await resolveIncludes(item, root, [...path, index], notes, file));
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = await resolveIncludes(child, root, [...path, key], notes, file);
    return out;
  }
  if (typeof value !== 'string') return value;
  const matches = [...value.matchAll(INCLUDE_PATTERN)];
  if (matches.length === 0) return value;
  if (matches.length > 1 || matches[0]![0] !== value) {
    notes.push({
      file: file(path),
      path,
      message: matches.length > 1
        ? 'several <<include()>> in one value: circleci orb pack inlines each, the 0.1.x CLI refuses ("multiple include statements")'
        : 'text around an <<include()>>: circleci orb pack inlines it in place, the 0.1.x CLI refuses ("entire string must be include statement")',
    });
  }
  let out = '';
  let last = 0;
  for (const match of matches) {
    out += value.slice(last, match.index);
    const included = join(root, match[1]!);
    let text: string;
    try {
      text = await readFile(included, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message;
      throw new OrbPackError(`could not read included file ${quote(included)}: open ${included}: ${reason}`, `Create ${included}, or fix the path: it is relative to the folder that holds @orb.yml.`);
    }
    // In CircleCI config `\<<` is a literal `<<`: heredocs and `<<parameters.x>>` in scripts stay text.
    out += text.replaceAll('<<', '\\<<');
    last = match.index + match[0].length;
  }
  return out + value.slice(last);
}

function findUnresolvedIncludes(value: unknown, path: OrbPath, found: OrbPath[]): void {
  if (Array.isArray(value)) value.forEach((item, index) => findUnresolvedIncludes(item, [...path, index], found));
  else if (isPlainObject(value)) for (const [key, child] of Object.entries(value)) findUnresolvedIncludes(child, [...path, key], found);
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

/**
 * yaml.v3's map key order: at the first differing character two letters compare by code point;
 * a letter against a non-letter puts the non-letter first unless a digit preceded; otherwise the
 * digit runs there compare as numbers. A prefix sorts first.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return keyLess([...a], [...b]) ? -1 : 1;
}

const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string | undefined) => c !== undefined && /\p{Nd}/u.test(c);

function keyLess(ar: string[], br: string[]): boolean {
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) {
      digits = isDigit(ar[i]);
      continue;
    }
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
    if (al || bl) return digits ? al : bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
  }
  return ar.length < br.length;
}

/** The data with every map's keys in yaml.v3's order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value) || value instanceof Date) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareKeys)) sorted[key] = sortKeys(value[key]);
  return sorted;
}

/** True when a YAML reader (yaml.v3, YAML 1.1 or 1.2) could read the plain text as something other than this string. */
function needsQuotes(text: string): boolean {
  if (typeof resolvePlainScalar(text) !== 'string' || text in YAML11_BOOLEANS) return true;
  if (/^(y|Y|n|N)$/.test(text)) return true;
  try {
    return typeof YAML.parse(text, { version: '1.1' }) !== 'string' || typeof YAML.parse(text) !== 'string';
  } catch {
    return true;
  }
}

function toNode(document: YAML.Document, value: unknown): unknown {
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of value) seq.items.push(toNode(document, item));
    return seq;
  }
  if (isPlainObject(value)) {
    const map = new YAMLMap();
    // Object.keys puts integer-like keys first; pack's order is yaml.v3's, so sort here.
    for (const key of Object.keys(value).sort(compareKeys)) map.items.push(document.createPair(toNode(document, key), toNode(document, value[key])));
    return map;
  }
  const scalar = document.createNode(value) as Scalar;
  if (typeof value === 'string' && !value.includes('\n') && needsQuotes(value)) scalar.type = 'QUOTE_DOUBLE';
  return scalar;
}

/** Renders a packed orb (or any CircleCI document) as YAML: pack's key order, 4-space indent, YAML 1.1-safe. */
export function stringifyOrb(orb: unknown): string {
  const document = new YAML.Document(null, { version: '1.1' });
  document.contents = toNode(document, orb) as YamlNode;
  return document.toString({ indent: 4, lineWidth: 0, minContentWidth: 0 });
}

/**
 * Packs the orb whose root is `root` with the data `circleci orb pack` gives (see the module doc).
 * `options.version` replaces {@link VERSION_PLACEHOLDER} everywhere (the CLI version `install` pins).
 */
export async function packOrb(root: string, options: { version?: string } = {}): Promise<PackedOrb> {
  const source = await readOrbSource(root);
  const { tree } = source;
  const includes: SourceNote[] = [];
  const fileOf = (path: OrbPath) => source.sources[path.slice(0, 2).join('.')] ?? source.sources[String(path[0])] ?? join(root, '@orb.yml');
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (key === 'commands' || key === 'executors' || key === 'jobs') {
      resolved[key] = await resolveIncludes(value, root, [key], includes, fileOf);
    } else {
      resolved[key] = value;
      const unresolved: OrbPath[] = [];
      findUnresolvedIncludes(value, [key], unresolved);
      for (const path of unresolved) {
        includes.push({ file: fileOf(path), path, message: '<<include()>> is left as text here: pack resolves includes only in commands, executors and jobs' });
      }
    }
  }
  const sorted = sortKeys(resolved) as Record<string, unknown>;
  const orb = options.version === undefined ? sorted : (replaceVersion(sorted, options.version) as Record<string, unknown>);
  return { orb, yaml: stringifyOrb(orb), source, includes };
}
