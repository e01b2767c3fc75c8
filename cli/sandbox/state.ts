/**
 * What the sandbox knows: Salesforce orgs (users, external client apps with their certificates
 * and pre-authorized users), Heroku apps with AppLink add-ons and attachments, the AppLink
 * authorizations, and the tokens the Salesforce double issued. One typed input shape
 * ({@link SandboxStateInput}) serves both the YAML file (`--state`) and tests.
 */
import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { InputError } from '../errors.js';
import { CircleciState, DEFAULT_CIRCLECI_INPUT, valueDigest, type CircleciInput } from './circleci.js';
import { isSalesforceId, randomSecret, randomUUID, sequentialId, toId18 } from './ids.js';

export type OrgType = 'production' | 'sandbox';
export type AuthorizationType = 'salesforce' | 'datacloud';
export type AuthorizationStatus = 'authorizing' | 'authorized' | 'failed' | 'disconnected';
/** How the AppLink API types a Data Cloud org: `DataCloudOrg`, or the legacy `DatacloudOrg`. */
export type DataCloudOrgType = 'DataCloudOrg' | 'DatacloudOrg';

/** Knobs of the doubles. */
export interface SandboxSettingsInput {
  /** Delay before an authorization leaves `authorizing` (default 300 ms); `never` keeps it there. */
  settleDelayMs?: number | 'never';
  /** Grace after `exp` before the token endpoint answers `expired authorization code` (default 180 s). */
  expSkewSeconds?: number;
  /** Also refuse an `exp` more than `expSkewSeconds` in the future (default false, as Salesforce). */
  strictExp?: boolean;
  /** The Data Cloud exchange's `instance_url`: a bare host like Salesforce's (default) or a URL. */
  dataCloudInstanceUrl?: 'bare-host' | 'url';
  /** Lifetime of the core access tokens the double issues (default 7200 s). */
  sessionSeconds?: number;
  /** Quote every secret a request carried in the error answers (a careless service; default false). */
  echoSecrets?: boolean;
  /** How far the doubles' clock is from the real one, in ms (positive: ahead; default 0). */
  clockOffsetMs?: number;
  /** `org.type` of Data Cloud authorizations: `DataCloudOrg` (default) or the legacy `DatacloudOrg`. */
  dataCloudOrgType?: DataCloudOrgType;
  /**
   * How long after a Metadata API deploy of a new certificate is done the login servers accept it
   * (default 1000 ms; Salesforce says up to 10 minutes); `never`: the never-propagates fault.
   * Until then they keep accepting the previous certificate.
   */
  propagationDelayMs?: number | 'never';
  /** How long a Metadata API deploy takes from its request to `done` (default 200 ms). */
  deployDelayMs?: number;
  /** Fault: a real deploy gives the external client app a new consumer key (default false). */
  consumerKeyChangesOnDeploy?: boolean;
}

/** The address the sandbox gives the AppLink double's own logins: "Heroku's network" (a documentation address). */
export const HEROKU_EGRESS_IP = '198.51.100.7';

/** Whether an IPv4 address is in one of the CIDR ranges (`203.0.113.0/24`, or one address). */
export function ipInRanges(ip: string, ranges: readonly string[]): boolean {
  const toNumber = (address: string) => address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return false;
  return ranges.some((range) => {
    const [base, bits = '32'] = range.split('/');
    const size = 2 ** (32 - Number(bits));
    const start = Math.floor(toNumber(base!) / size) * size;
    return toNumber(ip) >= start && toNumber(ip) < start + size;
  });
}

export interface UserInput {
  username: string;
  /** 15- or 18-character `005...` id; generated when absent. */
  id?: string;
  /** Default true. */
  active?: boolean;
  /**
   * The profile's Login IP Ranges (IPv4 CIDR, `203.0.113.0/24`); none: logins from anywhere. The
   * runner's requests come from their socket address (127.0.0.1); the AppLink double's own login
   * from {@link HEROKU_EGRESS_IP}, standing for Heroku's network.
   */
  loginIpRanges?: string[];
  /**
   * User permissions (API names, see {@link USER_PERMISSIONS}) the Metadata API double checks:
   * `ModifyAllData` (a System Administrator: every other one too), `ModifyMetadata`,
   * `ManageExternalClientApps`, `ViewConsumerSecretsInMetadata`. Default none.
   */
  permissions?: string[];
}

