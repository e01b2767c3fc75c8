/**
 * The errors of the Salesforce Metadata API calls `rotate` makes with the admin credential (read an
 * external client app's global OAuth settings, deploy a new certificate). Plain data:
 * docs/troubleshooting.md is generated from it; cli/salesforce/metadata-api.ts raises them with the
 * names of the run in the message.
 */
import type { CatalogueEntry } from '../error-catalogue.js';
import { ExitCode } from '../errors.js';

const ROTATE = ['rotate'] as const;

export const SALESFORCE_METADATA_ERRORS: readonly CatalogueEntry[] = [
  {
    code: 'ERR_SF_ADMIN_SESSION',
    exitCode: ExitCode.salesforce,
    commands: ROTATE,
    title: 'Admin credential refused',
    cause: 'The Metadata API answered INVALID_SESSION_ID: the admin access token is expired, revoked, or for another instance URL.',
    fix: 'Log the admin in again (sf org login web) and give a fresh access token and instance URL (sf org display --json).',
  },
  {
    code: 'ERR_SF_METADATA_ACCESS',
    exitCode: ExitCode.salesforce,
    commands: ROTATE,
    title: 'No Metadata API permission',
    cause: 'The admin user lacks "Modify Metadata Through Metadata API Functions" (or "Modify All Data"): Salesforce answered INSUFFICIENT_ACCESS.',
    fix: 'Assign a permission set with "Modify Metadata Through Metadata API Functions" and "Create, edit, and delete External Client Apps" to the admin user.',
  },
  {
    code: 'ERR_SF_ECA_SETTINGS_NOT_FOUND',
    exitCode: ExitCode.salesforce,
    commands: ROTATE,
    title: 'External client app settings not found',
    cause: 'readMetadata found no ExtlClntAppGlobalOauthSettings of that name in the org.',
    fix: 'Give the settings\' full name: the <Name> of extlClntAppGlobalOauthSets/<Name>.ecaGlblOauth (sf project retrieve start -m ExtlClntAppGlobalOauthSettings lists them).',
  },
  {
    code: 'ERR_SF_CONSUMER_KEY_HIDDEN',
    exitCode: ExitCode.salesforce,
    commands: ROTATE,
    title: 'Consumer key not readable',
    cause: 'The settings came back without consumerKey, so a deploy could not keep it: the admin lacks "View External Client Apps Consumer Secrets in Metadata", or the org setting "Allow Access to OAuth Consumer Secrets via Metadata API" is off.',
    fix: 'Enable "Allow Access to OAuth Consumer Secrets via Metadata API" and give the admin "View External Client Apps Consumer Secrets in Metadata", then run again.',
  },
  {
    code: 'ERR_SF_DEPLOY_FAILED',
    exitCode: ExitCode.salesforce,
    commands: ROTATE,
    title: 'Deploy refused',
    cause: 'The Metadata API deploy (validate-only or real) ended Failed or Canceled; its component problems are in the message and in details.componentFailures. Nothing was changed.',
    fix: 'Fix what the problem says (a certificate that is not an RSA X.509 PEM, a missing permission, a wrong app name), then run again.',
  },
  {
    code: 'ERR_SF_METADATA_REFUSED',
    exitCode: ExitCode.salesforce,
    commands: ROTATE,
    title: 'Metadata API refused the call',
    cause: 'The Metadata API answered an error this catalogue does not name (its code and message are in the message and details).',
    fix: 'Read the error code Salesforce gave; check the instance URL and the API version, then run again.',
  },
  {
    code: 'ERR_SF_METADATA_UNAVAILABLE',
    exitCode: ExitCode.network,
    commands: ROTATE,
    title: 'Metadata API unavailable',
    cause: 'The Metadata API kept answering a server error (5xx) or 429, or an answer that is not its XML or JSON, after the retries.',
    fix: 'Check https://status.salesforce.com and the instance URL (a proxy or login page answering instead), then run again.',
  },
  {
    code: 'ERR_SF_DEPLOY_TIMEOUT',
    exitCode: ExitCode.timeout,
    commands: ROTATE,
    title: 'Deploy not done in time',
    cause: 'The deploy was still Pending or InProgress when the wait ran out; it may still finish.',
    fix: 'Look at Setup > Deployment Status for the deploy id in the message, then run again (the run resumes: it reads the settings first).',
  },
];
