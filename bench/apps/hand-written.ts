/** Contender (b): the construct's default resources written by hand, with the same prebuilt asset. */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HANDLER_ASSET_DIR, HANDLER_SETTINGS, runApp } from './common';
import { handWiredTable } from './hand-wired';

runApp((stack, id) => handWiredTable(stack, id, (scope, fnId, role, logGroup) => new lambda.Function(scope, fnId, {
  ...HANDLER_SETTINGS,
  code: lambda.Code.fromAsset(HANDLER_ASSET_DIR),
  role,
  logGroup,
})));
