/**
 * The JSON contract of every command's `--json` output, as JSON Schemas (draft-07). This is the
 * source: `npm run docs` writes docs/schemas/<command>.schema.json from it and renders the JSON
 * sections of docs/commands.md; test/e2e/json-contract.test.ts validates real output against the
 * written files. Every command prints one envelope (cli/output.ts):
 *
 *   success: {schemaVersion: 1, status: 0, result, warnings}
 *   failure: {schemaVersion: 1, status: N, error: {code, message, hint?, details?}, warnings}
 *
 * Keys are camelCase; the AppLink API's own objects are nested unchanged (snake_case) under
 * `authorization` / `authorizations`.
 */

export type Schema = Record<string, unknown>;

const SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

const string = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const integer = (description: string, extra: Schema = {}): Schema => ({ type: 'integer', description, ...extra });
const boolean = (description: string): Schema => ({ type: 'boolean', description });
const nullable = (schema: Schema): Schema => ({ ...schema, type: [schema.type as string, 'null'] });
const array = (items: Schema, description: string): Schema => ({ type: 'array', items, description });

/** An object whose properties are all required except `optional`; no other property allowed. */
function object(description: string, properties: Record<string, Schema>, optional: string[] = []): Schema {
  return {
    type: 'object',
    description,
    properties,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    additionalProperties: false,
  };
}

/** An AppLink API authorization, unchanged (snake_case), tokens removed. */
const authorization: Schema = {
  type: 'object',
  description: 'The authorization as the AppLink API returns it (snake_case, unchanged), every token field removed.',
  properties: {
    id: { type: ['string', 'number'], description: 'Authorization id.' },
    status: string('authorized, authorizing, failed, disconnected (or error).'),
    org: { type: 'object', description: 'The org: developer_name, id, instance_url, type, user_auth.username ...; no access token.' },
    alias: string('Alias the SDK can read it by.'),
  },
  required: ['id', 'status', 'org'],
  additionalProperties: true,
  propertyNames: { not: { pattern: '[Tt]oken|private_key' } },
};

const target = {
  mode: string('platform (found through the Platform API) or direct (HEROKU_APPLINK_* variables).', { enum: ['platform', 'direct'] }),
  app: string('The app (platform mode only).'),
  addon: string('The add-on name (platform mode) or id (direct mode).'),
};

const keyFinding = object('A finding of keys check or key loading.', {
  code: string('Catalogue code (ERR_... or WARN_...).'),
  message: string('What was found.'),
  hint: string('How to fix it.'),
});

const problem = object(
  'One local input problem.',
  {
    code: string('Error code.', { pattern: '^ERR_' }),
    message: string('What is wrong, naming the input.'),
    hint: string('How to fix it.'),
    inputs: array({ type: 'string' }, 'The flags and variables it concerns.'),
  },
  ['hint', 'inputs'],
);

/** The failure envelope: the same for every command, usage errors (status 2) included. */
const failure: Schema = object('Failure.', {
  schemaVersion: { const: 1, description: 'Version of this envelope.' },
  status: integer('The exit code (2 usage, 3 input, 4 Salesforce, 5 Heroku/AppLink, 6 failed, 7 timeout, 8 network, 1 internal, 130/143 interrupted).', { minimum: 1 }),
  error: object(
    'The error.',
    {
      code: string('Stable error code (docs/troubleshooting.md).', { pattern: '^ERR_' }),
      message: string('What went wrong, naming the input or request.'),
      hint: string('How to fix it.'),
      details: {
        type: 'object',
        description: 'Facts about the failure (never a secret): state, problems (ERR_INPUT_PROBLEMS), reason (ERR_USAGE) ...',
        properties: { problems: array(problem, 'Every local input problem (ERR_INPUT_PROBLEMS).'), state: string('What the run left: unchanged, removed, unknown ...') },
        additionalProperties: true,
      },
    },
    ['hint', 'details'],
  ),
  warnings: array({ type: 'string' }, 'Always empty on failure.'),
});

