/**
 * Creating a JWT authorization and waiting for it to settle: the plugin's single POST, made safe to
 * retry and followed by a poll (the plugin neither retries nor polls, and exits 0 on `failed`).
 *
 * - A POST that fails with a network error or 5xx is followed by a GET of the developer name before
 *   any retry, so a retry never creates a duplicate; 429 is retried after `Retry-After`.
 * - 409 with `replace`: DELETE the old one, POST again, report a rotation.
 * - `failed`/`disconnected`: the new authorization is removed again (so a rerun needs no
 *   `--replace`) and the error says which state the add-on was left in.
 * - Every error after the first request carries `details.state`: `unchanged`, `removed` (the old
 *   authorization was removed by `--replace` and no new one exists), `created` (a new one exists,
 *   still settling), `failed-kept` or `unknown`.
 */
import type { Deps } from '../deps.js';
import { AppError, AuthorizationFailedError, InterruptedError, TimeoutError, type AppErrorOptions } from '../errors.js';
import {
  appLinkError,
  deleteAuthorization,
  findAuthorization,
  getAuthorization,
  postJwtAuthorization,
  readAuthorization,
  type AppLinkResponse,
  type JwtAuthorizationRequest,
} from './applink-api.js';
import { SETTLED_STATUSES, type Authorization } from './authorization.js';
import type { AppLinkTarget } from './platform-api.js';
import { retryDelayMs } from '../http.js';
import { RETRY_GET } from './platform-api.js';

/** The state of the add-on an error (or interrupt) leaves behind, as `details.state`. */
export type StateLeft = 'unchanged' | 'removed' | 'created' | 'failed-kept' | 'unknown';

export interface AddJwtAuthorizationOptions {
  target: AppLinkTarget;
  request: JwtAuthorizationRequest;
  /** Replace an existing authorization of the same developer name (rotation). */
  replace: boolean;
  /** How long to poll for a settled status. */
  timeoutMs: number;
  /** Turns a server error message that carries a Salesforce error into the catalogue's hint. */
  salesforceHint?: (message: string) => string | undefined;
  /** First poll delay; doubles up to `maxPollIntervalMs`. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** POST attempts when the outcome is known not to have created anything. */
  postAttempts?: number;
}

export interface AddJwtAuthorizationResult {
  authorization: Authorization;
  /** An existing authorization was replaced (`--replace` after a 409). */
  rotated: boolean;
  /** How many GETs the poll made. */
  polls: number;
}

export type AddJwtDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets' | 'progress'>;

type Phase = 'nothing-sent' | 'posting' | 'deleting-old' | 'old-removed' | 'created';

/**
 * Creates (or with `replace`, rotates) the authorization and polls it until `authorized`, which
 * it returns. Throws `ERR_AUTHORIZATION_FAILED` (exit 6), `ERR_AUTHORIZATION_TIMEOUT` (exit 7),
 * `ERR_AUTHORIZATION_EXISTS` (409 without `replace`), an {@link InterruptedError} (130/143), or the
 * mapped HTTP error; each says which state it left.
 */
export async function addJwtAuthorization(options: AddJwtAuthorizationOptions, deps: AddJwtDeps): Promise<AddJwtAuthorizationResult> {
  const name = options.request.developerName;
  let phase: Phase = 'nothing-sent';
  let rotated = false;
  let createdId: string | undefined;
  try {
    phase = 'posting';
    let outcome = await createOnce(options, deps, false);
    if (outcome.kind === 'conflict') {
      if (!options.replace) throw appLinkError(outcome.response, options.target, name);
      phase = 'deleting-old';
      deps.progress.update(`Removing the existing authorization ${name} (--replace)`);
      await removeOld(options, deps);
      phase = 'old-removed';
      rotated = true;
      deps.progress.update(`Creating authorization ${name} with the new key`);
      outcome = await createOnce(options, deps, true);
      if (outcome.kind === 'conflict') {
        // Someone re-created it between our DELETE and POST: do not fight over it.
        throw annotate(appLinkError(outcome.response, options.target, name), 'unknown', `The existing authorization ${name} was removed, and another one of that name was created meanwhile by someone else.`);
      }
    }
    phase = 'created';
    createdId = String(outcome.authorization.id);
    const { authorization, polls } = await poll(outcome.authorization, options, deps);
    if (authorization.status !== 'authorized') throw await failed(authorization, options, deps, rotated);
    return { authorization, rotated, polls };
  } catch (error) {
    throw withState(error, phase, options, deps.signal, createdId);
  }
}

