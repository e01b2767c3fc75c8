/**
 * The offline orb validator: CircleCI's JSON schema, the semantic checks the schema misses, and
 * orb-tools' review rules, over the orb source (packed on the fly) and over CircleCI configs.
 */
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { formatFinding, type Finding } from './finding.js';
import { packOrb, OrbPackError, type PackedOrb } from './pack.js';
import { reviewOrb } from './review.js';
import { loadSchemaCheck, type SchemaCheck } from './schema.js';
import { checkConfigSemantics, checkOrbSemantics } from './semantic.js';
import { isPlainObject, type OrbPath } from './tree.js';
import { checkExternalOrbCalls, type OrbInterfaces } from './external-orbs.js';

export interface ValidateOptions {
  /** CircleCI's schema.json (third_party/circleci-config-schema/schema.json); a missing file is a finding. */
  schemaPath: string;
  /** Skip the schema layer on purpose (a note says so); without it a missing schema is a finding. */
  skipSchema?: boolean;
  /** The alias the orb's examples import it under (review RC011, example references). */
  orbName?: string;
  /** The release tag (`vX.Y.Z`) RC011 checks the examples against. */
  releaseTag?: string;
  /** Review rules to skip. */
  exclude?: readonly string[];
  /** The HTTP status of a GET of a URL; with it, review rules RC006/RC007 check display's URLs answer 200. */
  urlStatus?: (url: string) => Promise<number>;
  /** The version the packer injects (the CLI version `install` pins). */
  version?: string;
}

export interface ValidationReport {
  findings: Finding[];
  /** Facts about the run that are not findings (the schema file is absent, ...). */
  notes: string[];
}

const schemaCache = new Map<string, Promise<SchemaCheck | undefined>>();

function schemaFor(path: string): Promise<SchemaCheck | undefined> {
  let check = schemaCache.get(path);
  if (check === undefined) {
    check = loadSchemaCheck(path);
    schemaCache.set(path, check);
  }
  return check;
}

const SCHEMA_SKIPPED_NOTE = "CircleCI's schema was skipped on request (--skip-schema): only the semantic checks and review rules ran.";

/**
 * The schema layer's checker, or what to report instead: a note when it is skipped on purpose, a
 * finding when the file is missing (a layer that did not run must never read as "valid").
 */
async function schemaLayer(options: Pick<ValidateOptions, 'schemaPath' | 'skipSchema'>): Promise<{ check?: SchemaCheck; note?: string; finding?: Finding }> {
  if (options.skipSchema) return { note: SCHEMA_SKIPPED_NOTE };
  const check = await schemaFor(options.schemaPath);
  if (check !== undefined) return { check };
  return {
    finding: {
      rule: 'schema-missing',
      file: options.schemaPath,
      path: [],
      message: "CircleCI's schema was not found, so the schema checks could not run. Restore third_party/circleci-config-schema/schema.json (git checkout), or pass --skip-schema to run only the other layers",
    },
  };
}

/**
 * Validates the orb whose source root (the folder holding `@orb.yml`) is `root`: packs it, then
 * runs the three layers. A pack error is reported as a finding of rule `pack`.
 */
export async function validateOrbSource(root: string, options: ValidateOptions): Promise<ValidationReport & { packed?: PackedOrb }> {
  const notes: string[] = [];
  let packed: PackedOrb;
  try {
    packed = await packOrb(root, { version: options.version });
  } catch (error) {
    if (error instanceof OrbPackError) return { findings: [{ rule: 'pack', file: root, path: [], message: error.message }], notes };
    throw error;
  }
  const { orb, source } = packed;
  const locate = (path: OrbPath) => source.sources[path.slice(0, 2).join('.')] ?? source.sources[String(path[0])] ?? `${root}/@orb.yml`;
  const findings: Finding[] = [];

  const { check: schema, note, finding } = await schemaLayer(options);
  if (note !== undefined) notes.push(note);
  if (finding !== undefined) findings.push(finding);
  if (schema !== undefined) {
    findings.push(...schema(orb, (path) => ({ file: locate(path) })));
    if (isPlainObject(orb.examples)) {
      for (const [name, example] of Object.entries(orb.examples)) {
        if (isPlainObject(example) && isPlainObject(example.usage)) {
          const prefix = ['examples', name, 'usage'];
          findings.push(...schema(example.usage, () => ({ file: locate(prefix), prefix })));
        }
      }
    }
  }

  findings.push(...checkOrbSemantics(orb, { locate, orbName: options.orbName }));
  for (const note of packed.includes) findings.push({ rule: 'include-form', file: note.file, path: note.path, message: note.message });
  for (const note of source.ignored) findings.push({ rule: 'ignored-source', file: note.file, path: note.path, message: note.message });
  for (const note of source.ambiguousBooleans) findings.push({ rule: 'yaml-boolean', file: note.file, path: note.path, message: note.message });

  findings.push(...(await reviewOrb(source, { exclude: options.exclude, orbName: options.orbName, releaseTag: options.releaseTag, urlStatus: options.urlStatus })));
  return { findings, notes, packed };
}

/**
 * Validates a CircleCI config file (`.circleci/config.yml`): schema and semantic checks. Orbs in
 * `inlineOrbs` replace the config's import of the same alias first, as orb-tools' `continue`
 * injects the packed orb into `test-deploy.yml`, so references into them are checked too. With
 * `orbInterfaces`, every call into an external orb is checked against its recorded interface.
 */
export async function validateConfigFile(
  file: string,
  options: Pick<ValidateOptions, 'schemaPath' | 'skipSchema'> & { inlineOrbs?: Record<string, Record<string, unknown>>; orbInterfaces?: OrbInterfaces },
): Promise<ValidationReport> {
  const notes: string[] = [];
  const document = YAML.parseDocument(await readFile(file, 'utf8'), { prettyErrors: false });
  if (document.errors.length > 0) return { findings: [{ rule: 'yaml', file, path: [], message: document.errors[0]!.message }], notes };
  const config = document.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!isPlainObject(config)) return { findings: [{ rule: 'yaml', file, path: [], message: 'a CircleCI config must be a mapping' }], notes };
  const inlineOrbs = options.inlineOrbs ?? {};
  const orbs = isPlainObject(config.orbs) ? { ...config.orbs } : {};
  for (const [alias, orb] of Object.entries(inlineOrbs)) if (alias in orbs) orbs[alias] = orb;
  const injected = isPlainObject(config.orbs) ? { ...config, orbs } : config;

  const findings: Finding[] = [];
  const { check: schema, note, finding } = await schemaLayer(options);
  if (note !== undefined) notes.push(note);
  if (finding !== undefined) findings.push(finding);
  if (schema !== undefined) findings.push(...schema(injected, () => ({ file })));
  const known = Object.fromEntries(Object.entries(inlineOrbs).filter(([alias]) => alias in orbs));
  findings.push(...checkConfigSemantics(config, { locate: () => file, inlineOrbs: known }));
  if (options.orbInterfaces !== undefined) findings.push(...checkExternalOrbCalls(config, file, options.orbInterfaces));
  return { findings, notes };
}

/** The report as printed by `npm run orb:validate`: one line per finding, then the notes. */
export function formatReport(report: ValidationReport): string {
  const lines = report.findings.map(formatFinding);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
