/**
 * A small test-only Salesforce token endpoint on 127.0.0.1 for end-to-end tests of `verify`,
 * standing in until the sandbox (cli/sandbox) is available: `POST /services/oauth2/token` (JWT
 * bearer, checked in Salesforce's inferred order: grant type, client id, signature, audience,
 * expiry, user approval) and `POST /services/a360/token` (the Data Cloud exchange). It verifies
 * assertions with the app's certificate and logs every request for the leak guard.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { decodeJwt, importX509, jwtVerify } from 'jose';

export interface TokenServerOptions {
  /** The consumer key of the one registered app. */
  clientId: string;
  /** PEM certificate uploaded to the app. */
  certificatePem: string;
  /** Users and whether they are pre-authorized for the app. */
  users: Record<string, { approved: boolean }>;
  /** Clock of the server (seconds are derived from it). */
  now?: () => number;
  orgId?: string;
  scope?: string;
}

export interface LoggedTokenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface TokenServer {
  /** `http://127.0.0.1:<port>`: the login URL, the instance URL and the accepted audience. */
  url: string;
  requests: LoggedTokenRequest[];
  /** Every access token issued (core and Data Cloud), for the leak guard. */
  issuedTokens: string[];
  close(): Promise<void>;
}

const USER_ID = '0055g00000ABCDEAA2';

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-cache,must-revalidate,max-age=0,no-store,private' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the server on an ephemeral loopback port. */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const requests: LoggedTokenRequest[] = [];
  const issuedTokens: string[] = [];
  const liveTokens = new Set<string>();
  const orgId = options.orgId ?? '00D5g000004ABCDEAY';
  const certificate = await importX509(options.certificatePem, 'RS256');
  const now = options.now ?? (() => Date.now());
  let url = '';

  const token = async (form: URLSearchParams, response: ServerResponse) => {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return reply(response, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    const assertion = form.get('assertion');
    if (!assertion) return reply(response, 400, { error: 'invalid_request', error_description: 'assertion is missing' });
    let claims;
    try {
      claims = decodeJwt(assertion);
    } catch {
      return reply(response, 400, { error: 'invalid_grant', error_description: 'invalid assertion' });
    }
    if (claims.iss !== options.clientId) return reply(response, 400, { error: 'invalid_client_id', error_description: 'client identifier invalid' });
    try {
      await jwtVerify(assertion, certificate, { algorithms: ['RS256'], currentDate: new Date(now()) });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') return reply(response, 400, { error: 'invalid_grant', error_description: 'expired authorization code' });
      return reply(response, 400, { error: 'invalid_grant', error_description: 'invalid assertion' });
    }
    if (claims.aud !== url && claims.aud !== `${url}/`) return reply(response, 400, { error: 'invalid_grant', error_description: 'audience is invalid' });
    const user = typeof claims.sub === 'string' ? options.users[claims.sub] : undefined;
    if (!user?.approved) return reply(response, 400, { error: 'invalid_grant', error_description: "user hasn't approved this consumer" });
    const accessToken = `${orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
    issuedTokens.push(accessToken);
    liveTokens.add(accessToken);
    reply(response, 200, { access_token: accessToken, scope: options.scope ?? 'api refresh_token cdp_query_api', instance_url: url, id: `${url}/id/${orgId}/${USER_ID}`, token_type: 'Bearer' });
  };

  const dataCloud = (form: URLSearchParams, response: ServerResponse) => {
    if (form.get('grant_type') !== 'urn:salesforce:grant-type:external:cdp' || form.get('subject_token_type') !== 'urn:ietf:params:oauth:token-type:access_token') {
      return reply(response, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    }
    if (!liveTokens.has(form.get('subject_token') ?? '')) return reply(response, 401, [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]);
    const accessToken = `dc.${randomBytes(24).toString('base64url')}`;
    issuedTokens.push(accessToken);
    reply(response, 200, { access_token: accessToken, instance_url: 'tenant1.c360a.salesforce.com', token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:jwt', expires_in: 7200 });
  };

  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const path = request.url ?? '/';
      requests.push({ method: request.method ?? '', path, headers: { ...request.headers }, body });
      const form = new URLSearchParams(request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? body : '');
      if (request.method === 'POST' && path === '/services/oauth2/token') return token(form, response);
      if (request.method === 'POST' && path === '/services/a360/token') return dataCloud(form, response);
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<html><body>Not Found</body></html>');
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    issuedTokens,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
