/** Set by the build (esbuild define) from package.json; "dev" when run from source. */
declare const PIN_HOOKS_VERSION: string | undefined;
export const VERSION = typeof PIN_HOOKS_VERSION === 'string' ? PIN_HOOKS_VERSION : 'dev';