type CreateOutcome = { kind: 'created'; authorization: Authorization } | { kind: 'conflict'; response: AppLinkResponse };

/**
 * POSTs until it has an answer it can trust. `knownAbsent`: the name is known to be free (after
 * our DELETE), so anything a check finds is ours.
 */
async function createOnce(options: AddJwtAuthorizationOptions, deps: AddJwtDeps, knownAbsent: boolean): Promise<CreateOutcome> {
  const { target, request } = options;
  const name = request.developerName;
  const attempts = options.postAttempts ?? 4;
  let firstUncertainAt: number | undefined;
  let lastFailure: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const startedAt = deps.now();
    let response: AppLinkResponse | undefined;
    try {
      response = await postJwtAuthorization(target, request, deps);
    } catch (error) {
      if (!isTransient(error)) throw error;
      lastFailure = error;
    }
    if (response !== undefined) {
      if (response.status >= 200 && response.status <= 299) return { kind: 'created', authorization: readAuthorization(response) };
      if (response.status === 409 && firstUncertainAt === undefined) return { kind: 'conflict', response };
      if (response.status === 429) {
        // Rate-limited requests are refused before they are processed: retry without a check.
        lastFailure = appLinkError(response, target, name);
        if (attempt < attempts) await deps.sleep(retryDelayMs(attempt, response.headers.get('retry-after'), RETRY_GET, deps.now()), deps.signal);
        continue;
      }
      // A 409 after an uncertain attempt may be our own earlier POST: look before calling it a conflict.
      if (response.status < 500 && response.status !== 409) throw appLinkError(response, target, name);
      lastFailure = appLinkError(response, target, name);
    }
    // The POST may or may not have been processed: ask before sending it again.
    firstUncertainAt ??= startedAt;
    const found = await findAuthorization(target, name, deps);
    if (found !== undefined) {
      if (knownAbsent || createdSince(found, firstUncertainAt)) return { kind: 'created', authorization: found };
      // It was there before our first POST: a conflict, whatever the failed POST said.
      return { kind: 'conflict', response: response?.status === 409 ? response : syntheticConflict(response, target) };
    }
    if (attempt < attempts) await deps.sleep(retryDelayMs(attempt, null, RETRY_GET, deps.now()), deps.signal);
  }
  if (knownAbsent || !(lastFailure instanceof AppError)) throw lastFailure;
  throw annotate(lastFailure, 'unchanged', `No authorization named ${name} exists (checked), so nothing was created.`);
}

/** Whether the authorization was created by a request sent at or after `sinceMs` (same clock assumed; see README). */
function createdSince(authorization: Authorization, sinceMs: number): boolean {
  const created = Date.parse(String(authorization.created_at ?? ''));
  return Number.isFinite(created) && created >= sinceMs;
}

function syntheticConflict(response: AppLinkResponse | undefined, target: AppLinkTarget): AppLinkResponse {
  return {
    status: 409,
    headers: new Headers(),
    text: JSON.stringify({ id: 'conflict', message: 'Authorization already exists' }),
    attempts: response?.attempts ?? 1,
    where: response?.where ?? `POST ${target.baseUrl}`,
  };
}

function isTransient(error: unknown): boolean {
  return error instanceof AppError && (error.code === 'ERR_NETWORK' || error.code === 'ERR_HTTP_TIMEOUT');
}

