declare const __APPLINK_JWT_VERSION__: string | undefined;
declare const __APPLINK_JWT_HOMEPAGE__: string | undefined;
declare const __APPLINK_JWT_ISSUES__: string | undefined;

/** The package version, inlined by the bundler; `0.0.0-dev` when run from source (tests). */
export const VERSION: string =
  typeof __APPLINK_JWT_VERSION__ === 'string' ? __APPLINK_JWT_VERSION__ : '0.0.0-dev';

/**
 * Where the documentation and the issue tracker are: package.json's `homepage` and `bugs.url`
 * (both derived from its `repository`), inlined by the bundler; undefined when run from source.
 */
export const HOMEPAGE: string | undefined = typeof __APPLINK_JWT_HOMEPAGE__ === 'string' ? __APPLINK_JWT_HOMEPAGE__ : undefined;
export const ISSUES_URL: string | undefined = typeof __APPLINK_JWT_ISSUES__ === 'string' ? __APPLINK_JWT_ISSUES__ : undefined;
