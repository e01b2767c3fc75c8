declare const __APPLINK_JWT_VERSION__: string | undefined;

/** The package version, inlined by the bundler; `0.0.0-dev` when run from source (tests). */
export const VERSION: string =
  typeof __APPLINK_JWT_VERSION__ === 'string' ? __APPLINK_JWT_VERSION__ : '0.0.0-dev';
