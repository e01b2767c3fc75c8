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
import { developerNameOf, orgTypeOf, SETTLED_STATUSES, usernameOf, type Authorization } from './authorization.js';
import type { AppLinkTarget } from './platform-api.js';
import { boundedDelay, retryDelayMs, type HttpBounds } from '../http.js';
import { RETRY_GET } from './platform-api.js';

/** The state of the add-on an error (or interrupt) leaves behind, as `details.state`. */
export type StateLeft = 'unchanged' | 'removed' | 'created' | 'failed-kept' | 'unknown';

export interface AddJwtAuthorizationOptions {
  target: AppLinkTarget;
  request: JwtAuthorizationRequest;
  /** Replace an existing authorization of the same developer name (rotation); `ifExists: 'replace'`. */
  replace: boolean;
  /**
   * When an authorization of that name exists: `fail` (default), `skip` (leave it alone when it is
   * `authorized` for the same org, client id and username), `replace` (as `replace: true`).
   */
  ifExists?: IfExists;
  /** The org the preflight logged in to: `skip` requires the existing authorization to be for it. */
  expectedOrgId?: string;
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

export type IfExists = 'fail' | 'skip' | 'replace';

export interface AddJwtAuthorizationResult {
  authorization: Authorization;
  /** An existing authorization was replaced (`--replace` after a 409). */
  rotated: boolean;
  /** An existing authorization was left alone (`--if-exists skip`). */
  skipped?: boolean;
  /** How many GETs the poll made. */
  polls: number;
}

export type AddJwtDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets' | 'progress'> & HttpBounds & Partial<Pick<Deps, 'httpLog'>>;

type Phase = 'nothing-sent' | 'posting' | 'deleting-old' | 'old-removed' | 'created';

/**
 * Creates (or with `replace`, rotates) the authorization and polls it until `authorized`, which
 * it returns. Throws `ERR_AUTHORIZATION_FAILED` (exit 6), `ERR_AUTHORIZATION_TIMEOUT` (exit 7),
 * `ERR_AUTHORIZATION_EXISTS` (409 without `replace`), an {@link InterruptedError} (130/143), or the
 * mapped HTTP error; each says which state it left.
 *
 * Ownership is decided from what the server returns, never from clocks: the name is read before
 * the first POST (so an authorization that was already there is known by its id), and after a POST
 * whose answer was lost the authorization found is ours only when it is not the one read before
 * and its facts (developer name, alias, type, and username, client id and login URL when the answer
 * has them) are those sent. Clean-ups and rotations act on the id they read, re-read just before.
 */
export async function addJwtAuthorization(options: AddJwtAuthorizationOptions, deps: AddJwtDeps): Promise<AddJwtAuthorizationResult> {
  const name = options.request.developerName;
  const ifExists: IfExists = options.replace ? 'replace' : (options.ifExists ?? 'fail');
  let phase: Phase = 'nothing-sent';
  let rotated = false;
  let createdId: string | undefined;
  try {
    // Re-read before acting: what holds the name now, by id.
    const before = await findAuthorization(options.target, name, deps);
    if (before !== undefined) {
      if (ifExists === 'skip') {
        const mismatch = skipMismatch(before, options);
        if (mismatch === undefined) return { authorization: before, rotated: false, skipped: true, polls: 0 };
        throw annotate(existsError(options), 'unchanged', `--if-exists skip does not apply: ${mismatch}. Nothing was created or changed.`);
      }
      if (ifExists === 'fail') throw annotate(existsError(options), 'unchanged', 'Nothing was created or changed.');
      phase = 'deleting-old';
      deps.progress.update(`Removing the existing authorization ${name} (id ${before.id}, --replace)`);
      await removeOld(String(before.id), options, deps);
      phase = 'old-removed';
      rotated = true;
      deps.progress.update(`Creating authorization ${name} with the new key`);
    }
    phase = rotated ? 'old-removed' : 'posting';
    const notOurs = new Set(before === undefined ? [] : [String(before.id)]);
    let outcome = await createOnce(options, deps, notOurs);
    if (outcome.kind === 'conflict') {
      // Someone created it after our read: with replace, replace that one (read again, by id).
      if (ifExists !== 'replace' || rotated) {
        if (rotated) {
          throw annotate(appLinkError(outcome.response, options.target, name), 'unknown', `The existing authorization ${name} was removed, and another one of that name was created meanwhile by someone else.`);
        }
        throw outcome.reason === undefined ? appLinkError(outcome.response, options.target, name) : annotate(existsError(options), 'unchanged', outcome.reason);
      }
      const current = await findAuthorization(options.target, name, deps);
      if (current !== undefined) {
        phase = 'deleting-old';
        await removeOld(String(current.id), options, deps);
        notOurs.add(String(current.id));
      }
      phase = 'old-removed';
      rotated = true;
      outcome = await createOnce(options, deps, notOurs);
      if (outcome.kind === 'conflict') {
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

function existsError(options: AddJwtAuthorizationOptions): AppError {
  // Stryker disable next-line StringLiteral: appLinkError quotes only a JSON message of the body; no text makes one.
  return appLinkError(madeUpConflict(''), options.target, options.request.developerName);
}

/** A 409 answer made up here, for a conflict found by a GET: appLinkError reads only the status and the body of a 409. */
function madeUpConflict(text: string): AppLinkResponse {
  // Stryker disable next-line StringLiteral: where is not read for a 409 (see appLinkError).
  return { status: 409, headers: new Headers(), text, attempts: 1, where: '' };
}

/** Why `--if-exists skip` does not apply to `existing` (undefined: it applies). */
function skipMismatch(existing: Authorization, options: AddJwtAuthorizationOptions): string | undefined {
  const { request } = options;
  if (existing.status !== 'authorized') return `the existing one is ${existing.status}, not authorized`;
  // sameType() accepts an authorization without a type, so this one has one.
  if (!sameType(existing, request.type)) return `the existing one is ${orgTypeOf(existing)}, not ${request.type}`;
  const username = usernameOf(existing);
  if (username === undefined) return 'the AppLink API does not say which username the existing one uses';
  if (username.toLowerCase() !== request.username.toLowerCase()) return `the existing one uses username ${username}`;
  const clientId = typeof existing.client_id === 'string' ? existing.client_id : undefined;
  if (clientId === undefined) return 'the AppLink API does not say which client id the existing one uses';
  if (clientId !== request.clientId) return 'the existing one uses another client id';
  if (options.expectedOrgId !== undefined) {
    if (existing.org.id === undefined || existing.org.id === null) return 'the AppLink API does not say which org the existing one is for';
    if (!sameOrgId(existing.org.id, options.expectedOrgId)) return `the existing one is for org ${existing.org.id}, the key logs in to ${options.expectedOrgId}`;
  }
  return undefined;
}

/** Salesforce ids compare on their first 15 characters (the 18-character form adds a checksum). */
function sameOrgId(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15);
}

function sameType(authorization: Authorization, type: JwtAuthorizationRequest['type']): boolean {
  const orgType = orgTypeOf(authorization);
  return orgType === undefined || orgType === (type === 'datacloud' ? 'DataCloudOrg' : 'SalesforceOrg');
}

/**
 * Whether the authorization found after a POST whose answer was lost is the one that POST made,
 * from the facts in the answer: `yes`, `no` (a fact differs), or `undecided` (too few facts).
 */
export function ownedByFacts(found: Authorization, request: JwtAuthorizationRequest): 'yes' | 'no' | 'undecided' {
  const facts: Array<[unknown, string, (a: string, b: string) => boolean]> = [
    [developerNameOf(found), request.developerName, (a, b) => a === b],
    [found.alias, request.alias, (a, b) => a === b],
    [found.client_id, request.clientId, (a, b) => a === b],
    [usernameOf(found), request.username, (a, b) => a.toLowerCase() === b.toLowerCase()],
  ];
  if (!sameType(found, request.type)) return 'no';
  // A login URL can tell another's apart, but proves nothing (most use the same one); one not sent is the server's default.
  const withoutSlash = (url: string) => url.replace(/\/+$/, '');
  if (request.loginUrl !== undefined && typeof found.login_url === 'string' && withoutSlash(found.login_url) !== withoutSlash(request.loginUrl)) return 'no';
  let compared = 0;
  for (const [value, expected, equal] of facts) {
    if (typeof value !== 'string') continue;
    if (!equal(value, expected)) return 'no';
    compared += 1;
  }
  // The developer name alone proves nothing: at least the alias, username or client id must agree.
  return compared >= 2 ? 'yes' : 'undecided';
}

type CreateOutcome = { kind: 'created'; authorization: Authorization } | { kind: 'conflict'; response: AppLinkResponse; reason?: string };

/**
 * POSTs until it has an answer it can trust. `notOurs`: ids known to be someone else's (read
 * before the POST); an authorization found with one of them after a lost answer is a conflict.
 */
async function createOnce(options: AddJwtAuthorizationOptions, deps: AddJwtDeps, notOurs: ReadonlySet<string>): Promise<CreateOutcome> {
  const { target, request } = options;
  const name = request.developerName;
  const attempts = options.postAttempts ?? 4;
  let uncertain = false;
  // Set on every path that reaches the check below (a transient error, a 429, a 5xx or a 409 after one).
  let lastFailure: AppError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    let response: AppLinkResponse | undefined;
    try {
      response = await postJwtAuthorization(target, request, deps);
    } catch (error) {
      if (!isTransient(error)) throw error;
      lastFailure = error;
    }
    if (response !== undefined) {
      if (response.status >= 200 && response.status <= 299) return { kind: 'created', authorization: readAuthorization(response) };
      if (response.status === 409 && !uncertain) return { kind: 'conflict', response };
      if (response.status === 429) {
        // Rate-limited requests are refused before they are processed: retry without a check.
        lastFailure = appLinkError(response, target, name);
        if (attempt < attempts) {
          const delayMs = boundedDelay(retryDelayMs(attempt, response.headers.get('retry-after'), RETRY_GET, deps.now()), deps);
          deps.httpLog?.retry({ service: 'the AppLink API', reason: 429, delayMs, attempt: attempt + 1, attempts });
          await deps.sleep(delayMs, deps.signal);
        }
        continue;
      }
      // A 409 after an uncertain attempt may be our own earlier POST: look before calling it a conflict.
      if (response.status < 500 && response.status !== 409) throw appLinkError(response, target, name);
      lastFailure = appLinkError(response, target, name);
    }
    // The POST may or may not have been processed: ask before sending it again.
    uncertain = true;
    const found = await findAuthorization(target, name, deps);
    if (found !== undefined) {
      if (notOurs.has(String(found.id))) {
        // Only a run that removed that one (--replace) knows an id before; it reports the conflict itself.
        return { kind: 'conflict', response: response?.status === 409 ? response : syntheticConflict() };
      }
      const owned = ownedByFacts(found, request);
      if (owned === 'yes') {
        // Stryker disable next-line StringLiteral: only 'conflict' is ever compared; any other kind is a creation.
        return { kind: 'created', authorization: found };
      }
      if (owned === 'no') {
        return { kind: 'conflict', response: syntheticConflict(), reason: `Another authorization ${name} (id ${found.id}) with other settings was created meanwhile by someone else; this run created nothing.` };
      }
      const app = appFlag(target);
      throw annotate(
        lastFailure!,
        'unknown',
        `An authorization ${name} (id ${found.id}, ${found.status}) now exists, but the AppLink API's answer has too few facts (alias, username, client id) to tell whether this run created it: check it with applink-jwt info ${name}${app}.`,
      );
    }
    if (attempt < attempts) {
      const delayMs = boundedDelay(retryDelayMs(attempt, null, RETRY_GET, deps.now()), deps);
      deps.httpLog?.retry({ service: 'the AppLink API', reason: response?.status ?? lastFailure!.code, delayMs, attempt: attempt + 1, attempts });
      await deps.sleep(delayMs, deps.signal);
    }
  }
  throw annotate(lastFailure!, 'unchanged', `No authorization named ${name} exists (checked), so nothing was created.`);
}

/** The 409 the AppLink API gives for a name that is taken, for one found by a GET instead. */
function syntheticConflict(): AppLinkResponse {
  return madeUpConflict(JSON.stringify({ id: 'conflict', message: 'Authorization already exists' }));
}

function isTransient(error: unknown): error is AppError {
  return error instanceof AppError && (error.code === 'ERR_NETWORK' || error.code === 'ERR_HTTP_TIMEOUT');
}

/**
 * DELETE of the old authorization by the id that was read; a 404 means someone else removed it
 * first (the name is free all the same). When the DELETE fails, a GET tells whether it is gone.
 */
async function removeOld(id: string, options: AddJwtAuthorizationOptions, deps: AddJwtDeps): Promise<void> {
  const name = options.request.developerName;
  const app = appFlag(options.target);
  try {
    await deleteAuthorization(options.target, id, deps);
  } catch (error) {
    if (!(error instanceof AppError) || error instanceof InterruptedError) throw error;
    let stillThere: boolean;
    try {
      stillThere = (await findAuthorization(options.target, id, deps)) !== undefined;
    } catch {
      throw annotate(error, 'unknown', `The existing authorization ${name} may or may not have been removed: check with applink-jwt info ${name}${app}.`);
    }
    if (stillThere) throw annotate(error, 'unchanged', `The existing authorization ${name} was left intact.`);
  }
}

async function poll(initial: Authorization, options: AddJwtAuthorizationOptions, deps: AddJwtDeps): Promise<{ authorization: Authorization; polls: number }> {
  // The command's overall deadline (--timeout) when it has one; the requests inside respect it too.
  const deadline = deps.deadlineAt ?? deps.now() + options.timeoutMs;
  deps = { ...deps, deadlineAt: deadline };
  let current = initial;
  // The first look comes soon (a sandbox or a fast service settles within tens of ms), then backs off.
  let delay = options.pollIntervalMs ?? 20;
  const maxDelay = options.maxPollIntervalMs ?? 2000;
  let polls = 0;
  deps.progress.update(`Waiting for ${options.request.developerName}: ${current.status}`, { deadline });
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
      if (error instanceof AppError && error.code === 'ERR_DEADLINE') throw timeout(current, options);
      if (isTransient(error) || (error instanceof AppError && error.code === 'ERR_SERVICE_UNAVAILABLE')) continue;
      if (error instanceof AppError && error.code === 'ERR_AUTHORIZATION_NOT_FOUND') {
        throw new AuthorizationFailedError('ERR_AUTHORIZATION_GONE', `Authorization ${options.request.developerName} disappeared while waiting for it to settle (it was ${current.status}).`, {
          hint: 'Someone or something removed it meanwhile; run the command again.',
          // Someone else acted on the name: what it holds now is not known to this run.
          details: { developerName: options.request.developerName, state: 'unknown' },
          cause: error,
        });
      }
      throw error;
    }
    if (!SETTLED_STATUSES.includes(current.status)) deps.progress.update(`Waiting for ${options.request.developerName}: ${current.status}`, { deadline });
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

/**
 * The error for `failed`/`disconnected`, after removing the new authorization again: by its id,
 * re-read just before, so an authorization someone else put under the name meanwhile is never
 * touched; a 404 is reported as "someone else removed it", never as removed.
 */
async function failed(authorization: Authorization, options: AddJwtAuthorizationOptions, deps: AddJwtDeps, rotated: boolean): Promise<AppError> {
  const name = options.request.developerName;
  const id = String(authorization.id);
  const serverText = authorization.error?.message ? `: ${oneLine(authorization.error.message)}` : ' (the AppLink API gave no reason)';
  let outcome: 'removed' | 'gone' | 'kept' | 'unknown' = 'kept';
  try {
    const current = await findAuthorization(options.target, id, deps);
    if (current === undefined) outcome = 'gone';
    else if (current.status === 'authorized') outcome = 'kept';
    else {
      const deleted = await deleteAuthorization(options.target, id, deps);
      outcome = deleted === 'not-found' ? 'gone' : 'removed';
    }
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    outcome = 'unknown';
  }
  const app = appFlag(options.target);
  const texts: Record<typeof outcome, { state: StateLeft; text: string }> = {
    removed: rotated
      ? { state: 'removed', text: ` The ${authorization.status} authorization was removed; the previous one had already been removed by --replace, so ${name} no longer exists.` }
      : { state: 'unchanged', text: ` The ${authorization.status} authorization was removed again, so the add-on is as it was.` },
    gone: { state: 'unknown', text: ` It was not removed by this run: it was already gone (id ${id}), removed or replaced by someone else; check ${name} with applink-jwt info ${name}${app}.` },
    kept: { state: 'failed-kept', text: ` The ${authorization.status} authorization is still on the add-on: remove it with applink-jwt remove ${name}${app} --yes.` },
    unknown: { state: 'unknown', text: ` Whether the ${authorization.status} authorization (id ${id}) was removed is unknown: check with applink-jwt info ${name}${app}.` },
  };
  const { state, text: left } = texts[outcome];
  // Stryker disable next-line StringLiteral: no Salesforce hint matches an empty or a made-up message.
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
  // A clean refusal of the POST (409, 422, 401...) changed nothing: say so plainly. (A refused DELETE
  // is annotated by removeOld, which re-reads to tell.)
  if (isDefiniteRefusal(error) && phase === 'posting') return annotate(error, 'unchanged', 'Nothing was created or changed.');
  const statement = statements[phase];
  return annotate(error, statement.state, statement.text);
}

function isDefiniteRefusal(error: AppError): boolean {
  const status = error.details?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429 && status !== 408;
}
