/**
 * The CircleCI inputs of step 6: which context and variables, and where the API is. The token
 * comes from an environment variable (`CIRCLE_TOKEN` unless `--circleci-token-env` names another),
 * never a flag, and is only sent over https to circleci.com (or to a loopback sandbox).
 */
import { isLoopbackHost } from '../applink/hosts.js';
import { checkToken } from '../applink/target.js';
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { InputProblems } from '../input/problems.js';
import type { CircleCiSettings } from './rotation.js';

export const DEFAULT_CIRCLECI_API_URL = 'https://circleci.com/api/v2';

export interface CircleCiOptions {
  /** `--circleci-context`: step 6 runs only with it. */
  circleciContext?: string;
  /** `--circleci-owner-slug` (`gh/acme`). */
  circleciOwnerSlug?: string;
  circleciKeyVariable: string;
  /** `none` leaves the client id variable alone. */
  circleciClientIdVariable: string;
  /** `--circleci-certificate-variable`: also set the new certificate (public) there. */
  circleciCertificateVariable?: string;
  circleciTokenEnv: string;
  /** `--circleci-url`, else `CIRCLECI_API_URL`, else https://circleci.com/api/v2. */
  circleciUrl?: string;
}

/** Where the contexts API is and the token for it (never printed). */
export interface CircleCiClientInput {
  baseUrl: URL;
  token: string;
  tokenSource: string;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks the CircleCI inputs; nothing when no context is named. Every problem at once. */
export function planCircleCi(options: CircleCiOptions, env: Deps['env']): { settings?: CircleCiSettings; client?: CircleCiClientInput } {
  if (options.circleciContext === undefined) return {};
  const problems = new InputProblems();
  if (options.circleciOwnerSlug === undefined || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(options.circleciOwnerSlug)) {
    problems.add(
      new InputError('ERR_ROTATE_CIRCLECI_INPUT', options.circleciOwnerSlug === undefined ? '--circleci-context is given without --circleci-owner-slug.' : `--circleci-owner-slug "${options.circleciOwnerSlug.slice(0, 80)}" is not an owner slug.`, {
        hint: 'Pass --circleci-owner-slug <vcs>/<org>, such as gh/acme (circleci/<org-id> for a CircleCI-native organization).',
      }),
    );
  }
  const names: Array<readonly [string, string]> = [['--circleci-key-variable', options.circleciKeyVariable], ['--circleci-client-id-variable', options.circleciClientIdVariable]];
  if (options.circleciCertificateVariable !== undefined) names.push(['--circleci-certificate-variable', options.circleciCertificateVariable]);
  for (const [flag, name] of names) {
    if (!VARIABLE.test(name)) problems.add(new InputError('ERR_ROTATE_CIRCLECI_INPUT', `${flag} "${name.slice(0, 80)}" is not an environment variable name.`, { hint: `Give the variable's name, such as ${flag === '--circleci-key-variable' ? 'JWT_PRIVATE_KEY' : 'SF_CLIENT_ID (or none)'}.` }));
  }
  const raw = env[options.circleciTokenEnv];
  let token: string | undefined;
  if (raw === undefined || raw === '') {
    problems.add(
      new InputError('ERR_ROTATE_CIRCLECI_INPUT', `--circleci-context is given but ${options.circleciTokenEnv} is not set: the CircleCI API needs a token.`, {
        hint: `Set ${options.circleciTokenEnv} to a CircleCI personal API token of someone who can edit the context (in a job: from a context, by variable name).`,
      }),
    );
  } else token = problems.check(() => checkToken(raw, options.circleciTokenEnv));
  const urlText = options.circleciUrl ?? env.CIRCLECI_API_URL ?? DEFAULT_CIRCLECI_API_URL;
  const source = options.circleciUrl !== undefined ? '--circleci-url' : env.CIRCLECI_API_URL !== undefined ? 'CIRCLECI_API_URL' : 'the default';
  const baseUrl = problems.check(() => {
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      throw new InputError('ERR_ROTATE_CIRCLECI_INPUT', `${source} "${urlText.slice(0, 80)}" is not a URL.`, { hint: `Leave it out to use ${DEFAULT_CIRCLECI_API_URL}.` });
    }
    const allowed = (url.protocol === 'https:' && (url.hostname === 'circleci.com' || url.hostname.endsWith('.circleci.com'))) || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
    if (!allowed) {
      throw new InputError('ERR_HOST_NOT_ALLOWED', `${source} points at ${url.origin}: the CircleCI token is only sent to https://circleci.com (or a loopback sandbox). Nothing was sent.`, {
        hint: `Leave it out to use ${DEFAULT_CIRCLECI_API_URL}.`,
      });
    }
    return new URL(url.href.replace(/\/+$/, ''));
  });
  problems.throwIfAny();
  return {
    settings: {
      ownerSlug: options.circleciOwnerSlug!,
      context: options.circleciContext,
      keyVariable: options.circleciKeyVariable,
      ...(options.circleciClientIdVariable === 'none' ? {} : { clientIdVariable: options.circleciClientIdVariable }),
      ...(options.circleciCertificateVariable === undefined ? {} : { certificateVariable: options.circleciCertificateVariable }),
    },
    client: { baseUrl: baseUrl!, token: token!, tokenSource: options.circleciTokenEnv },
  };
}