/** DELETE of the old authorization; when it fails, a GET tells whether it is in fact gone. */
async function removeOld(options: AddJwtAuthorizationOptions, deps: AddJwtDeps): Promise<void> {
  const name = options.request.developerName;
  const app = appFlag(options.target);
  try {
    await deleteAuthorization(options.target, name, deps);
  } catch (error) {
    if (!(error instanceof AppError) || error instanceof InterruptedError) throw error;
    let stillThere: boolean;
    try {
      stillThere = (await findAuthorization(options.target, name, deps)) !== undefined;
    } catch {
      throw annotate(error, 'unknown', `The existing authorization ${name} may or may not have been removed: check with applink-jwt info ${name}${app}.`);
    }
    if (stillThere) throw annotate(error, 'unchanged', `The existing authorization ${name} was left intact.`);
  }
}

async function poll(initial: Authorization, options: AddJwtAuthorizationOptions, deps: AddJwtDeps): Promise<{ authorization: Authorization; polls: number }> {
  const deadline = deps.now() + options.timeoutMs;
  let current = initial;
  // The first look comes soon (a sandbox or a fast service settles within tens of ms), then backs off.
  let delay = options.pollIntervalMs ?? 20;
  const maxDelay = options.maxPollIntervalMs ?? 2000;
  let polls = 0;
  deps.progress.update(`Waiting for ${options.request.developerName}: ${current.status}`);
  while (!SETTLED_STATUSES.includes(current.status)) {
    const remaining = deadline - deps.now();
    if (remaining <= 0) throw timeout(current, options);
    await deps.sleep(Math.min(delay, remaining), deps.signal);
    delay = Math.min(delay * 2, maxDelay);
    polls += 1;
    try {
      current = await getAuthorization(options.target, String(current.id), deps);
    } catch (error) {
      // A poll that keeps failing is not the authorization failing: keep waiting until the deadline.
      if (isTransient(error) || (error instanceof AppError && error.code === 'ERR_SERVICE_UNAVAILABLE')) continue;
      if (error instanceof AppError && error.code === 'ERR_AUTHORIZATION_NOT_FOUND') {
        throw new AuthorizationFailedError('ERR_AUTHORIZATION_GONE', `Authorization ${options.request.developerName} disappeared while waiting for it to settle (it was ${current.status}).`, {
          hint: 'Someone or something removed it meanwhile; run the command again.',
          details: { developerName: options.request.developerName },
          cause: error,
        });
      }
      throw error;
    }
    if (!SETTLED_STATUSES.includes(current.status)) deps.progress.update(`Waiting for ${options.request.developerName}: ${current.status}`);
  }
  return { authorization: current, polls };
}

function timeout(current: Authorization, options: AddJwtAuthorizationOptions): TimeoutError {
  const name = options.request.developerName;
  return new TimeoutError('ERR_AUTHORIZATION_TIMEOUT', `Authorization ${name} was still ${current.status} after ${options.timeoutMs / 1000} s (--timeout); it was left ${current.status} on the add-on.`, {
    hint: `It may still finish: check it with applink-jwt info ${name}${appFlag(options.target)}; raise --timeout, or remove it with applink-jwt remove ${name}${appFlag(options.target)} --yes.`,
    details: { developerName: name, id: current.id, status: current.status, state: 'created' },
  });
}

