/** The jest preset's global teardown: stops the DynamoDB Local its global setup started (none was given). */
import { sharedAssembly, sharedEngine } from './setup-handover';
import { SHARED_ASSEMBLY_VARIABLE } from '../assembly/shared-assembly';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from '../engine/shared-dynamodb';

export default async function globalTeardown(): Promise<void> {
  if (sharedAssembly.release() !== undefined) delete process.env[SHARED_ASSEMBLY_VARIABLE];
  const engine = sharedEngine.release();
  if (!engine) return;
  delete process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE];
  await engine.stop();
}