/**
 * The user permissions the Metadata API double knows. `ModifyAllData` and `ModifyMetadata` are
 * Salesforce's API names; the other two stand for "Create, edit, and delete External Client Apps"
 * and "View External Client Apps Consumer Secrets in Metadata" (their API names are the sandbox's).
 */
export const USER_PERMISSIONS = ['ModifyAllData', 'ModifyMetadata', 'ManageExternalClientApps', 'ViewConsumerSecretsInMetadata'] as const;
export type UserPermission = (typeof USER_PERMISSIONS)[number];

export interface ExternalClientAppInput {
  name?: string;
  /**
   * The app's API name (`externalClientApplication`), also the full name of its
   * `ExtlClntAppGlobalOauthSettings` (default: `name` with every run of other characters than
   * letters and digits replaced by `_`).
   */
  developerName?: string;
  /** The global OAuth settings' `callbackUrl` (default `http://localhost:1717/OauthRedirect`). */
  callbackUrl?: string;
  consumerKey: string;
  /** X.509 certificate PEM ("Use digital signatures"); in a YAML file also a path to one. */
  certificate?: string;
  /** Usernames admin-approved for the app (Permitted Users: admin approved users are pre-authorized). */
  preAuthorized?: string[];
  /** Scopes granted (default `api refresh_token cdp_query_api`). */
  scopes?: string[];
}

export interface OrgInput {
  name: string;
  /** 15- or 18-character `00D...` id; generated when absent. */
  id?: string;
  /** Default production. Decides whether `https://login.salesforce.com` or `https://test.salesforce.com` is a valid audience. */
  type?: OrgType;
  /** My Domain login URL, e.g. `https://acme.my.salesforce.com` (default derived from the name). */
  myDomain?: string;
  apiVersion?: string;
  /** Whether the Data Cloud exchange works for this org (default true). */
  dataCloud?: boolean;
  users?: UserInput[];
  externalClientApps?: ExternalClientAppInput[];
}

export interface AttachmentInput {
  /** Config var prefix: `HEROKU_APPLINK` gives `HEROKU_APPLINK_API_URL` and `HEROKU_APPLINK_TOKEN`. */
  name: string;
  /** App the attachment is on (default the add-on's own app). */
  app?: string;
  /** The `<name>_TOKEN` value (default random). */
  token?: string;
}

export interface AddonInput {
  name: string;
  /** UUID; generated when absent. */
  id?: string;
  /** Add-on service slug (default `heroku-applink`). */
  service?: string;
  /** `provisioning` leaves the config vars out (the plugin's "not fully provisioned" case). Default provisioned. */
  state?: 'provisioned' | 'provisioning';
  /** Default one attachment `HEROKU_APPLINK` on the owning app. */
  attachments?: AttachmentInput[];
}

/** A Heroku team member's app permissions; changing config vars needs `deploy`. */
export type HerokuAppPermission = 'view' | 'deploy' | 'operate' | 'manage';
export const HEROKU_APP_PERMISSIONS: readonly HerokuAppPermission[] = ['view', 'deploy', 'operate', 'manage'];

export interface HerokuAppInput {
  name: string;
  /** UUID; generated when absent. */
  id?: string;
  configVars?: Record<string, string>;
  /**
   * What `HEROKU_API_KEY`'s user may do on the app (default all four). Without `deploy`,
   * `PATCH /apps/{app}/config-vars` answers 403 `forbidden`.
   */
  permissions?: HerokuAppPermission[];
  addons?: AddonInput[];
}

/** The state file's shape, and the typed input `startSandbox({ state })` takes. */
export interface SandboxStateInput {
  heroku?: {
    /** The `HEROKU_API_KEY` the Platform API double accepts (default random). */
    apiKey?: string;
    /** Email of the Heroku user (audit fields, SSO payload). */
    email?: string;
  };
  settings?: SandboxSettingsInput;
  orgs?: OrgInput[];
  apps?: HerokuAppInput[];
  /** The CircleCI contexts API double: its token, organizations, contexts and their variables. */
  circleci?: CircleciInput;
}

export interface SandboxSettings {
  settleDelayMs: number | 'never';
  expSkewSeconds: number;
  strictExp: boolean;
  dataCloudInstanceUrl: 'bare-host' | 'url';
  sessionSeconds: number;
  echoSecrets: boolean;
  clockOffsetMs: number;
  dataCloudOrgType: DataCloudOrgType;
  propagationDelayMs: number | 'never';
  deployDelayMs: number;
  consumerKeyChangesOnDeploy: boolean;
}

