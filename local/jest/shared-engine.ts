/**
 * Where the global setup leaves the engine for the global teardown. Jest runs both in its parent process
 * but loads each file in a module registry of its own, so the handle is kept on the process-wide global.
 */
import type { DynamoDbLocal } from '../engine/dynamodb-local';

const KEY = Symbol.for('cdk-stream-triggered-table.jest.shared-dynamodb-local');
type Holder = { [KEY]?: DynamoDbLocal };

export function holdSharedEngine(engine: DynamoDbLocal): void {
  (globalThis as Holder)[KEY] = engine;
}

export function releaseSharedEngine(): DynamoDbLocal | undefined {
  const holder = globalThis as Holder;
  const engine = holder[KEY];
  delete holder[KEY];
  return engine;
}
