/** The S3 parts of the runner, loaded the first time something needs them (see s3-modules.ts for why). */
import type * as S3Modules from './s3-modules';

let loaded: typeof S3Modules | undefined;

export function s3Modules(): typeof S3Modules {
  // A plain relative require: the runner's bundle leaves it out and finds s3-modules.js next to itself.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./s3-modules') as typeof S3Modules;
  return loaded;
}

/** Throws, naming `what`, when the S3 parts cannot be found (a broken install): without loading them. */
export function requireResolvableS3Modules(what: string): void {
  try {
    require.resolve('./s3-modules');
  } catch (error) {
    throw new Error(`${what} could not start: its code (s3-modules) is missing: ${(error as Error).message}`, { cause: error });
  }
}