export interface SandboxUser {
  id: string;
  username: string;
  active: boolean;
  loginIpRanges: string[];
  orgId: string;
  permissions: string[];
}

/** A certificate deployed through the Metadata API that the login servers do not accept yet. */
export interface PendingCertificate {
  pem: string;
  /** When the deploy is done: from then on the metadata shows it. */
  deployedAtMs: number;
  /** When the login servers start accepting it (and stop accepting the previous one); null: never. */
  effectiveAtMs: number | null;
}

export interface ExternalClientApp {
  name: string;
  developerName: string;
  callbackUrl: string;
  consumerKey: string;
  orgId: string;
  /** The certificate the login servers accept now (see {@link SandboxState.acceptedCertificate}). */
  certificatePem?: string;
  pendingCertificate?: PendingCertificate;
  preAuthorized: string[];
  scopes: string[];
}

export interface SandboxOrg {
  id: string;
  name: string;
  type: OrgType;
  myDomain: string;
  apiVersion: string;
  dataCloud: boolean;
  /** Hex tenant id of the org's Data Cloud (in the Data Cloud token's `audienceTenantId`). */
  dataCloudTenant: string;
}

export interface HerokuApp {
  id: string;
  name: string;
  configVars: Record<string, string>;
  permissions: HerokuAppPermission[];
  /** The app's releases, oldest first (v1 when it was created; one more per config var change). */
  releases: HerokuRelease[];
  createdAtMs: number;
}

/** A release of an app: what a config var change creates (and what restarts its dynos). */
export interface HerokuRelease {
  id: string;
  version: number;
  description: string;
  createdAtMs: number;
}

export interface Attachment {
  id: string;
  name: string;
  appId: string;
  token: string;
  createdAtMs: number;
}

export interface Addon {
  id: string;
  name: string;
  service: string;
  state: 'provisioned' | 'provisioning';
  appId: string;
  attachments: Attachment[];
  createdAtMs: number;
}

/** An AppLink authorization as the double stores it (the API shape is built from it). */
export interface Authorization {
  id: string;
  addonId: string;
  developerName: string;
  alias: string;
  type: AuthorizationType;
  status: AuthorizationStatus;
  clientId: string;
  username: string;
  loginUrl: string;
  /** SHA-256 fingerprint of the public key of the `jwt_private_key` it was created with. */
  keyFingerprint: string;
  org?: {
    id: string;
    instanceUrl: string;
    userId: string;
    username: string;
    accessToken: string;
    apiVersion: string;
  };
  error?: { id: string; message: string };
  createdAt: string;
  createdBy: string;
  createdViaApp: string;
  lastModifiedAt: string;
  lastModifiedBy: string;
  appName: string;
}

/** A token the Salesforce double issued. */
export interface IssuedToken {
  kind: 'core' | 'datacloud';
  orgId: string;
  userId: string;
  username: string;
  clientId: string;
  expiresAtMs: number;
  revoked: boolean;
}

export const DEFAULT_SETTINGS: SandboxSettings = {
  settleDelayMs: 300,
  expSkewSeconds: 180,
  strictExp: false,
  dataCloudInstanceUrl: 'bare-host',
  sessionSeconds: 7200,
  echoSecrets: false,
  clockOffsetMs: 0,
  dataCloudOrgType: 'DataCloudOrg',
  propagationDelayMs: 1000,
  deployDelayMs: 200,
  consumerKeyChangesOnDeploy: false,
};

export const DEFAULT_API_VERSION = '62.0';
export const DEFAULT_SCOPES = ['api', 'refresh_token', 'cdp_query_api'];
export const APPLINK_SERVICE = 'heroku-applink';

/** The state used when none is given: one org, app, user, external client app and add-on. */
export const DEFAULT_STATE_INPUT: SandboxStateInput = {
  heroku: { email: 'developer@example.com' },
  orgs: [
    {
      name: 'acme',
      type: 'production',
      myDomain: 'https://acme.my.salesforce.com',
      users: [{ username: 'ci@acme.example', active: true }],
      externalClientApps: [
        { name: 'AppLink CI', consumerKey: '3MVG9sandbox.AcmeAppLinkCI.ConsumerKey', preAuthorized: ['ci@acme.example'] },
      ],
    },
  ],
  apps: [{ name: 'acme-app', addons: [{ name: 'applink-sandbox-1', attachments: [{ name: 'HEROKU_APPLINK' }] }] }],
  circleci: DEFAULT_CIRCLECI_INPUT,
};