function envelope(command: string, result: Schema, statuses: number[] = [0]): Schema {
  return {
    $schema: SCHEMA_DIALECT,
    $id: `https://applink-jwt.invalid/schemas/${command.replace(/ /g, '-')}.schema.json`,
    title: `applink-jwt ${command} --json`,
    oneOf: [
      object('Success.', {
        schemaVersion: { const: 1, description: 'Version of this envelope.' },
        status: { enum: statuses, description: statuses.length > 1 ? 'The exit code: 0, or 9 when the check failed (see result.failures).' : 'The exit code: 0.' },
        result,
        warnings: array({ type: 'string' }, 'Warnings (printed on stderr without --json).'),
      }),
      failure,
    ],
  };
}

const slot = (description: string): Schema =>
  object(description, {
    slot: string('A or B.', { enum: ['A', 'B'] }),
    authorization: string('Developer name of its AppLink authorization.'),
    eca: string("Name of its external client app's global OAuth settings."),
  });

const file = object('A written file.', { path: string('Path as given.'), mode: string('Permission bits, such as 0600.') });

/** Every command's schema, by command line (`keys generate`). */
export const COMMAND_SCHEMAS: Record<string, Schema> = {
  'keys generate': envelope(
    'keys generate',
    object('The generated key pair and certificate (no key material).', {
      dir: string('--dir.'),
      bits: integer('RSA key size.'),
      subject: string('Certificate subject.'),
      notBefore: string('Start of validity (ISO 8601).'),
      notAfter: string('End of validity (ISO 8601).'),
      serialNumber: string('Certificate serial number (hex).'),
      fingerprintSha256: string('SHA-256 fingerprint of the certificate.'),
      files: object('The files written.', { privateKey: file, certificate: file, publicKey: file }),
      gitignore: nullable(object('The .gitignore checked.', { path: string('Its path.'), added: boolean('Whether *.key was added.') })),
      rotateBy: string('When to rotate (ISO 8601 date): the earlier of the end of validity and the rotation policy (--max-age-days of keys check, 90 days by default).'),
      nextSteps: array({ type: 'string' }, 'What to do next.'),
    }),
  ),
  'keys check': envelope(
    'keys check',
    object('The facts about the key and the certificate, and the verdict.', {
      ok: boolean('Whether every check passed.'),
      keySource: nullable(string('Where the key came from (file, variable, standard input).')),
      type: nullable(string('Key type (RSA).')),
      bits: nullable(integer('Key size.')),
      format: nullable(string('Key format.')),
      repairs: array({ type: 'string' }, 'What was done to the input to read it.'),
      certFile: nullable(string('--cert-file.')),
      subject: nullable(string('Certificate subject.')),
      notBefore: nullable(string('Start of validity (ISO 8601).')),
      notAfter: nullable(string('End of validity (ISO 8601).')),
      daysLeft: nullable(integer('Whole days until the certificate expires; negative once expired (-3: expired 3 days ago).')),
      ageDays: nullable(integer('Whole days since the start of validity.')),
      maxAgeDays: integer('--max-age-days: the rotation policy.'),
      certPemBytes: nullable(integer('Size of the certificate PEM.')),
      match: nullable(boolean('Whether the key matches the certificate.')),
      fileMode: nullable(string('Key file permission bits.')),
      gitTracked: nullable(boolean('Whether git tracks the key file.')),
      gitIgnored: nullable(boolean('Whether git ignores the key file.')),
      passed: array({ type: 'string' }, 'Checks that passed.'),
      warnings: array(keyFinding, 'Findings that do not fail the check.'),
      failures: array(keyFinding, 'Findings that fail the check (status 9).'),
    }),
    [0, 9],
  ),
  verify: envelope(
    'verify',
    object(
      'What Salesforce said about the org and user (no token).',
      {
        type: string('salesforce or datacloud.', { enum: ['salesforce', 'datacloud'] }),
        orgId: string('Org id.'),
        userId: string('User id.'),
        username: string('The username.'),
        instanceUrl: string('Instance URL.'),
        loginUrl: string('Login URL used (origin).'),
        audience: string('Audience of the assertion.'),
        scopes: array({ type: 'string' }, 'Granted scopes.'),
        dataCloud: object('The Data Cloud exchange (--type datacloud).', { tenantUrl: string('Data Cloud tenant URL.') }),
        key: object('The key used.', { source: string('Where it came from.'), bits: integer('Key size.'), format: string('Key format.') }),
      },
      ['dataCloud'],
    ),
  ),
  authorize: envelope(
    'authorize',
    object(
      'The authorization created (or rotated).',
      {
        developerName: string('Developer name.'),
        type: string('salesforce or datacloud.', { enum: ['salesforce', 'datacloud'] }),
        rotated: boolean('Whether an existing authorization was replaced (--replace).'),
        ...target,
        preflight: nullable(object('What the preflight found (null with --no-preflight).', { orgId: string('Org id.'), userId: string('User id.'), username: string('Username.') })),
        authorization,
      },
      ['app'],
    ),
  ),
  list: envelope('list', object('The authorizations of the add-on.', { ...target, authorizations: array(authorization, 'Every authorization.') }, ['app'])),
  info: envelope('info', object('One authorization.', { ...target, authorization }, ['app'])),
  remove: envelope('remove', object('What was removed.', { removed: string('The name given.'), developerName: string('Developer name of the authorization removed.'), ...target }, ['app'])),
  sandbox: envelope(
    'sandbox',
    {
      description: 'JSON Lines: a started line, then a stopped line when the sandbox stops (or one line with --print-state).',
      oneOf: [
        object(
          'The sandbox is listening.',
          {
            event: { const: 'started', description: 'started.' },
            url: string("The Platform API's origin (HEROKU_API_URL)."),
            urls: { type: 'object', description: "Each service's origin, by service name.", additionalProperties: { type: 'string' } },
            hosts: string('separate (one loopback address per service) or shared (all on 127.0.0.1).', { enum: ['separate', 'shared'] }),
            sharedReason: string('Why the hosts are shared, when they are.'),
            env: { type: 'object', description: 'Environment variables that point applink-jwt and the SDK at it (names as keys).', additionalProperties: { type: 'string' } },
            certificateRegistration: object('Where to register a certificate.', {
              route: string('POST the PEM here.'),
              clientId: nullable(string('Consumer key of the first external client app.')),
              registered: boolean('Whether a certificate is registered already.'),
            }),
            faults: array({ type: 'string' }, 'The --fault values in force.'),
            seed: integer('Seed of the random faults.'),
            envFile: string('Where the environment was written (--env-out).'),
          },
          ['sharedReason', 'seed', 'envFile'],
        ),
        object('The sandbox stopped.', {
          event: { const: 'stopped', description: 'stopped.' },
          signal: string('SIGINT or SIGTERM.'),
          requests: integer('Requests served.'),
        }),
        object('--print-state: the commented template of the state file.', { stateTemplate: string('The YAML template.') }),
      ],
    },
  ),
  demo: envelope(
    'demo',
    object('The steps of the demo.', {
      sandboxUrl: string('URL of the in-process sandbox.'),
      steps: array(object('One step.', { step: string('What it did.'), result: string('What came out.'), durationMs: integer('How long it took.') }), 'The steps.'),
      totalMs: integer('How long the demo took.'),
    }),
  ),
  rotate: envelope(
    'rotate',
    object(
      'The rotation: every step with its status and what it changed (or with --plan would change). A failed run has the same report under error.details.rotation, and error.details.failedStep.',
      {
        app: string('The Heroku app.'),
        configVar: string('The config var the app reads the active authorization from.'),
        mode: string('blue-green (two ECAs) or single-slot (one ECA, downtime).', { enum: ['blue-green', 'single-slot'] }),
        plan: boolean('--plan: nothing was changed.'),
        resumed: boolean('Continued the rotation recorded in --state-dir.'),
        from: slot('The slot the app read before: its authorization is removed by step 7.'),
        to: slot('The slot rotated to: its ECA got the new certificate, its authorization the new key.'),
        certificateFingerprint: nullable(string('SHA-256 fingerprint of the new certificate (null with --plan).')),
        steps: array(
          object(
            'One step.',
            {
              number: integer('1 to 7.'),
              id: string('Step id.', { enum: ['generate-key', 'deploy-certificate', 'wait-for-login', 'create-authorization', 'switch-app', 'update-ci', 'remove-old-authorization'] }),
              title: string('What the step does.'),
              status: string('done (this run), already-done (found in effect), planned (--plan), skipped, failed, not-reached.', { enum: ['done', 'already-done', 'planned', 'skipped', 'failed', 'not-reached'] }),
              changes: array({ type: 'string' }, 'What it changed (or would change), one sentence each; never a secret.'),
              note: string('Why it was skipped or found done, or what it found.'),
            },
            ['note'],
          ),
          'The seven steps, in order.',
        ),
        complete: boolean('Every step is done or skipped.'),
        inEffect: array({ type: 'string' }, 'What is in effect outside this machine.'),
        rollback: array({ type: 'string' }, 'How to undo what is in effect (empty with --plan).'),
        downtime: string('--single-slot: the downtime, stated up front.'),
      },
      ['downtime'],
    ),
  ),
  version: envelope('version', object('The version.', { version: string('applink-jwt version.') })),
};

