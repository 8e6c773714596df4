/**
 * The AWS SDK for JavaScript v3 that a function finds offline without bundling it, as every Lambda
 * Node.js runtime provides one under /var/runtime/node_modules. Built by `build.ts` at bundle time into
 * `assets/local-runner/runtime/`: one bundle holding every package below (so a function gets one copy of
 * the SDK core, and errors thrown through lib-dynamodb are instances of client-dynamodb's classes) and a
 * shim package per name in `runtime/node_modules/`. The runner puts that folder on a function's NODE_PATH,
 * after the function's own node_modules, which win as they do on Lambda.
 *
 * Only each package's root export is provided (no `@aws-sdk/client-s3/dist-cjs/...` deep imports).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PROVIDED_SDK_PACKAGES: readonly string[] = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/util-dynamodb',
  '@aws-sdk/client-dynamodb-streams',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-lambda',
];

/**
 * The folder to put on a function's NODE_PATH. Bundled, this file is part of `assets/local-runner/*.js`
 * and the folder is next to it; from the TypeScript sources (jest, ts-node) it is the one the bundle step
 * builds in the repository.
 */
export function sdkRuntimeModulesDir(): string {
  const runningFromSources = path.extname(__filename) === '.ts';
  const runnerDir = runningFromSources ? path.join(__dirname, '..', '..', '..', 'assets', 'local-runner') : __dirname;
  const dir = path.join(runnerDir, 'runtime', 'node_modules');
  if (!fs.existsSync(dir)) {
    throw new Error(`The AWS SDK that offline functions get is missing at ${dir}: run the bundle step (npx projen bundle:local-runner)`);
  }
  return dir;
}
