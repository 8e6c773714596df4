/**
 * The jest preset's global setup: one DynamoDB Local for the whole jest run, shared by every worker.
 * Its endpoint goes into the environment, which jest's workers inherit; `LocalRunner.start()` in a test file
 * then joins it with tables of its own (a prefix per runner), instead of starting a JVM per file.
 */
import { holdSharedEngine } from './shared-engine';
import { startDynamoDbLocal } from '../engine/dynamodb-local';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from '../engine/shared-dynamodb';

export default async function globalSetup(): Promise<void> {
  // One given from outside (a DynamoDB Local the CI job already runs) is used as it is.
  if (process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE]) return;
  const engine = await startDynamoDbLocal();
  holdSharedEngine(engine);
  process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE] = engine.endpoint;
}
