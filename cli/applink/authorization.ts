/**
 * The AppLink `Authorization` resource (applink-api.md §1.4 and §4) and what we do with it
 * locally: check its shape, remove every token before it is shown, and render it for humans.
 */

/** Statuses the plugin knows; the Python SDK also mentions `error` (unconfirmed), treated as failed. */
export type AuthorizationStatus = 'authorized' | 'authorizing' | 'disconnected' | 'failed' | 'error';

export interface AuthorizationOrg {
  developer_name?: string;
  id?: string;
  instance_url?: string;
  type?: string;
  api_version?: string;
  user_id?: string;
  username?: string;
  user_auth?: { username?: string; user_id?: string; access_token?: string };
  [key: string]: unknown;
}

export interface Authorization {
  id: string;
  status: string;
  org: AuthorizationOrg;
  alias?: string;
  app_name?: string;
  connection_method?: string;
  created_at?: string;
  created_by?: string;
  created_via_app?: string;
  last_modified_at?: string;
  last_modified_by?: string;
  redirect_uri?: string;
  error?: { id?: string; message?: string } | null;
  [key: string]: unknown;
}

/** The states a poll stops at. */
export const SETTLED_STATUSES: readonly string[] = ['authorized', 'failed', 'disconnected', 'error'];

/** Fields that are printed, so must be text when present (a number there is a bad answer, not a crash). */
const TEXT_FIELDS = ['alias', 'app_name', 'connection_method', 'created_at', 'created_by', 'created_via_app', 'last_modified_at', 'last_modified_by', 'redirect_uri', 'developer_name'] as const;
const ORG_TEXT_FIELDS = ['developer_name', 'id', 'instance_url', 'type', 'api_version', 'user_id', 'username'] as const;

/**
 * Whether `value` has the shape of an authorization: `id`, `status`, `org` object, and every field
 * that is printed either absent, null or a string.
 */
export function isAuthorization(value: unknown): value is Authorization {
  if (!isRecord(value)) return false;
  if (!(typeof value.id === 'string' || typeof value.id === 'number') || typeof value.status !== 'string' || !isRecord(value.org)) return false;
  const org = value.org;
  const error = value.error;
  const userAuth = org.user_auth;
  return (
    TEXT_FIELDS.every((field) => isOptionalText(value[field])) &&
    ORG_TEXT_FIELDS.every((field) => isOptionalText(org[field])) &&
    (userAuth === undefined || userAuth === null || (isRecord(userAuth) && isOptionalText(userAuth.username) && isOptionalText(userAuth.user_id))) &&
    (error === undefined || error === null || (isRecord(error) && isOptionalText(error.id) && isOptionalText(error.message)))
  );
}

function isOptionalText(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

/** Keys whose values are secrets: any `*token*`, key, secret, password, assertion or SSO payload. */
const SECRET_KEY = /token|secret|passw|private_?key|assertion|sso|authorization_code|^code$/i;

/**
 * A deep copy of `value` with every token-like field removed (`org.user_auth.access_token`,
 * `refresh_token`, `jwt_private_key`, ...). Everything we print goes through this.
 */
export function stripTokens<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => stripTokens(item)) as T;
  if (!isRecord(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) continue;
    copy[key] = stripTokens(item);
  }
  return copy as T;
}

/** The username of an authorization, wherever the server put it. */
export function usernameOf(authorization: Authorization): string | undefined {
  return authorization.org.username ?? authorization.org.user_auth?.username;
}

/** `DatacloudOrg` is the legacy spelling the plugin maps to `DataCloudOrg`. */
export function orgTypeOf(authorization: Authorization): string | undefined {
  const type = authorization.org.type;
  return type === 'DatacloudOrg' ? 'DataCloudOrg' : type;
}

/** The developer name of an authorization (`org.developer_name`, the list's key). */
export function developerNameOf(authorization: Authorization): string | undefined {
  return authorization.org.developer_name ?? (typeof authorization.developer_name === 'string' ? authorization.developer_name : undefined);
}

/** Humanized like the plugin does (`authorized` -> `Authorized`). */
export function humanizeStatus(status: string): string {
  return status.length === 0 ? status : status[0]!.toUpperCase() + status.slice(1);
}

/** The lines `info` and `authorize` print: one "label: value" per known field, tokens never. */
export function describeAuthorization(authorization: Authorization): string[] {
  const rows: Array<[string, string | undefined]> = [
    ['Developer name', developerNameOf(authorization)],
    ['Status', authorization.status],
    ['Type', orgTypeOf(authorization)],
    ['Alias', authorization.alias],
    ['Id', String(authorization.id)],
    ['Org id', authorization.org.id],
    ['Instance URL', authorization.org.instance_url],
    ['Username', usernameOf(authorization)],
    ['Connection method', authorization.connection_method],
    ['Created', joinWho(authorization.created_at, authorization.created_by)],
    ['Last modified', joinWho(authorization.last_modified_at, authorization.last_modified_by)],
    ['Error', authorization.error?.message],
  ];
  const present = rows.filter((row): row is [string, string] => typeof row[1] === 'string' && row[1] !== '');
  const width = Math.max(...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${oneLine(value)}`);
}

/**
 * The `list` table: developer name, type, status, alias, org id, username, last modified. When the
 * table is wider than `columns` (long aliases or usernames), one block per authorization instead,
 * the same fields one per line, so no line runs past the width and nothing is left out.
 */
export function formatAuthorizationTable(authorizations: readonly Authorization[], columns = Number.POSITIVE_INFINITY): string {
  const header = ['Developer name', 'Type', 'Status', 'Alias', 'Org id', 'Username', 'Last modified'];
  const rows = authorizations.map((authorization) => [
    developerNameOf(authorization) ?? '',
    orgTypeOf(authorization) ?? '',
    authorization.status,
    authorization.alias ?? '',
    authorization.org.id ?? '',
    usernameOf(authorization) ?? '',
    authorization.last_modified_at ?? authorization.created_at ?? '',
  ].map((cell) => oneLine(cell)));
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const render = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const table = [render(header), render(widths.map((width) => '-'.repeat(width))), ...rows.map(render)];
  if (table.every((line) => line.length <= columns)) return table.join('\n');
  const labelWidth = Math.max(...header.slice(1).map((title) => title.length)) + 2;
  return rows
    .map(([name, ...cells]) => [name || '(no developer name)', ...cells.flatMap((cell, index) => (cell ? [`  ${`${header[index + 1]}:`.padEnd(labelWidth)}${cell}`] : []))].join('\n'))
    .join('\n\n');
}

/** "<at> by <by>", either part alone, or '' (a row that is left out). */
function joinWho(at: string | undefined, by: string | undefined): string {
  return [at, by ? `by ${by}` : undefined].filter(Boolean).join(' ');
}

function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x1f\x7f]+/g, ' ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
