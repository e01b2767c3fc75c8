/**
 * The environment variables that may configure a proxy. A module of its own so that main.ts (which
 * redacts their credentials) and node-fetch.ts (which loads proxy.ts only when one is set) can read
 * the list without loading the proxy code.
 */
export const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;