/** File name of a command's schema under docs/schemas/. */
export function schemaFileName(command: string): string {
  return `${command.replace(/ /g, '-')}.schema.json`;
}

/** The schema files, by path relative to the repository root. */
export function schemaFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(COMMAND_SCHEMAS).map(([command, schema]) => [`docs/schemas/${schemaFileName(command)}`, `${JSON.stringify(schema, null, 2)}\n`]));
}

function typeText(schema: Schema): string {
  if ('const' in schema) return `\`${JSON.stringify(schema.const)}\``;
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' \\| ');
  const type = Array.isArray(schema.type) ? schema.type.join(' \\| ') : String(schema.type ?? 'object');
  if (schema.type === 'array' && typeof schema.items === 'object') return `${typeText(schema.items as Schema)}[]`;
  return type;
}

/** Rows `field | type | meaning` for an object schema, nested objects flattened with dots. */
function rows(schema: Schema, prefix: string): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const out: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    const path = `${prefix}${name}`;
    const optional = required.has(name) ? '' : ' (optional)';
    out.push(`| \`${path}\` | ${typeText(property)} | ${String(property.description ?? '').replace(/\|/g, '\\|')}${optional} |`);
    const nested = property.type === 'array' ? (property.items as Schema) : property;
    if (nested && (nested.type === 'object' || (Array.isArray(nested.type) && nested.type.includes('object'))) && nested.additionalProperties === false) {
      out.push(...rows(nested, `${path}${property.type === 'array' ? '[].' : '.'}`));
    }
  }
  return out;
}

/** The docs section of a command: its `result` fields, from its schema. */
export function renderJsonSection(command: string): string {
  const schema = COMMAND_SCHEMAS[command]!;
  const success = (schema.oneOf as Schema[])[0]!;
  const result = (success.properties as Record<string, Schema>).result!;
  const header = ['| Field | Type | Meaning |', '| --- | --- | --- |'];
  const variants = Array.isArray(result.oneOf) ? (result.oneOf as Schema[]) : [result];
  const tables = variants.map((variant) => [String(variant.description ?? ''), '', ...header, ...rows(variant, 'result.')].join('\n'));
  return [
    `\`--json\` prints the envelope \`{schemaVersion: 1, status, result, warnings}\` (on failure \`{schemaVersion: 1, status, error: {code, message, hint, details}, warnings}\`); schema: [docs/schemas/${schemaFileName(command)}](schemas/${schemaFileName(command)}).`,
    '',
    ...tables.flatMap((table) => [table, '']),
  ]
    .join('\n')
    .trimEnd();
}
