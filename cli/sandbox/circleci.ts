/**
 * The CircleCI API v2 contexts double (docs/reference/rotation-contracts.md §CircleCI): find a
 * context by owner, set an environment variable of a context, list the variables (names only:
 * CircleCI never returns values). Every call needs the `Circle-Token` header; answers and errors
 * are JSON, errors shaped `{"message": "..."}` as the API's `default` error.
 *
 * Its state (organizations, their contexts, the variables with their values) lives here, beside
 * the routes; tests read the stored values in-process ({@link CircleciState.variableValue}) or
 * through the control route `GET /__sandbox/circleci/variables` (fingerprints, never values).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { InputError } from '../errors.js';
import { randomSecret, randomUUID } from './ids.js';
import { header, json, route, type Reply, type Route, type RouteContext, type SandboxRequest } from './routing.js';

export interface CircleciContextInput {
  name: string;
  /** UUID; generated when absent. */
  id?: string;
  /** Variables already set: name to value. */
  variables?: Record<string, string>;
}

export interface CircleciOrganizationInput {
  /** `gh/acme`, `bb/acme` or `circleci/<uuid>`. */
  slug: string;
  /** UUID; generated when absent. */
  id?: string;
  contexts?: CircleciContextInput[];
}

export interface CircleciInput {
  /** The `Circle-Token` the double accepts (default random per start). */
  token?: string;
  organizations?: CircleciOrganizationInput[];
}