/** Heroku's app name rule: 3-30 characters, lower-case letters, digits and dashes, a letter first. */
const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

/**
 * The state with its first app renamed to `name` (`applink-jwt sandbox --app`); attachments that
 * name the old app by name follow. `source` names the input in errors.
 */
export function withDefaultAppName(input: SandboxStateInput, name: string, source: string): SandboxStateInput {
  const hint = 'Give a Heroku app name: 3-30 lower-case letters, digits and dashes, starting with a letter (e.g. --app acme-app).';
  if (!APP_NAME.test(name)) throw new InputError('ERR_SANDBOX_APP', `${source} "${name}" is not a Heroku app name.`, { hint });
  const [first, ...rest] = input.apps ?? [];
  if (!first) throw new InputError('ERR_SANDBOX_APP', `${source}: the state has no app to name.`, { hint: 'Add an app under apps: in the state file, or leave --app out.' });
  if (rest.some((app) => app.name === name)) throw new InputError('ERR_SANDBOX_APP', `${source}: another app of the state is already named ${name}.`, { hint });
  const renamed = (app: string | undefined) => (app === first.name ? name : app);
  return {
    ...input,
    apps: [{ ...first, name }, ...rest].map((app) => ({
      ...app,
      ...(app.addons
        ? { addons: app.addons.map((addon) => ({ ...addon, ...(addon.attachments ? { attachments: addon.attachments.map((attachment) => (attachment.app === undefined ? attachment : { ...attachment, app: renamed(attachment.app)! })) } : {}) })) }
        : {}),
    })),
  };
}

/** The SHA-256 fingerprint (`SHA256:<base64>` of the SPKI DER) of a key, private or public, or a PEM. */
export function keyFingerprint(key: KeyObject | string): string {
  const publicKey = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

function stateError(message: string, hint = 'Fix the sandbox state and start it again.'): InputError {
  return new InputError('ERR_SANDBOX_STATE', message, { hint });
}

/** Parses a certificate PEM; throws naming `where` (never the PEM itself) when it is not one. */
export function parseCertificate(pem: string, where: string): X509Certificate {
  try {
    const certificate = new X509Certificate(pem);
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
      throw stateError(`${where} holds a ${certificate.publicKey.asymmetricKeyType} certificate; Salesforce's JWT bearer flow needs RSA.`);
    }
    return certificate;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw stateError(`${where} is not an X.509 certificate in PEM form (${(error as Error).message}).`, 'Give the PEM text of the certificate (-----BEGIN CERTIFICATE-----), e.g. server.crt from `applink-jwt keys generate`.');
  }
}

/**
 * The sandbox's mutable state and its typed API. Handlers read it; tests and the `demo` command
 * change it in-process (add orgs, users, certificates, apps, add-ons).
 */
