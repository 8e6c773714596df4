/**
 * What the global setup hands to the global teardown: the engine it started and the assembly it synthesized.
 * Jest runs both in its parent process but loads each file in a module registry of its own, so each is kept on
 * the process-wide global.
 */
import type { DynamoDbLocal } from '../engine/dynamodb-local';

interface Handover<T> {
  hold(value: T): void;
  /** The value held, if any, no longer held. */
  release(): T | undefined;
}

function handover<T>(name: string): Handover<T> {
  const key = Symbol.for(`cdk-stream-triggered-table.jest.${name}`);
  const holder = globalThis as { [key: symbol]: T | undefined };
  return {
    hold: (value) => {
      holder[key] = value;
    },
    release: () => {
      const value = holder[key];
      delete holder[key];
      return value;
    },
  };
}

/** The DynamoDB Local the setup started (none when one was given from outside). */
export const sharedEngine = handover<DynamoDbLocal>('shared-dynamodb-local');
/** The assembly the setup synthesized: its variable is the setup's to unset, not one given from outside. */
export const sharedAssembly = handover<string>('shared-assembly');
