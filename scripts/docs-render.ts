/**
 * Renders the generated parts of the documentation from the sources they describe, so they cannot
 * drift: the orb reference from the packed orb, the troubleshooting tables from the error
 * catalogues, and the option tables of the command reference from `createProgram`'s commander
 * definitions, and the JSON sections from the JSON Schemas (scripts/json-schemas.ts). Each part sits in a Markdown file between
 * `<!-- generated:<name>:start -->` and `<!-- generated:<name>:end -->`; `npm run docs` rewrites
 * them (scripts/docs-update.ts) and test/docs/generated.test.ts fails when a file is stale.
 */
import type { Command, Option } from 'commander';
import YAML from 'yaml';
import { APPLINK_ERRORS } from '../cli/applink/catalogue.js';
import { CIRCLECI_ERRORS } from '../cli/circleci/catalogue.js';
import type { Deps } from '../cli/deps.js';
import { GENERAL_ERRORS, SALESFORCE_INPUT_ERRORS, type CatalogueEntry } from '../cli/error-catalogue.js';
import { SALESFORCE_METADATA_ERRORS } from '../cli/salesforce/metadata-catalogue.js';
import { KEY_CATALOGUE, renderKeyCatalogue, type KeyErrorParams, type KeyProblem } from '../cli/keys/errors.js';
import { COMMAND_SCHEMAS, renderJsonSection } from './json-schemas.js';
import { packOrb, VERSION_PLACEHOLDER } from './orb/pack.js';
import { createProgram } from '../cli/program.js';
import { SALESFORCE_ERRORS, type SalesforceErrorEntry } from '../cli/salesforce/catalogue.js';

/** The Markdown files with generated parts, relative to the repository root. */
export const GENERATED_FILES = ['docs/commands.md', 'docs/orb.md', 'docs/troubleshooting.md'] as const;

const MARKER = /<!-- generated:([a-z0-9:-]+):start -->\n[\s\S]*?<!-- generated:\1:end -->/g;

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
}