/** The error for `failed`/`disconnected`, after removing the new authorization again. */
async function failed(authorization: Authorization, options: AddJwtAuthorizationOptions, deps: AddJwtDeps, rotated: boolean): Promise<AppError> {
  const name = options.request.developerName;
  const serverText = authorization.error?.message ? `: ${oneLine(authorization.error.message)}` : ' (the AppLink API gave no reason)';
  let removed = false;
  try {
    await deleteAuthorization(options.target, name, deps);
    removed = true;
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
  }
  const state: StateLeft = removed ? (rotated ? 'removed' : 'unchanged') : 'failed-kept';
  const left = removed
    ? rotated
      ? ` The ${authorization.status} authorization was removed; the previous one had already been removed by --replace, so ${name} no longer exists.`
      : ` The ${authorization.status} authorization was removed again, so the add-on is as it was.`
    : ` The ${authorization.status} authorization is still on the add-on: remove it with applink-jwt remove ${name}${appFlag(options.target)} --yes.`;
  const message = authorization.error?.message ?? '';
  const hint =
    options.salesforceHint?.(message) ??
    'Run applink-jwt verify with the same key, --client-id, --username and --login-url to see what Salesforce answers, fix it, and run again.';
  return new AuthorizationFailedError('ERR_AUTHORIZATION_FAILED', `Authorization ${name} ended ${authorization.status}${serverText}.${left}`, {
    hint,
    details: { developerName: name, status: authorization.status, state, ...(authorization.error?.id ? { errorId: authorization.error.id } : {}) },
  });
}

function appFlag(target: AppLinkTarget): string {
  return target.mode === 'platform' ? ` -a ${target.appName}` : '';
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 500);
}

/** A copy of `error` whose message ends with the state it left, recorded as `details.state`. */
export function annotate(error: AppError, state: StateLeft, statement: string): AppError {
  const options: AppErrorOptions = { hint: error.hint, cause: error, details: { ...error.details, state } };
  const copy = new AppError(error.code, `${error.message} ${statement}`, error.exitCode, options);
  copy.name = error.name;
  return copy;
}

/** Adds "which state was left" to any error, and turns an abort into an {@link InterruptedError}. */
function withState(error: unknown, phase: Phase, options: AddJwtAuthorizationOptions, signal: AbortSignal, createdId: string | undefined): unknown {
  const name = options.request.developerName;
  const app = appFlag(options.target);
  const statements: Record<Phase, { state: StateLeft; text: string }> = {
    'nothing-sent': { state: 'unchanged', text: 'Nothing was sent to the AppLink API; no authorization was created or changed.' },
    posting: { state: 'unknown', text: `Whether ${name} was created is unknown: check with applink-jwt info ${name}${app}.` },
    'deleting-old': { state: 'unknown', text: `The existing authorization ${name} may or may not have been removed: check with applink-jwt info ${name}${app}.` },
    'old-removed': { state: 'removed', text: `The existing authorization ${name} was removed and the new one was not created: ${name} no longer exists; run the same command again to create it.` },
    created: { state: 'created', text: `Authorization ${name} was created${createdId ? ` (id ${createdId})` : ''} and had not settled; check it with applink-jwt info ${name}${app}.` },
  };
  if (signal.aborted || error instanceof InterruptedError) {
    const signalName = signal.reason === 'SIGTERM' || (error instanceof InterruptedError && error.code === 'ERR_TERMINATED') ? 'SIGTERM' : 'SIGINT';
    const statement = error instanceof AppError && typeof error.details?.state === 'string' ? { state: error.details.state as StateLeft, text: '' } : statements[phase];
    return new InterruptedError(signalName, `Interrupted (${signalName}) ${phase === 'nothing-sent' ? 'before the authorization was sent' : 'while authorizing'}.${statement.text ? ` ${statement.text}` : ''}`, {
      hint: 'It is safe to run the same command again (add --replace if the authorization now exists).',
      details: { developerName: name, state: statement.state },
      cause: error,
    });
  }
  if (!(error instanceof AppError) || error.details?.state !== undefined) return error;
  if (phase === 'nothing-sent') return error;
  // A clean refusal (409, 422, 401...) changed nothing: say so plainly.
  if (isDefiniteRefusal(error) && (phase === 'posting' || phase === 'deleting-old')) {
    return annotate(error, 'unchanged', phase === 'posting' ? 'Nothing was created or changed.' : `The existing authorization ${name} was left intact.`);
  }
  const statement = statements[phase];
  return annotate(error, statement.state, statement.text);
}

function isDefiniteRefusal(error: AppError): boolean {
  const status = error.details?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429 && status !== 408;
}
