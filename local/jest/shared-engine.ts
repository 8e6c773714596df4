/**
 * Where the global setup leaves the engine (and the assembly of the run's app) for the global teardown. Jest runs both in its parent process
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

const ASSEMBLY_KEY = Symbol.for('cdk-stream-triggered-table.jest.shared-assembly');
type AssemblyHolder = { [ASSEMBLY_KEY]?: string };

/** The assembly the global setup synthesized (its variable is the setup's to unset, not one given from outside). */
export function holdSharedAssembly(directory: string): void {
  (globalThis as AssemblyHolder)[ASSEMBLY_KEY] = directory;
}

export function releaseSharedAssembly(): string | undefined {
  const holder = globalThis as AssemblyHolder;
  const directory = holder[ASSEMBLY_KEY];
  delete holder[ASSEMBLY_KEY];
  return directory;
}
