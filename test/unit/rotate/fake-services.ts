/**
 * In-memory services behind the rotation's ports, for unit tests of the steps: ECAs with their
 * certificates (a new one is accepted by the login probe after `propagationProbes` refusals),
 * AppLink authorizations, the app's config vars and CircleCI contexts. Every write is logged, and
 * any call can be made to fail once through `failOnce`.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import type { Authorization } from '../../../cli/applink/authorization.js';
import { AppError, SalesforceError } from '../../../cli/errors.js';
import type { RotateServices } from '../../../cli/rotate/ports.js';

export interface World {
  ecas: Record<string, { consumerKey: string; certificate?: string; acceptedAfter?: number }>;
  authorizations: Map<string, Authorization & { clientId: string; keyPem: string }>;
  configVars: Record<string, string>;
  contexts: Array<{ id: string; name: string; owner: string; variables: Record<string, { value: string; updatedAt: string }> }>;
  /** Probes of a newly deployed certificate refused before it is accepted. */
  propagationProbes: number;
  writes: string[];
  calls: string[];
  /** `method` -> error thrown by the next call of it. */
  failOnce: Map<string, Error>;
  now: () => number;
}

export function createWorld(now: () => number): World {
  return {
    ecas: { AppLink_A: { consumerKey: 'CK_A' }, AppLink_B: { consumerKey: 'CK_B' } },
    authorizations: new Map(),
    configVars: { APPLINK_AUTH_NAME: 'my_org_a', DATABASE_URL: 'postgres://u:p@db/x' },
    contexts: [{ id: 'ctx-1', name: 'applink', owner: 'gh/acme', variables: {} }],
    propagationProbes: 2,
    writes: [],
    calls: [],
    failOnce: new Map(),
    now,
  };
}

export function fakeServices(world: World): RotateServices {
  let nextId = 1;
  let probes = 0;
  const enter = (method: string) => {
    world.calls.push(method);
    const error = world.failOnce.get(method);
    if (error) {
      world.failOnce.delete(method);
      throw error;
    }
  };
  const xml = (name: string) => `<ExtlClntAppGlobalOauthSettings><consumerKey>${world.ecas[name]!.consumerKey}</consumerKey></ExtlClntAppGlobalOauthSettings>`;
  return {
    metadata: {
      async readSettings(name) {
        enter('metadata.read');
        const eca = world.ecas[name];
        if (!eca) throw new AppError('ERR_TEST_NO_ECA', `no ECA ${name}`, 4);
        return { fullName: name, externalClientApplication: name, consumerKey: eca.consumerKey, ...(eca.certificate ? { certificate: eca.certificate } : {}), xml: xml(name) };
      },
      async deployCertificate(request) {
        enter(request.checkOnly ? 'metadata.validate' : 'metadata.deploy');
        new X509Certificate(request.certificatePem);
        request.onStatus?.({ id: '0Af1', status: 'InProgress', done: false, checkOnly: request.checkOnly });
        if (!request.checkOnly) {
          world.writes.push(`deploy ${request.settings.fullName}`);
          world.ecas[request.settings.fullName]!.certificate = request.certificatePem;
          probes = 0;
        }
        return { id: '0Af1', status: 'Succeeded', done: true, success: true, checkOnly: request.checkOnly };
      },
    },
    login: {
      async probe(request) {
        enter('login.probe');
        const eca = Object.values(world.ecas).find((candidate) => candidate.consumerKey === request.clientId);
        const certificateKey = eca?.certificate ? new X509Certificate(eca.certificate).publicKey.export({ type: 'spki', format: 'der' }) : undefined;
        const ours = createPublicKey(request.privateKey).export({ type: 'spki', format: 'der' });
        probes += 1;
        if (certificateKey !== undefined && certificateKey.equals(ours) && probes > world.propagationProbes) {
          return { accepted: true, orgId: '00D000000000001AAA', userId: '005000000000001AAA', instanceUrl: 'https://acme.example' };
        }
        return { accepted: false, error: new SalesforceError('ERR_SF_INVALID_GRANT', 'invalid_grant: invalid assertion') };
      },
    },
    authorizations: {
      async find(name) {
        enter('applink.find');
        const found = world.authorizations.get(name);
        return found === undefined ? undefined : { ...found };
      },
      async create(request) {
        enter('applink.create');
        if (world.authorizations.has(request.developerName)) throw new AppError('ERR_AUTHORIZATION_EXISTS', 'exists', 5);
        world.writes.push(`create ${request.developerName}`);
        const authorization = { id: `auth-${nextId++}`, status: 'authorized', org: { developer_name: request.developerName }, alias: request.alias, clientId: request.clientId, keyPem: request.privateKeyPem } as World['authorizations'] extends Map<string, infer V> ? V : never;
        world.authorizations.set(request.developerName, authorization);
        return { ...authorization };
      },
      async remove(name) {
        enter('applink.remove');
        world.writes.push(`remove ${name}`);
        return world.authorizations.delete(name) ? 'deleted' : 'absent';
      },
    },
    configVars: {
      async get() {
        enter('config.get');
        return { ...world.configVars };
      },
      async set(_app, changes) {
        enter('config.set');
        world.writes.push(`config ${JSON.stringify(changes)}`);
        for (const [name, value] of Object.entries(changes)) {
          if (value === null) delete world.configVars[name];
          else world.configVars[name] = value;
        }
        return { ...world.configVars };
      },
    },
    circleci: {
      async findContext(owner, name) {
        enter('circleci.find');
        const context = world.contexts.find((candidate) => candidate.owner === owner && candidate.name === name);
        return context ? { id: context.id, name: context.name } : undefined;
      },
      async setVariable(contextId, name, value) {
        enter('circleci.set');
        world.writes.push(`circleci ${name}`);
        const context = world.contexts.find((candidate) => candidate.id === contextId)!;
        const updatedAt = new Date(world.now()).toISOString();
        context.variables[name] = { value, updatedAt };
        return { variable: name, contextId, createdAt: updatedAt, updatedAt };
      },
      async listVariableNames(contextId) {
        enter('circleci.list');
        return Object.keys(world.contexts.find((candidate) => candidate.id === contextId)!.variables);
      },
    },
  };
}