export interface CircleciVariable {
  name: string;
  value: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface CircleciContext {
  id: string;
  name: string;
  organizationId: string;
  createdAtMs: number;
  variables: CircleciVariable[];
}

export interface CircleciOrganization {
  id: string;
  slug: string;
}

/** The answers' texts. 401's is CircleCI's own; the others are *choice* (docs/sandbox.md). */
export const CIRCLECI_ERRORS = {
  unauthorized: { message: 'You must log in first.' },
  contextNotFound: { message: 'Context not found' },
  organizationNotFound: { message: 'Organization not found' },
  notFound: { message: 'Not found' },
  ownerMissing: { message: 'owner-id or owner-slug is required' },
} as const;

/** How many items one page of a list holds (CircleCI pages its lists; the size is *choice*). */
export const CIRCLECI_PAGE_SIZE = 10;

/** CircleCI's rule for environment variable names (letters, digits, underscores; not a digit first). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function stateError(message: string): InputError {
  return new InputError('ERR_SANDBOX_STATE', message, { hint: 'Fix the circleci section of the sandbox state and start it again.' });
}

/** The default CircleCI state: organization `gh/acme` with an empty context `applink-jwt`. */
export const DEFAULT_CIRCLECI_INPUT: CircleciInput = {
  organizations: [{ slug: 'gh/acme', contexts: [{ name: 'applink-jwt' }] }],
};

/** The contexts double's state. */
export class CircleciState {
  token: string = randomSecret('CCIPAT_sandbox_');
  readonly organizations: CircleciOrganization[] = [];
  readonly contexts: CircleciContext[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  static fromInput(input: CircleciInput | undefined, now: () => number = Date.now): CircleciState {
    const state = new CircleciState(now);
    if (input?.token !== undefined) state.token = input.token;
    for (const organization of input?.organizations ?? []) state.addOrganization(organization);
    return state;
  }

  addOrganization(input: CircleciOrganizationInput): CircleciOrganization {
    if (!/^(gh|github|bb|bitbucket|circleci)\/[^/\s]+$/i.test(input.slug)) {
      throw stateError(`CircleCI organization slug "${input.slug}" must look like gh/<org>, bb/<org> or circleci/<uuid>.`);
    }
    if (this.findOrganization(input.slug)) throw stateError(`CircleCI organization ${input.slug} is defined twice.`);
    const organization: CircleciOrganization = { id: checkedUuid(input.id, `organization ${input.slug} id`), slug: input.slug };
    this.organizations.push(organization);
    for (const context of input.contexts ?? []) this.addContext(organization.slug, context);
    return organization;
  }

  addContext(organizationSlugOrId: string, input: CircleciContextInput): CircleciContext {
    const organization = this.findOrganization(organizationSlugOrId);
    if (!organization) throw stateError(`No CircleCI organization ${organizationSlugOrId} in the sandbox.`);
    if (this.contexts.some((context) => context.organizationId === organization.id && context.name === input.name)) {
      throw stateError(`Context "${input.name}" of ${organization.slug} is defined twice (names are unique per organization).`);
    }
    const context: CircleciContext = { id: checkedUuid(input.id, `context ${input.name} id`), name: input.name, organizationId: organization.id, createdAtMs: this.now(), variables: [] };
    if (this.contexts.some((other) => other.id === context.id)) throw stateError(`Context id ${context.id} is used by two contexts.`);
    this.contexts.push(context);
    for (const [name, value] of Object.entries(input.variables ?? {})) {
      if (!VARIABLE_NAME.test(name)) throw stateError(`Variable name "${name}" of context ${input.name} must be letters, digits and underscores, not starting with a digit.`);
      this.setVariable(context.id, name, value);
    }
    return context;
  }

  /** An organization by slug (case-insensitive, `github/` same as `gh/`) or id. */
  findOrganization(slugOrId: string): CircleciOrganization | undefined {
    const normal = (slug: string) => slug.toLowerCase().replace(/^github\//, 'gh/').replace(/^bitbucket\//, 'bb/');
    return this.organizations.find((organization) => organization.id === slugOrId || normal(organization.slug) === normal(slugOrId));
  }

  findContext(id: string): CircleciContext | undefined {
    return this.contexts.find((context) => context.id === id);
  }

  /** Adds or replaces a variable; `created_at` stays, `updated_at` moves. */
  setVariable(contextId: string, name: string, value: string): CircleciVariable {
    const context = this.findContext(contextId);
    if (!context) throw stateError(`No CircleCI context ${contextId} in the sandbox.`);
    const at = this.now();
    const existing = context.variables.find((variable) => variable.name === name);
    if (existing) {
      existing.value = value;
      existing.updatedAtMs = at;
      return existing;
    }
    const variable: CircleciVariable = { name, value, createdAtMs: at, updatedAtMs: at };
    context.variables.push(variable);
    return variable;
  }

  /** The stored value of a variable, for tests (the API never returns it). Context by id or name. */
  variableValue(context: string, name: string): string | undefined {
    const found = this.findContext(context) ?? this.contexts.find((candidate) => candidate.name === context);
    return found?.variables.find((variable) => variable.name === name)?.value;
  }
}

function checkedUuid(id: string | undefined, what: string): string {
  if (id === undefined) return randomUUID();
  if (!UUID.test(id)) throw stateError(`The CircleCI ${what}, ${id}, is not a UUID.`);
  return id.toLowerCase();
}

/** ISO 8601 with milliseconds, as the API's examples show them. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString();
}

function variableBody(context: CircleciContext, variable: CircleciVariable) {
  return { variable: variable.name, created_at: timestamp(variable.createdAtMs), updated_at: timestamp(variable.updatedAtMs), context_id: context.id };
}

/** One page of `items` from `page-token` (an offset the double issued), with the next token or null. */
function page<T>(items: readonly T[], request: SandboxRequest): { items: T[]; next_page_token: string | null } {
  const token = request.query.get('page-token');
  const start = token && /^\d+$/.test(token) ? Number(token) : 0;
  const end = start + CIRCLECI_PAGE_SIZE;
  return { items: items.slice(start, end), next_page_token: end < items.length ? String(end) : null };
}

type CircleciHandler = (request: SandboxRequest, context: RouteContext) => Reply;

/** The token check first (401), as CircleCI answers an unauthenticated call before anything else. */
function withToken(handler: CircleciHandler): CircleciHandler {
  return (request, context) => {
    if (header(request.headers, 'circle-token') !== context.state.circleci.token) return json(401, CIRCLECI_ERRORS.unauthorized);
    return handler(request, context);
  };
}

const listContexts: CircleciHandler = (request, { state }) => {
  const owner = request.query.get('owner-id') ?? request.query.get('owner-slug');
  if (!owner) return json(400, CIRCLECI_ERRORS.ownerMissing);
  const organization = state.circleci.findOrganization(owner);
  if (!organization) return json(404, CIRCLECI_ERRORS.organizationNotFound);
  const contexts = state.circleci.contexts.filter((context) => context.organizationId === organization.id);
  return json(200, page(contexts.map((context) => ({ id: context.id, name: context.name, created_at: timestamp(context.createdAtMs) })), request));
};

const getContext: CircleciHandler = (request, { state }) => {
  const context = state.circleci.findContext(request.params.context ?? '');
  if (!context) return json(404, CIRCLECI_ERRORS.contextNotFound);
  return json(200, { id: context.id, name: context.name, created_at: timestamp(context.createdAtMs) });
};

const listVariables: CircleciHandler = (request, { state }) => {
  const context = state.circleci.findContext(request.params.context ?? '');
  if (!context) return json(404, CIRCLECI_ERRORS.contextNotFound);
  return json(200, page(context.variables.map((variable) => variableBody(context, variable)), request));
};

const putVariable: CircleciHandler = (request, { state }) => {
  const context = state.circleci.findContext(request.params.context ?? '');
  if (!context) return json(404, CIRCLECI_ERRORS.contextNotFound);
  const name = request.params.name ?? '';
  if (!VARIABLE_NAME.test(name)) return json(400, { message: `Invalid environment variable name: ${name}` });
  const body = request.json as { value?: unknown } | undefined;
  if (request.jsonInvalid || typeof body !== 'object' || body === null || typeof body.value !== 'string') {
    return json(400, { message: 'The request body must be a JSON object with a string "value"' });
  }
  return json(200, variableBody(context, state.circleci.setVariable(context.id, name, body.value)));
};

/** The contexts double's routes (on the `circleci` host). */
export function circleciRoutes(): Route[] {
  return [
    route('circleci', 'GET', '/api/v2/context', 'circleci.contexts', withToken(listContexts)),
    route('circleci', 'GET', '/api/v2/context/:context', 'circleci.context', withToken(getContext)),
    route('circleci', 'GET', '/api/v2/context/:context/environment-variable', 'circleci.variables', withToken(listVariables)),
    route('circleci', 'PUT', '/api/v2/context/:context/environment-variable/:name', 'circleci.variable.put', withToken(putVariable)),
  ];
}

/**
 * What `GET /__sandbox/circleci/variables` answers: every context with its variables' names,
 * timestamps, the SHA-256 of each value (`SHA256:<base64>`) and, for a private key PEM, the fingerprint of its
 * public key (as `keyFingerprint` of state.ts gives it: compare with a certificate's), never a value.
 */
export function variablesReport(state: CircleciState) {
  return {
    contexts: state.contexts.map((context) => ({
      id: context.id,
      name: context.name,
      organization: state.organizations.find((organization) => organization.id === context.organizationId)?.slug ?? null,
      variables: context.variables.map((variable) => ({
        variable: variable.name,
        sha256: valueDigest(variable.value),
        ...keyFingerprintOf(variable.value),
        created_at: timestamp(variable.createdAtMs),
        updated_at: timestamp(variable.updatedAtMs),
      })),
    })),
  };
}

/** `SHA256:<base64, no padding>` of a value: the form of key fingerprints, short enough not to look like a key body. */
export function valueDigest(value: string): string {
  return `SHA256:${createHash('sha256').update(value).digest('base64').replace(/=+$/, '')}`;
}

/** `{ keyFingerprint }` when the value is a private key (PEM), else nothing. */
function keyFingerprintOf(value: string): { keyFingerprint?: string } {
  if (!value.includes('PRIVATE KEY-----')) return {};
  try {
    const der = createPublicKey(value).export({ type: 'spki', format: 'der' });
    return { keyFingerprint: `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}` };
  } catch {
    return {};
  }
}
