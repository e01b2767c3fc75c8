/**
 * The CircleCI API v2 contexts client (docs/reference/rotation-contracts.md §CircleCI): find a
 * context by owner slug and name (every page), set a context's environment variable, list its
 * variable names. The token goes in `Circle-Token`; values are write-only (no call returns them),
 * so a write is checked by its `updated_at`, which the caller compares with the run's start.
 */
import type { Deps } from '../deps.js';
import { AppError, ExitCode } from '../errors.js';
import { describeUrl, httpRequest, RETRY_IDEMPOTENT, type HttpResponse, type RetryPolicy } from '../http.js';
import { pathSegment } from '../applink/path-segment.js';
import { newRequestId, readJson, saying, statusError, unexpectedShape, USER_AGENT } from '../applink/service-response.js';
import type { CircleCiContext, CircleCiContextsPort } from '../rotate/ports.js';

export const CIRCLECI_API = 'the CircleCI API';

export const CIRCLECI_TIMEOUT_MS = 30_000;

/** Reads are retried on 5xx, 429 and network errors; so is the PUT (it sets the same value again). */
const RETRY: RetryPolicy = { ...RETRY_IDEMPOTENT, attempts: 4 };

/** A bound on pages followed (CircleCI pages its lists; a loop of tokens must not run forever). */
const MAX_PAGES = 100;

export interface ContextsClientOptions {
  /** The API v2 base (`https://circleci.com/api/v2`, or the sandbox's `CIRCLECI_API_URL`), checked by the caller. */
  baseUrl: URL;
  /** The personal API token (never printed). */
  token: string;
  /** Where the token came from, for messages (`CIRCLE_TOKEN`). */
  tokenSource: string;
  timeoutMs?: number;
}

type ContextsDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'> & Partial<Pick<Deps, 'httpLog'>>;

interface Page {
  items: unknown[];
  next_page_token?: string | null;
}

/** A client of the contexts API with one token: `rotate`'s {@link CircleCiContextsPort}. */
export function createContextsClient(options: ContextsClientOptions, deps: ContextsDeps): CircleCiContextsPort {
  const base = options.baseUrl.href.replace(/\/+$/, '');
  deps.secrets?.add(options.token);

  async function send(method: 'GET' | 'PUT', url: string, what: string, body?: string): Promise<{ response: HttpResponse; where: string }> {
    const where = `${method} ${describeUrl(url)}`;
    const response = await httpRequest(
      {
        method,
        url,
        headers: {
          accept: 'application/json',
          'circle-token': options.token,
          'user-agent': USER_AGENT,
          'request-id': newRequestId(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
        timeoutMs: options.timeoutMs ?? CIRCLECI_TIMEOUT_MS,
        retry: RETRY,
        service: CIRCLECI_API,
      },
      deps,
    );
    if (response.status < 200 || response.status > 299) throw refusal(response, what, where);
    return { response, where };
  }

  function refusal(response: HttpResponse, what: string, where: string): Error {
    const origin = options.baseUrl.origin;
    if (response.status === 401) {
      return new AppError('ERR_CIRCLECI_AUTH', `The token in ${options.tokenSource} was refused by the CircleCI API (${origin}): HTTP 401.${saying(response.text)}`, ExitCode.heroku, {
        hint: `Create a personal API token (CircleCI: User Settings > Personal API Tokens) of someone who may edit the context, and set ${options.tokenSource} to it.`,
        details: { status: 401 },
      });
    }
    if (response.status === 403) {
      return new AppError('ERR_CIRCLECI_FORBIDDEN', `The CircleCI API (${origin}) refused ${what} with the token in ${options.tokenSource}: HTTP 403.${saying(response.text)}`, ExitCode.heroku, {
        hint: "Use a token of someone allowed to edit the context (an organization admin, or a member of the context's security group).",
        details: { status: 403 },
      });
    }
    if (response.status === 404) {
      return new AppError('ERR_CIRCLECI_NOT_FOUND', `The CircleCI API (${origin}) found nothing for ${what}: ${where} answered HTTP 404.${saying(response.text)}`, ExitCode.heroku, {
        hint: 'Check the owner slug (gh/<org>, bb/<org> or circleci/<org id>) and the context name, and that the token can see that organization.',
        details: { status: 404 },
      });
    }
    return statusError(response, CIRCLECI_API, where);
  }

  /** Every item of a paged list, following `next_page_token`. */
  async function allItems(url: string, what: string): Promise<unknown[]> {
    const items: unknown[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages += 1) {
      const pageUrl = new URL(url);
      if (token !== undefined) pageUrl.searchParams.set('page-token', token);
      const { response, where } = await send('GET', pageUrl.href, what);
      const page = readJson(response, CIRCLECI_API, where) as Page;
      if (typeof page !== 'object' || page === null || !Array.isArray(page.items)) throw unexpectedShape(CIRCLECI_API, where, 'a list of items', response.status);
      items.push(...page.items);
      if (typeof page.next_page_token !== 'string' || page.next_page_token === '') return items;
      token = page.next_page_token;
    }
    return items;
  }

  return {
    async findContext(ownerSlug, name) {
      const url = new URL(`${base}/context`);
      url.searchParams.set('owner-slug', ownerSlug);
      const items = await allItems(url.href, `the contexts of ${ownerSlug}`);
      const found = items.find((item): item is CircleCiContext => isRecord(item) && item.name === name && typeof item.id === 'string' && item.id !== '');
      return found === undefined ? undefined : { id: found.id, name: found.name };
    },

    async setVariable(contextId, name, value) {
      deps.secrets?.add(value);
      const url = `${base}/context/${pathSegment(contextId, 'The context id')}/environment-variable/${pathSegment(name, 'The variable name')}`;
      const { response, where } = await send('PUT', url, `variable ${name} of context ${contextId}`, JSON.stringify({ value }));
      const body = readJson(response, CIRCLECI_API, where);
      if (!isRecord(body) || typeof body.variable !== 'string' || typeof body.updated_at !== 'string') {
        throw unexpectedShape(CIRCLECI_API, where, 'an environment variable ({variable, created_at, updated_at, context_id})', response.status);
      }
      return {
        variable: body.variable,
        contextId: typeof body.context_id === 'string' ? body.context_id : contextId,
        createdAt: typeof body.created_at === 'string' ? body.created_at : body.updated_at,
        updatedAt: body.updated_at,
      };
    },

    async listVariableNames(contextId) {
      const items = await allItems(`${base}/context/${pathSegment(contextId, 'The context id')}/environment-variable`, `the variables of context ${contextId}`);
      return items.filter(isRecord).map((item) => item.variable).filter((variable): variable is string => typeof variable === 'string');
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