export class SandboxState {
  settings: SandboxSettings = { ...DEFAULT_SETTINGS };
  herokuApiKey: string = randomSecret('HRKU-sandbox-');
  herokuEmail = 'developer@example.com';
  readonly orgs: SandboxOrg[] = [];
  readonly users: SandboxUser[] = [];
  readonly externalClientApps: ExternalClientApp[] = [];
  readonly apps: HerokuApp[] = [];
  readonly addons: Addon[] = [];
  readonly authorizations: Authorization[] = [];
  /** Tokens the Salesforce double issued, by value. */
  readonly tokens = new Map<string, IssuedToken>();
  /** The CircleCI contexts API double's state. */
  circleci: CircleciState;
  private sequence = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.circleci = new CircleciState(now);
  }

  /** Builds a state from the input shape (already schema-checked by the caller, or typed). */
  static fromInput(input: SandboxStateInput, now: () => number = Date.now): SandboxState {
    const state = new SandboxState(now);
    if (input.heroku?.apiKey !== undefined) state.herokuApiKey = input.heroku.apiKey;
    if (input.heroku?.email !== undefined) state.herokuEmail = input.heroku.email;
    if (input.settings) state.configure(input.settings);
    for (const org of input.orgs ?? []) state.addOrg(org);
    // Apps first, add-ons second: an attachment may point at an app listed later.
    for (const app of input.apps ?? []) state.addApp({ ...app, addons: [] });
    for (const app of input.apps ?? []) for (const addon of app.addons ?? []) state.addAddon(app.name, addon);
    state.circleci = CircleciState.fromInput(input.circleci, now);
    return state;
  }

  /** Changes knobs (settle delay, exp skew, Data Cloud instance URL style). */
  configure(settings: SandboxSettingsInput): void {
    this.settings = { ...this.settings, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) };
  }

  private nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** Adds an org with its users and external client apps. */
  addOrg(input: OrgInput): SandboxOrg {
    if (this.orgs.some((org) => org.name === input.name)) throw stateError(`Org "${input.name}" is defined twice.`);
    const id = input.id ? checkedId(input.id, '00D', `org "${input.name}" id`) : sequentialId('00D', this.nextSequence());
    if (this.orgs.some((org) => org.id === id)) throw stateError(`Org id ${id} is used by two orgs.`);
    const myDomain = input.myDomain ? checkedHttpsOrigin(input.myDomain, `org "${input.name}" myDomain`) : `https://${input.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.my.salesforce.com`;
    const org: SandboxOrg = {
      id,
      name: input.name,
      type: input.type ?? 'production',
      myDomain,
      apiVersion: input.apiVersion ?? DEFAULT_API_VERSION,
      dataCloud: input.dataCloud ?? true,
      dataCloudTenant: createHash('sha256').update(id).digest('hex').slice(0, 16),
    };
    this.orgs.push(org);
    for (const user of input.users ?? []) this.addUser(org.name, user);
    for (const app of input.externalClientApps ?? []) this.addExternalClientApp(org.name, app);
    return org;
  }

  /** Adds a user to an org (by name or id). Usernames are unique across orgs, as in Salesforce. */
  addUser(orgNameOrId: string, input: UserInput): SandboxUser {
    const org = this.requireOrg(orgNameOrId);
    if (this.users.some((user) => user.username.toLowerCase() === input.username.toLowerCase())) {
      throw stateError(`Username ${input.username} is defined twice (Salesforce usernames are unique across orgs).`);
    }
    const user: SandboxUser = {
      id: input.id ? checkedId(input.id, '005', `user ${input.username} id`) : sequentialId('005', this.nextSequence()),
      username: input.username,
      active: input.active ?? true,
      loginIpRanges: [...(input.loginIpRanges ?? [])],
      orgId: org.id,
      permissions: [...(input.permissions ?? [])],
    };
    this.users.push(user);
    return user;
  }

  /** Adds an external client app to an org; its pre-authorized users must be users of that org. */
  addExternalClientApp(orgNameOrId: string, input: ExternalClientAppInput): ExternalClientApp {
    const org = this.requireOrg(orgNameOrId);
    if (this.externalClientApps.some((app) => app.consumerKey === input.consumerKey)) {
      throw stateError(`Consumer key ${input.consumerKey} is used by two external client apps.`);
    }
    const name = input.name ?? input.consumerKey;
    const developerName = input.developerName ?? (name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'External_Client_App');
    if (this.externalClientApps.some((app) => app.orgId === org.id && app.developerName === developerName)) {
      throw stateError(`Two external client apps of org "${org.name}" have the API name ${developerName}.`, 'Give each one its own developerName.');
    }
    const app: ExternalClientApp = {
      name,
      developerName,
      callbackUrl: input.callbackUrl ?? 'http://localhost:1717/OauthRedirect',
      consumerKey: input.consumerKey,
      orgId: org.id,
      preAuthorized: [],
      scopes: input.scopes ?? [...DEFAULT_SCOPES],
    };
    for (const username of input.preAuthorized ?? []) this.checkOrgUser(org, username, `pre-authorized user of external client app ${app.name}`);
    app.preAuthorized = [...(input.preAuthorized ?? [])];
    if (input.certificate !== undefined) {
      parseCertificate(input.certificate, `The certificate of external client app ${app.name}`);
      app.certificatePem = input.certificate;
    }
    this.externalClientApps.push(app);
    return app;
  }

  /** Uploads (or replaces) the certificate of the external client app with this consumer key. */
  registerCertificate(clientId: string, certificatePem: string): ExternalClientApp {
    const app = this.requireExternalClientApp(clientId);
    parseCertificate(certificatePem, `The certificate for consumer key ${clientId}`);
    app.certificatePem = certificatePem;
    delete app.pendingCertificate;
    return app;
  }

  /**
   * The certificate the login servers accept for this app now: a deployed certificate once its
   * propagation delay is over (it then replaces the previous one), else the previous one.
   */
  acceptedCertificate(app: ExternalClientApp): string | undefined {
    const pending = app.pendingCertificate;
    if (pending && pending.effectiveAtMs !== null && this.now() >= pending.effectiveAtMs) {
      app.certificatePem = pending.pem;
      delete app.pendingCertificate;
    }
    return app.certificatePem;
  }

  /** The certificate the org's metadata holds for this app now (a deployed one as soon as its deploy is done). */
  metadataCertificate(app: ExternalClientApp): string | undefined {
    const pending = app.pendingCertificate;
    return pending && this.now() >= pending.deployedAtMs ? pending.pem : this.acceptedCertificate(app);
  }

  /**
   * Records a certificate deployed through the Metadata API: shown by the metadata from
   * `deployedAtMs`, accepted by the login servers `settings.propagationDelayMs` later (or never).
   */
  stageCertificate(app: ExternalClientApp, pem: string, deployedAtMs: number): void {
    parseCertificate(pem, `The certificate deployed to ${app.developerName}`);
    const delay = this.settings.propagationDelayMs;
    app.pendingCertificate = { pem, deployedAtMs, effectiveAtMs: delay === 'never' ? null : deployedAtMs + delay };
  }

  /** Whether a user holds a permission (`ModifyAllData` holds them all). */
  hasPermission(user: SandboxUser, permission: UserPermission): boolean {
    return user.permissions.includes('ModifyAllData') || user.permissions.includes(permission);
  }

  /** Issues a session for a user, as `sf org login` would (the admin credential `sf org display` prints). */
  issueSession(username: string, issue: (orgId: string) => string): { token: string; user: SandboxUser } {
    const user = this.findUser(username);
    if (!user) throw stateError(`No user ${username} in the sandbox.`, 'Give the username of a user of the sandbox state.');
    const token = issue(user.orgId);
    this.tokens.set(token, { kind: 'core', orgId: user.orgId, userId: user.id, username: user.username, clientId: 'PlatformCLI', expiresAtMs: this.now() + this.settings.sessionSeconds * 1000, revoked: false });
    return { token, user };
  }

  /** Adds a username to an app's pre-authorized users (profile or permission set assigned). */
  preAuthorize(clientId: string, username: string): void {
    const app = this.requireExternalClientApp(clientId);
    this.checkOrgUser(this.requireOrg(app.orgId), username, `user to pre-authorize for ${app.name}`);
    if (!app.preAuthorized.includes(username)) app.preAuthorized.push(username);
  }

  /** Removes a username from an app's pre-authorized users. */
  revokePreAuthorization(clientId: string, username: string): void {
    const app = this.requireExternalClientApp(clientId);
    app.preAuthorized = app.preAuthorized.filter((name) => name !== username);
  }

  /** Activates or deactivates a user. */
  setUserActive(username: string, active: boolean): void {
    const user = this.findUser(username);
    if (!user) throw stateError(`No user ${username} in the sandbox.`);
    user.active = active;
  }

  /** Adds a Heroku app, with its add-ons if given. */
  addApp(input: HerokuAppInput): HerokuApp {
    if (this.apps.some((app) => app.name === input.name)) throw stateError(`Heroku app "${input.name}" is defined twice.`);
    const app: HerokuApp = {
      id: input.id ?? randomUUID(),
      name: input.name,
      configVars: { ...(input.configVars ?? {}) },
      permissions: [...(input.permissions ?? HEROKU_APP_PERMISSIONS)],
      releases: [],
      createdAtMs: this.now(),
    };
    app.releases.push({ id: randomUUID(), version: 1, description: 'Initial release', createdAtMs: app.createdAtMs });
    if (this.apps.some((other) => other.id === app.id)) throw stateError(`Heroku app id ${app.id} is used by two apps.`);
    this.apps.push(app);
    for (const addon of input.addons ?? []) this.addAddon(app.name, addon);
    return app;
  }

  /**
   * Sets (string) or removes (null) config vars of an app, as `PATCH /apps/{app}/config-vars`
   * does, and creates the release that restarts the app (`Set A, B config vars`, `Remove C config
   * vars`). Returns that release.
   */
  updateConfigVars(appNameOrId: string, changes: Record<string, string | null>): HerokuRelease {
    const app = this.requireApp(appNameOrId);
    const set = Object.keys(changes).filter((name) => changes[name] !== null);
    const removed = Object.keys(changes).filter((name) => changes[name] === null);
    for (const name of set) app.configVars[name] = changes[name]!;
    for (const name of removed) delete app.configVars[name];
    const description = [set.length > 0 ? `Set ${set.join(', ')} config vars` : '', removed.length > 0 ? `Remove ${removed.join(', ')} config vars` : ''].filter(Boolean).join('; ');
    const release: HerokuRelease = { id: randomUUID(), version: (app.releases.at(-1)?.version ?? 0) + 1, description, createdAtMs: this.now() };
    app.releases.push(release);
    return release;
  }

  /** Adds an add-on owned by `appNameOrId`, with its attachments (default `HEROKU_APPLINK` on that app). */
  addAddon(appNameOrId: string, input: AddonInput): Addon {
    const owner = this.requireApp(appNameOrId);
    if (this.addons.some((addon) => addon.name === input.name)) throw stateError(`Add-on "${input.name}" is defined twice.`);
    const addon: Addon = {
      id: input.id ?? randomUUID(),
      name: input.name,
      service: input.service ?? APPLINK_SERVICE,
      state: input.state ?? 'provisioned',
      appId: owner.id,
      attachments: [],
      createdAtMs: this.now(),
    };
    if (this.addons.some((other) => other.id === addon.id)) throw stateError(`Add-on id ${addon.id} is used by two add-ons.`);
    this.addons.push(addon);
    for (const attachment of input.attachments ?? [{ name: 'HEROKU_APPLINK' }]) this.attachAddon(addon.id, attachment);
    return addon;
  }

  /** Attaches an add-on (by name or id) to an app under a config-var prefix. */
  attachAddon(addonNameOrId: string, input: AttachmentInput): Attachment {
    const addon = this.requireAddon(addonNameOrId);
    const app = this.requireApp(input.app ?? addon.appId);
    if (!/^[A-Z][A-Z0-9_]*$/.test(input.name)) throw stateError(`Attachment name "${input.name}" of add-on ${addon.name} must be upper case letters, digits and underscores (it prefixes config vars).`);
    const clash = this.addons.some((other) => other.attachments.some((a) => a.appId === app.id && a.name === input.name));
    if (clash) throw stateError(`App ${app.name} already has an attachment named ${input.name}.`);
    const attachment: Attachment = { id: randomUUID(), name: input.name, appId: app.id, token: input.token ?? randomSecret('applink-sandbox-'), createdAtMs: this.now() };
    addon.attachments.push(attachment);
    return attachment;
  }

  findOrg(nameOrId: string): SandboxOrg | undefined {
    return this.orgs.find((org) => org.name === nameOrId || org.id === nameOrId || org.id.slice(0, 15) === nameOrId);
  }

  findUser(username: string): SandboxUser | undefined {
    return this.users.find((user) => user.username.toLowerCase() === username.toLowerCase());
  }

  findExternalClientApp(consumerKey: string): ExternalClientApp | undefined {
    return this.externalClientApps.find((app) => app.consumerKey === consumerKey);
  }

  findApp(nameOrId: string): HerokuApp | undefined {
    return this.apps.find((app) => app.name === nameOrId || app.id === nameOrId);
  }

  findAddon(nameOrId: string): Addon | undefined {
    return this.addons.find((addon) => addon.id === nameOrId || addon.name === nameOrId);
  }

  /** Add-ons attached to an app (owned by it or attached from another app). */
  addonsOfApp(appId: string): Addon[] {
    return this.addons.filter((addon) => addon.appId === appId || addon.attachments.some((a) => a.appId === appId));
  }

  /** The authorizations of an add-on, oldest first. */
  listAuthorizations(addonId?: string): Authorization[] {
    return this.authorizations.filter((authorization) => addonId === undefined || authorization.addonId === addonId);
  }

  /** An authorization by id, developer name or alias, within an add-on. */
  findAuthorization(addonId: string, key: string): Authorization | undefined {
    const own = this.listAuthorizations(addonId);
    return own.find((a) => a.id === key) ?? own.find((a) => a.developerName === key) ?? own.find((a) => a.alias === key);
  }

  /** Whether a token the double issued is still accepted (issued, not revoked, not expired). */
  liveToken(token: string, kind: IssuedToken['kind']): IssuedToken | undefined {
    const issued = this.tokens.get(token);
    if (!issued || issued.kind !== kind || issued.revoked || this.now() >= issued.expiresAtMs) return undefined;
    return issued;
  }

  /** Revokes a token the double issued (the next call with it gets 401). */
  revokeToken(token: string): void {
    const issued = this.tokens.get(token);
    if (issued) issued.revoked = true;
  }

  /**
   * A deep copy of what tests compare before and after an operation to prove "nothing changed":
   * the authorizations (without access tokens), certificates (as fingerprints), users, add-ons.
   */
  snapshot(): SandboxSnapshot {
    return structuredClone({
      authorizations: this.authorizations.map(({ org, ...rest }) => ({
        ...rest,
        ...(org ? { org: { id: org.id, instanceUrl: org.instanceUrl, userId: org.userId, username: org.username, apiVersion: org.apiVersion } } : {}),
      })),
      externalClientApps: this.externalClientApps.map((app) => {
        const accepted = this.acceptedCertificate(app);
        return {
          consumerKey: app.consumerKey,
          certificateFingerprint: accepted ? keyFingerprint(new X509Certificate(accepted).publicKey) : null,
          ...(app.pendingCertificate ? { pendingCertificateFingerprint: keyFingerprint(new X509Certificate(app.pendingCertificate.pem).publicKey) } : {}),
          preAuthorized: [...app.preAuthorized],
        };
      }),
      users: this.users.map((user) => ({ username: user.username, active: user.active })),
      addons: this.addons.map((addon) => ({ id: addon.id, name: addon.name, state: addon.state, attachments: addon.attachments.map((a) => a.name) })),
      apps: this.apps.map((app) => ({ name: app.name, configVars: { ...app.configVars }, releases: app.releases.length })),
      circleciVariables: this.circleci.contexts.flatMap((context) =>
        context.variables.map((variable) => ({ context: context.name, variable: variable.name, sha256: valueDigest(variable.value), updatedAtMs: variable.updatedAtMs })),
      ),
    });
  }

  requireOrg(nameOrId: string): SandboxOrg {
    const org = this.findOrg(nameOrId);
    if (!org) throw stateError(`No org "${nameOrId}" in the sandbox.`);
    return org;
  }

  requireExternalClientApp(consumerKey: string): ExternalClientApp {
    const app = this.findExternalClientApp(consumerKey);
    if (!app) throw stateError(`No external client app with consumer key ${consumerKey} in the sandbox.`, 'Use a consumer key listed in the sandbox state (SF_CLIENT_ID in the printed environment).');
    return app;
  }

  requireApp(nameOrId: string): HerokuApp {
    const app = this.findApp(nameOrId);
    if (!app) throw stateError(`No Heroku app "${nameOrId}" in the sandbox.`);
    return app;
  }

  requireAddon(nameOrId: string): Addon {
    const addon = this.findAddon(nameOrId);
    if (!addon) throw stateError(`No add-on "${nameOrId}" in the sandbox.`);
    return addon;
  }

  private checkOrgUser(org: SandboxOrg, username: string, what: string): void {
    const user = this.findUser(username);
    if (!user || user.orgId !== org.id) throw stateError(`The ${what}, ${username}, is not a user of org "${org.name}".`, `Add ${username} to the users of org "${org.name}" first.`);
  }
}

