/**
 * The JSON schema of the sandbox state (the YAML file and the typed input share it), checked
 * with ajv. Errors name the source and the path: `sandbox.yml: orgs[0].type must be one of
 * production, sandbox`.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { InputError } from '../errors.js';
import { USER_PERMISSIONS } from './state.js';

const string = { type: 'string', minLength: 1 } as const;

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    heroku: {
      type: 'object',
      additionalProperties: false,
      properties: { apiKey: string, email: string },
    },
    settings: {
      type: 'object',
      additionalProperties: false,
      properties: {
        settleDelayMs: { anyOf: [{ type: 'number', minimum: 0 }, { const: 'never' }] },
        expSkewSeconds: { type: 'number', minimum: 0 },
        strictExp: { type: 'boolean' },
        dataCloudInstanceUrl: { enum: ['bare-host', 'url'] },
        sessionSeconds: { type: 'number', minimum: 1 },
        echoSecrets: { type: 'boolean' },
        clockOffsetMs: { type: 'number' },
        dataCloudOrgType: { enum: ['DataCloudOrg', 'DatacloudOrg'] },
        propagationDelayMs: { anyOf: [{ type: 'number', minimum: 0 }, { const: 'never' }] },
        deployDelayMs: { type: 'number', minimum: 0 },
        consumerKeyChangesOnDeploy: { type: 'boolean' },
      },
    },
    orgs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: string,
          id: string,
          type: { enum: ['production', 'sandbox'] },
          myDomain: string,
          apiVersion: { type: 'string', pattern: '^\\d+\\.\\d$' },
          dataCloud: { type: 'boolean' },
          users: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['username'],
              properties: {
                username: string,
                id: string,
                active: { type: 'boolean' },
                loginIpRanges: { type: 'array', items: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}(/([0-9]|[12][0-9]|3[0-2]))?$' } },
                permissions: { type: 'array', items: { enum: [...USER_PERMISSIONS] } },
              },
            },
          },
          externalClientApps: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['consumerKey'],
              properties: {
                name: string,
                developerName: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
                callbackUrl: string,
                consumerKey: string,
                certificate: string,
                preAuthorized: { type: 'array', items: string },
                scopes: { type: 'array', items: string },
              },
            },
          },
        },
      },
    },
    apps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: string,
          id: string,
          configVars: { type: 'object', additionalProperties: { type: 'string' } },
          permissions: { type: 'array', items: { enum: ['view', 'deploy', 'operate', 'manage'] } },
          addons: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: {
                name: string,
                id: string,
                service: string,
                state: { enum: ['provisioned', 'provisioning'] },
                attachments: {
                  type: 'array',
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['name'],
                    properties: { name: string, app: string, token: string },
                  },
                },
              },
            },
          },
        },
      },
    },
    circleci: {
      type: 'object',
      additionalProperties: false,
      properties: {
        token: string,
        organizations: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['slug'],
            properties: {
              slug: string,
              id: string,
              contexts: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['name'],
                  properties: { name: string, id: string, variables: { type: 'object', additionalProperties: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

let compiled: ReturnType<Ajv['compile']> | undefined;

/** `/orgs/0/users/1/active` as `orgs[0].users[1].active`. */
function formatPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : `${out ? '.' : ''}${part}`;
  return out || '(top level)';
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${formatPath(error.instancePath)} has an unknown key "${String(params.additionalProperty)}"`;
    case 'required':
      return `${formatPath(error.instancePath, String(params.missingProperty))} is required`;
    case 'enum':
      return `${formatPath(error.instancePath)} must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'minLength':
      return `${formatPath(error.instancePath)} must not be empty`;
    case 'anyOf':
      return `${formatPath(error.instancePath)} must be a number of milliseconds or "never"`;
    case 'pattern':
      if (error.instancePath.endsWith('/developerName')) return `${formatPath(error.instancePath)} must be an API name (letters, digits and underscores, a letter first)`;
      return `${formatPath(error.instancePath)} must look like 62.0`;
    default:
      return `${formatPath(error.instancePath)} ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Checks a state input against the schema; throws `ERR_SANDBOX_STATE` naming `source` and the
 * first offending path.
 */
export function validateStateInput(input: unknown, source: string): void {
  compiled ??= new Ajv({ allErrors: false, strict: true }).compile(schema);
  if (compiled(input)) return;
  const errors = compiled.errors ?? [];
  // anyOf reports its branches first; the anyOf error itself is the readable one.
  const error = errors.find((e) => e.keyword === 'anyOf') ?? errors[0];
  throw new InputError('ERR_SANDBOX_STATE', `${source}: ${error ? describe(error) : 'is invalid'}.`, {
    hint: 'See "Sandbox state file" in docs/sandbox.md for the keys each entry takes.',
  });
}
