/** The jest preset's global teardown: stops the DynamoDB Local its global setup started (none was given). */
import { releaseSharedAssembly, releaseSharedEngine } from './shared-engine';
import { SHARED_ASSEMBLY_VARIABLE } from '../assembly/shared-assembly';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from '../engine/shared-dynamodb';

export default async function globalTeardown(): Promise<void> {
  if (releaseSharedAssembly() !== undefined) delete process.env[SHARED_ASSEMBLY_VARIABLE];
  const engine = releaseSharedEngine();
  if (!engine) return;
  delete process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE];
  await engine.stop();
}
