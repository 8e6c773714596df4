import type { DynamoDBRecord } from 'aws-lambda';
import type { ArrivalReader } from './arrival-clock';
import type { Clock } from './clock';
import type { MappingActivity } from './mapping-activity';
import type { MappingEmulatorOptions } from './mapping-options';
import type { Backoff } from './retry-episode';
import type { IteratorPosition } from '../engine/stream-source';

/** What the shard runners and lanes of one mapping share: resolved once, when the mapping is created. */
export interface MappingContext {
  readonly options: MappingEmulatorOptions;
  readonly eventSourceArn: string;
  readonly ledgerKey: string;
  readonly clock: Clock;
  /** Absent when the mapping is disabled: it reads nothing, so it must not hold the other readers' entries. */
  readonly arrivals?: ArrivalReader;
  readonly matches: (record: unknown) => boolean;
  /** Aborted by `stop()`: every wait of the mapping ends at once, and nothing new starts. */
  readonly signal: AbortSignal;
  /** Backoff of Streams calls that fail. */
  readonly streamCallBackoff: Backoff;
  /** Tells `onActivity`; a listener that throws cannot break the mapping. */
  emit(activity: MappingActivity): void;
}

/** A record read from the shard, waiting in a lane. */
export interface Queued {
  readonly record: DynamoDBRecord;
  readonly bytes: number;
  /** When the mapping read it (tumbling windows are cut on this clock). */
  readonly arrivedAt: number;
}

/** What a shard runner tells its lanes and asks of its mapping. */
export interface ShardHooks {
  /** True once the shard's parent is fully processed (or gone): only then is the shard read. */
  parentDrained(): boolean;
  markDrained(): void;
  initialPosition(): IteratorPosition;
}
