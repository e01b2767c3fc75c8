/**
 * What `applink-jwt rotate` needs from the services it drives, as interfaces ("ports"): the
 * Salesforce Metadata API (read an external client app's global OAuth settings, deploy a new
 * certificate), the JWT bearer login (the propagation probe), the AppLink API (create, read and
 * remove an authorization), the Heroku config vars of the app, and the CircleCI contexts API.
 *
 * The client modules (cli/salesforce/, cli/applink/, cli/heroku/, cli/circleci/) implement them;
 * the command takes them in one {@link RotateServices} object, so tests can hand it the real
 * clients pointed at the sandbox, and a step's client can be swapped without touching the steps.
 *
 * Contract shared by every port:
 * - A refusal is thrown as an `AppError` from the catalogue (code, exit code, hint; the service's
 *   status and error text in `details`), never returned; a method resolves only on success.
 *   The exception is {@link LoginProbePort.probe}: a refusal is its normal answer while a
 *   certificate propagates, so it resolves with the refusal.
 * - No method prints. Waits report through the `onStatus` callback they take and honour the
 *   `AbortSignal` of the deps the client was built with.
 * - Secrets a method learns or sends (the admin access token, the private key, a context value)
 *   are registered with the redaction registry by the client and never appear in an error.
 */
import type { KeyObject } from 'node:crypto';
import type { Authorization } from '../applink/authorization.js';
import type { JwtAuthorizationRequest } from '../applink/applink-api.js';

/** The admin credential of step 2 (`sf org display --json`'s `accessToken` and `instanceUrl`). Secret: never print it. */
export interface AdminCredential {
  accessToken: string;
  /** `https://acme.my.salesforce.com`: the Metadata API is under it. */
  instanceUrl: string;
}

/** An external client app's `ExtlClntAppGlobalOauthSettings`, as read from the org. */
export interface EcaOauthSettings {
  /** The component's full name (`<Name>` of `extlClntAppGlobalOauthSets/<Name>.ecaGlblOauth`). */
  fullName: string;
  /** The `externalClientApplication` it belongs to. */
  externalClientApplication: string;
  /** The consumer key (client id): a deploy must leave it unchanged. */
  consumerKey: string;
  /** PEM of the certificate the settings hold now; undefined when there is none. */
  certificate?: string;
  /**
   * The settings file as read (metadata XML). A deploy sends it back with only `<certificate>`
   * replaced, so no other field changes (the reference's "safest approach").
   */
  xml: string;
}

/** One status poll of a deploy (`GET .../metadata/deployRequest/{id}?includeDetails=true`). */
export interface DeployStatus {
  id: string;
  /** `Pending`, `InProgress`, `Succeeded`, `SucceededPartial`, `Failed`, `Canceling`, `Canceled`. */
  status: string;
  done: boolean;
  checkOnly: boolean;
  numberComponentsDeployed?: number;
  numberComponentsTotal?: number;
}

/** A deploy that ended `Succeeded`. */
export interface DeployOutcome extends DeployStatus {
  done: true;
  success: true;
}

export interface DeployCertificateRequest {
  /** The settings read just before (their `xml` is sent back with the new certificate). */
  settings: EcaOauthSettings;
  /** PEM of the new certificate. */
  certificatePem: string;
  /** `true`: validate only (`checkOnly`), nothing changes in the org. */
  checkOnly: boolean;
  /** Give up polling at this time (on `deps.now`'s clock): a `TimeoutError`. */
  deadline: number;
  /** Called after each status poll (progress and heartbeats). */
  onStatus?: (status: DeployStatus) => void;
}

/** The Salesforce Metadata API, with the admin credential (not the integration user's). */
export interface EcaMetadataPort {
  /** Reads the ECA's global OAuth settings. Throws when the component does not exist or the permission is missing. */
  readSettings(fullName: string): Promise<EcaOauthSettings>;
  /**
   * Deploys the settings with the new certificate and polls the deploy until it is done.
   * Resolves when it succeeded; throws the catalogue's error (with the component problems in
   * `details`) when it failed, and a `TimeoutError` at `deadline`.
   */
  deployCertificate(request: DeployCertificateRequest): Promise<DeployOutcome>;
}

export interface LoginProbeRequest {
  /** Origin of the login server (`https://login.salesforce.com`, a My Domain, the sandbox). */
  loginUrl: URL;
  audience: string;
  clientId: string;
  username: string;
  privateKey: KeyObject;
}

/** One JWT bearer exchange's verdict. Accepted: the org the key logged in to. */
export type LoginProbeResult =
  | { accepted: true; orgId: string; userId: string; instanceUrl: string }
  | { accepted: false; /** The catalogue's error for the refusal (e.g. `ERR_SF_INVALID_CLIENT`). */ error: Error & { code?: string } };

/** The JWT bearer login (step 3 polls it until the new certificate has propagated). */
export interface LoginProbePort {
  /** One exchange; a refusal by Salesforce resolves `accepted: false`; a network failure throws. */
  probe(request: LoginProbeRequest): Promise<LoginProbeResult>;
}

/** The AppLink authorizations of the app's add-on. */
export interface AuthorizationsPort {
  /** The authorization of that developer name, or undefined when there is none. */
  find(developerName: string): Promise<Authorization | undefined>;
  /** Creates it and waits until `authorized` (throws on `failed`/`disconnected`/timeout, removing what it created). */
  create(request: JwtAuthorizationRequest, options: { timeoutMs: number }): Promise<Authorization>;
  /** Removes it; `absent` when there was none. */
  remove(developerName: string): Promise<'deleted' | 'absent'>;
}

/** The Heroku Platform API's config vars of one app. Values can be secrets: the client registers them. */
export interface ConfigVarsPort {
  /** `GET /apps/{app}/config-vars`. */
  get(app: string): Promise<Record<string, string>>;
  /** `PATCH /apps/{app}/config-vars` (`null` removes a var); makes a release and restarts the app. Resolves with the vars after. */
  set(app: string, changes: Record<string, string | null>): Promise<Record<string, string>>;
}

/** A CircleCI context. */
export interface CircleCiContext {
  id: string;
  name: string;
}

/** What `PUT /context/{id}/environment-variable/{name}` answers (never the value). */
export interface ContextVariable {
  variable: string;
  contextId: string;
  createdAt: string;
  updatedAt: string;
}

/** The CircleCI contexts API v2, with a `Circle-Token`. */
export interface CircleCiContextsPort {
  /** The context of that name under the owner (`gh/acme`), or undefined (all pages are read). */
  findContext(ownerSlug: string, name: string): Promise<CircleCiContext | undefined>;
  /** Adds or updates the variable; resolves with what the API answers. */
  setVariable(contextId: string, name: string, value: string): Promise<ContextVariable>;
  /** The variable names of the context (values are never returned by the API). */
  listVariableNames(contextId: string): Promise<string[]>;
}

/**
 * Every service the rotation drives. The command builds them from its inputs (`cli/rotate/services.ts`);
 * `circleci` is undefined when no CircleCI context is to be updated.
 */
export interface RotateServices {
  metadata: EcaMetadataPort;
  login: LoginProbePort;
  authorizations: AuthorizationsPort;
  configVars: ConfigVarsPort;
  circleci?: CircleCiContextsPort;
}