function code(text: string): string {
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Orb reference

type Params = Record<string, { type?: string; default?: unknown; description?: string; enum?: string[] }>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function defaultText(value: unknown): string {
  if (value === undefined) return 'required';
  if (value === VERSION_PLACEHOLDER) return 'the applink-jwt version the orb release was packed with';
  if (value === '') return '`""`';
  return code(String(value));
}

function parameterTable(parameters: unknown): string {
  if (!isObject(parameters) || Object.keys(parameters).length === 0) return '_No parameters._';
  const rows = Object.entries(parameters as Params).map(([name, p]) => [
    code(name),
    p.type === 'enum' && p.enum ? `enum (${p.enum.map(code).join(', ')})` : code(p.type ?? 'string'),
    defaultText(p.default),
    cell(p.description ?? ''),
  ]);
  return table(['Parameter', 'Type', 'Default', 'Description'], rows);
}

/** The name the examples use for the orb in `orbs:` (`namespace/applink@x.y`). */
export function orbReference(orb: Record<string, unknown>): string {
  const names = new Set<string>();
  for (const example of Object.values((orb.examples ?? {}) as Record<string, { usage?: { orbs?: Record<string, string> } }>)) {
    const value = example.usage?.orbs?.applink;
    if (typeof value === 'string') names.add(value);
  }
  if (names.size !== 1) throw new Error(`The orb examples disagree on the orb's registry name: ${[...names].join(', ') || 'none'}.`);
  return [...names][0]!;
}

/** Every command, job, executor (with each parameter) and example of the packed orb. */
export function renderOrbReference(orb: Record<string, unknown>): string {
  const out: string[] = [];
  const name = orbReference(orb);
  out.push(`Orb \`${name}\` (as the examples import it): ${cell(String(orb.description ?? ''))}`, '');
  const sections: Array<[string, string]> = [
    ['commands', 'Commands'],
    ['jobs', 'Jobs'],
    ['executors', 'Executors'],
  ];
  for (const [key, title] of sections) {
    const components = (orb[key] ?? {}) as Record<string, Record<string, unknown>>;
    out.push(`### ${title}`, '');
    for (const [component, body] of Object.entries(components)) {
      out.push(`#### \`applink/${component}\``, '', cell(String(body.description ?? '')), '');
      if (key === 'jobs' && isObject(body.executor)) out.push(`Runs in the \`${String(body.executor.name)}\` executor.`, '');
      if (key === 'jobs' && Array.isArray(body.steps)) {
        const steps = body.steps.map((step) => (isObject(step) ? Object.keys(step)[0] : String(step)));
        out.push(`Steps: ${steps.map((step) => code(String(step))).join(', ')}.`, '');
      }
      if (key === 'executors' && Array.isArray(body.docker)) {
        out.push(`Image: ${(body.docker as Array<{ image?: string }>).map((d) => code(String(d.image))).join(', ')}.`, '');
      }
      out.push(parameterTable(body.parameters), '');
    }
  }
  out.push('### Examples', '');
  for (const [example, body] of Object.entries((orb.examples ?? {}) as Record<string, { description?: string; usage?: unknown }>)) {
    out.push(`#### ${example}`, '', cell(String(body.description ?? '')), '', '```yaml', YAML.stringify(body.usage, { lineWidth: 0 }).trimEnd(), '```', '');
  }
  return out.join('\n').trimEnd();
}

// ---------------------------------------------------------------------------------------------
// Troubleshooting

/** Sample inputs that make the key catalogue's templated hints read as they do for a real run. */
const SAMPLE_KEY_PARAMS: KeyErrorParams = {
  source: 'variable JWT_PRIVATE_KEY',
  path: 'keys/server.key',
  variable: 'JWT_PRIVATE_KEY',
  what: 'a certificate',
  block: 'CERTIFICATE',
  keyType: 'an EC',
  bits: 1024,
  count: 2,
  bytes: 70000,
  days: 95,
  maxDays: 90,
  date: '2026-01-01',
  mode: '0644',
  subject: 'my-app',
};

function salesforceRows(): string[][] {
  const byCode = new Map<string, SalesforceErrorEntry[]>();
  for (const entry of SALESFORCE_ERRORS) byCode.set(entry.code, [...(byCode.get(entry.code) ?? []), entry]);
  return [...byCode.entries()].map(([errorCode, entries]) => {
    const first = entries[0]!;
    const says = entries
      .map((entry) => (entry.error === undefined ? '' : entry.descriptions.length > 0 ? entry.descriptions.map((d) => `${code(entry.error!)} / ${code(d)}`).join('<br>') : `${code(entry.error)} (any description)`))
      .filter(Boolean)
      .join('<br>');
    return [code(errorCode), String(first.exitCode), cell(first.title), says || `_(${first.endpoint === 'datacloud' ? 'Data Cloud exchange' : 'token endpoint'}: ${cell(first.title).toLowerCase()})_`, cell(first.cause), cell(first.hint)];
  });
}

function catalogueRows(entries: readonly CatalogueEntry[]): string[][] {
  return entries.map((entry) => [code(entry.code), String(entry.exitCode), cell(entry.title), cell(entry.commands.join(', ')), cell(entry.cause), cell(entry.fix)]);
}

function keyRows(): string[][] {
  return Object.entries(KEY_CATALOGUE as Record<string, KeyProblem>).map(([errorCode, entry]) => [
    code(errorCode),
    entry.kind === 'input' ? '3' : entry.kind === 'failure' ? '9' : 'warning',
    cell(entry.summary),
    cell(entry.message(SAMPLE_KEY_PARAMS)),
    cell(entry.hint(SAMPLE_KEY_PARAMS)),
  ]);
}

/** The troubleshooting tables: every error the CLI reports, from the catalogues its hints come from. */
export function renderTroubleshooting(): string {
  const catalogueHeader = ['Code', 'Exit', 'Problem', 'Commands', 'Cause', 'Fix'];
  return [
    '### Salesforce refused the login (exit 4, or 8 when unavailable)',
    '',
    'From `SALESFORCE_ERRORS` (cli/salesforce/catalogue.ts): `verify` and `authorize` print the Fix column as their `Fix:` line, and `authorize` adds it when AppLink\'s own login fails with one of these errors (`ERR_AUTHORIZATION_FAILED`).',
    '',
    table(['Code', 'Exit', 'Problem', 'Salesforce says (`error` / `error_description`)', 'Cause', 'Fix'], salesforceRows()),
    '',
    '### Salesforce settings given to the CLI (exit 3, nothing sent)',
    '',
    'From `SALESFORCE_INPUT_ERRORS` (cli/error-catalogue.ts).',
    '',
    table(catalogueHeader, catalogueRows(SALESFORCE_INPUT_ERRORS)),
    '',
    '### Salesforce Metadata API (the admin credential of rotate)',
    '',
    'From `SALESFORCE_METADATA_ERRORS` (cli/salesforce/metadata-catalogue.ts): reading an external client app\'s global OAuth settings and deploying its certificate.',
    '',
    table(catalogueHeader, catalogueRows(SALESFORCE_METADATA_ERRORS)),
    '',
    '### Keys and certificates',
    '',
    'From `KEY_CATALOGUE` (cli/keys/errors.ts), which also produces the CLI\'s messages; the example message shows the key read from `JWT_PRIVATE_KEY` or `keys/server.key`.',
    '',
    table(['Code', 'Exit', 'Problem', 'Message (example)', 'Fix'], keyRows()),
    '',
    '### Heroku Platform API and AppLink API',
    '',
    'From `APPLINK_ERRORS` (cli/applink/catalogue.ts). The CLI\'s `Fix:` line names the app, add-on and developer name of the run.',
    '',
    table(catalogueHeader, catalogueRows(APPLINK_ERRORS)),
    '',
    '### CircleCI API (rotate: the CI secret)',
    '',
    'From `CIRCLECI_ERRORS` (cli/circleci/catalogue.ts). Other answers (5xx, 429, a body of the wrong shape) are the general `ERR_SERVICE_UNAVAILABLE`, `ERR_UNEXPECTED_STATUS` and `ERR_BAD_RESPONSE`.',
    '',
    table(catalogueHeader, catalogueRows(CIRCLECI_ERRORS)),
    '',
    '### Network, signals, sandbox and internal errors',
    '',
    'From `GENERAL_ERRORS` (cli/error-catalogue.ts).',
    '',
    table(catalogueHeader, catalogueRows(GENERAL_ERRORS)),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Command reference

/** A `Deps` that is never used: the program is only inspected, not run. */
function inertDeps(): Deps {
  const fail = () => {
    throw new Error('docs-render: the program is not run');
  };
  return { env: {}, cwd: '.', fetch: fail, now: () => 0, sleep: fail, fs: {} as Deps['fs'], readStdin: fail, run: fail, stdout: () => {}, stderr: () => {}, progress: undefined as unknown as Deps['progress'], stdinIsTTY: false, signal: new AbortController().signal } as unknown as Deps;
}

function optionRow(option: Option, hiddenAliases: Option[]): string[] {
  const description = option.description ?? '';
  const env = /\(env: ([^)]+)\)$/.exec(description);
  const plain = description.replace(/\s*\(env: [^)]+\)$/, '');
  const aliases = hiddenAliases.filter((alias) => /^alias of (--[\w-]+)$/.exec(alias.description ?? '')?.[1] === option.long);
  const flags = [option.flags, ...aliases.map((alias) => alias.flags)].map(code).join(', ');
  let defaultValue = '';
  if (option.negate) defaultValue = 'off';
  else if (option.argChoices && option.defaultValue !== undefined) defaultValue = code(String(option.defaultValue));
  else if (Array.isArray(option.defaultValue)) defaultValue = option.defaultValue.length === 0 ? 'none (repeatable)' : code(option.defaultValue.join(', '));
  else if (option.defaultValue === false) defaultValue = 'off';
  else if (option.defaultValue !== undefined) defaultValue = code(String(option.defaultValue));
  const choices = option.argChoices ? ` One of ${option.argChoices.map(code).join(', ')}.` : '';
  return [flags, env ? env[1]!.split(', ').map(code).join(', ') : '', defaultValue, cell(`${plain.charAt(0).toUpperCase()}${plain.slice(1)}.${choices}`)];
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/** The option table of one command (arguments first), from its commander definition. */
export function renderOptions(command: Command): string {
  const rows: string[][] = [];
  for (const argument of command.registeredArguments) {
    rows.push([code(`<${argument.name()}>`), '', argument.required ? 'required' : '', cell(`${argument.description.charAt(0).toUpperCase()}${argument.description.slice(1)}.`)]);
  }
  const hidden = command.options.filter((option) => option.hidden);
  for (const option of command.options.filter((o) => !o.hidden)) rows.push(optionRow(option, hidden));
  return table(['Argument or option', 'Environment', 'Default', 'Meaning'], rows);
}

/** Every leaf command of the program by its path without the program name (`keys generate`). */
export function programCommands(): Map<string, Command> {
  const { program } = createProgram(inertDeps());
  const found = new Map<string, Command>();
  const visit = (command: Command) => {
    if (command.commands.length === 0) found.set(commandPath(command).replace(/^applink-jwt /, ''), command);
    for (const sub of command.commands) visit(sub);
  };
  for (const command of program.commands) visit(command);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Sections and files

/** Every generated section by name. */
export async function renderSections(root = '.'): Promise<Record<string, string>> {
  const packed = await packOrb(`${root}/orb/src`);
  const sections: Record<string, string> = {
    'orb-reference': renderOrbReference(packed.orb),
    troubleshooting: renderTroubleshooting(),
    'key-errors': renderKeyCatalogue(),
  };
  for (const [path, command] of programCommands()) sections[`options:${path.replace(/ /g, '-')}`] = renderOptions(command);
  for (const command of Object.keys(COMMAND_SCHEMAS)) sections[`json:${command.replace(/ /g, '-')}`] = renderJsonSection(command);
  return sections;
}

/**
 * Replaces the body of every generated marker pair in `markdown` with its section. Throws for a
 * marker whose section does not exist (a renamed command, a typo).
 */
export function applySections(markdown: string, sections: Record<string, string>, file = 'the file'): string {
  return markdown.replace(MARKER, (_whole, name: string) => {
    const body = sections[name];
    if (body === undefined) throw new Error(`${file}: no generated section named "${name}" (known: ${Object.keys(sections).join(', ')}).`);
    return `<!-- generated:${name}:start -->\n${body}\n<!-- generated:${name}:end -->`;
  });
}

/** The names of the generated marker pairs in `markdown`. */
export function markerNames(markdown: string): string[] {
  return [...markdown.matchAll(MARKER)].map((match) => match[1]!);
}