export interface SandboxSnapshot {
  authorizations: Array<Omit<Authorization, 'org'> & { org?: Omit<NonNullable<Authorization['org']>, 'accessToken'> }>;
  externalClientApps: Array<{ consumerKey: string; certificateFingerprint: string | null; pendingCertificateFingerprint?: string; preAuthorized: string[] }>;
  users: Array<{ username: string; active: boolean }>;
  addons: Array<{ id: string; name: string; state: string; attachments: string[] }>;
  /** Each app's own config vars and how many releases it has. */
  apps: Array<{ name: string; configVars: Record<string, string>; releases: number }>;
  /** Each CircleCI context variable: the SHA-256 of its value (`SHA256:<base64>`), never the value. */
  circleciVariables: Array<{ context: string; variable: string; sha256: string; updatedAtMs: number }>;
}

function checkedId(id: string, keyPrefix: string, what: string): string {
  if (!id.startsWith(keyPrefix) || !isSalesforceId(id)) {
    throw stateError(`The ${what}, ${id}, is not a Salesforce id starting with ${keyPrefix} (15 characters, or 18 with a valid suffix).`);
  }
  return toId18(id.slice(0, 15));
}

function checkedHttpsOrigin(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw stateError(`The ${what}, "${value}", is not a URL.`, 'Give an origin such as https://acme.my.salesforce.com.');
  }
  if (url.protocol !== 'https:' || url.pathname !== '/' || url.search || url.hash) {
    throw stateError(`The ${what}, "${value}", must be an https origin without a path.`, 'Give an origin such as https://acme.my.salesforce.com.');
  }
  return url.origin;
}
