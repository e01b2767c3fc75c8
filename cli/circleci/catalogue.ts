/**
 * The catalogue of errors the CircleCI contexts API client raises (`rotate` updates the CI secret
 * with it). Plain data, like the other catalogues: docs/troubleshooting.md is generated from it
 * and test/docs/error-catalogue.test.ts checks it against the raise sites in cli/.
 */
import type { CatalogueEntry } from '../error-catalogue.js';
import { ExitCode } from '../errors.js';

const COMMANDS = ['rotate'] as const;

export const CIRCLECI_ERRORS: readonly CatalogueEntry[] = [
  {
    code: 'ERR_CIRCLECI_AUTH',
    exitCode: ExitCode.heroku,
    commands: COMMANDS,
    title: 'CircleCI token refused (401)',
    cause: 'The CircleCI API answered "You must log in first.": the token (CIRCLE_TOKEN, or the variable --circleci-token-env names) is missing, revoked, or a project token where a personal API token is needed.',
    fix: 'Create a personal API token (CircleCI: User Settings > Personal API Tokens) of someone who may edit the context and set CIRCLE_TOKEN to it.',
  },
  {
    code: 'ERR_CIRCLECI_FORBIDDEN',
    exitCode: ExitCode.heroku,
    commands: COMMANDS,
    title: 'No access to the context (403)',
    cause: "The token's user may not change the context (it is restricted to a security group the user is not in).",
    fix: "Use a token of an organization admin or of a member of the context's security group.",
  },
  {
    code: 'ERR_CIRCLECI_NOT_FOUND',
    exitCode: ExitCode.heroku,
    commands: COMMANDS,
    title: 'Organization or context not found (404)',
    cause: 'The CircleCI API knows no organization of that owner slug, or no context of that id, that this token can see.',
    fix: 'Check the owner slug (gh/<org>, bb/<org> or circleci/<org id>) and the context name; the token must belong to a member of that organization.',
  },
];
