/**
 * Contender (d): the hand-written resources of (b), but the function is a NodejsFunction that bundles
 * the handler's TypeScript source with esbuild at synth time (locally, never Docker), with the same
 * esbuild settings as the prebuilt asset. Every table's function has the same entry, as in a real app.
 */
import * as path from 'path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { HANDLER_ENTRY, HANDLER_SETTINGS, REPO_ROOT, runApp } from './common';
import { handWiredTable } from './hand-wired';

runApp((stack, id) => handWiredTable(stack, id, (scope, fnId, role, logGroup) => new nodejs.NodejsFunction(scope, fnId, {
  ...HANDLER_SETTINGS,
  entry: HANDLER_ENTRY,
  projectRoot: REPO_ROOT,
  depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
  bundling: {
    forceDockerBundling: false,
    target: 'node20',
    format: nodejs.OutputFormat.CJS,
    minify: true,
    externalModules: [], // inline @aws-sdk/util-dynamodb like the prebuilt asset
    esbuildArgs: { '--legal-comments': 'none' },
  },
  role,
  logGroup,
})));
