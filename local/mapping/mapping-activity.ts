import type { FailureCondition } from '../destinations/failure-destination-writer';
import type { InvokeResult } from '../lambda/function-host';

/** The background parts of a mapping, as an error report names them. */
export type MappingComponent =
  /** `start()`: listing the shards and pinning LATEST. */
  | 'start'
  /** Looking for new shards every second. */
  | 'shard-discovery'
  /** Reading one shard (GetShardIterator, GetRecords). */
  | 'shard-reader'
  /** Batching and invoking one parallelization slot of a shard. */
  | 'lane';

/** What the mapping did, for logs and tests. */
export type MappingActivity =
  | { readonly type: 'invoke'; readonly shardId: string; readonly records: number; readonly result: InvokeResult; readonly event: unknown }
  | { readonly type: 'retry'; readonly shardId: string; readonly attempt: number; readonly reason: string; readonly records: number }
  | { readonly type: 'bisect'; readonly shardId: string; readonly records: number }
  | { readonly type: 'failure-destination'; readonly shardId: string; readonly condition: FailureCondition; readonly records: number; readonly location?: string }
  | { readonly type: 'dropped'; readonly shardId: string; readonly condition: FailureCondition; readonly records: number }
  | { readonly type: 'filtered'; readonly shardId: string; readonly records: number }
  | { readonly type: 'iterator-recovered'; readonly shardId: string; readonly reason: string }
  /**
   * A part of the mapping failed. Reported once per episode: a Streams call that keeps failing is retried
   * with backoff (`retrying: true`) and reported again only as `recovered`; a bug in a lane stops that lane,
   * whose records stay pending (`retrying: false`).
   */
  | {
    readonly type: 'error';
    /** `-` for the mapping as a whole (start, shard discovery). */
    readonly shardId: string;
    readonly message: string;
    readonly component?: MappingComponent;
    /** The call that failed (`GetShardIterator`, `GetRecords`, `DescribeStream`), when it was one. */
    readonly operation?: string;
    /** What the failure holds up, in words (e.g. `shard X is not read until GetShardIterator succeeds`). */
    readonly affects?: string;
    /** True when the part retries by itself; false when it has given up (its records stay pending). */
    readonly retrying?: boolean;
  }
  /** The end of an error episode: the call that kept failing succeeded. */
  | {
    readonly type: 'recovered';
    readonly shardId: string;
    readonly component: MappingComponent;
    readonly operation: string;
    /** How many calls failed in the episode. */
    readonly failures: number;
  }
  /**
   * A failed batch could not be written to the failure destination, after `attempts` tries: counted as a
   * destination delivery failure (AWS's DestinationDeliveryFailures), and the mapping moved past it.
   */
  | {
    readonly type: 'destination-delivery-failed';
    readonly shardId: string;
    readonly condition: FailureCondition;
    readonly records: number;
    /** The destination's location (`s3://…/`, or the JSONL file). */
    readonly destination: string;
    readonly attempts: number;
    readonly message: string;
  }
  /** `stop()` was called: `pending` records were held by the mapping (queued, in flight, waiting for a retry). */
  | { readonly type: 'stopped'; readonly shardId: string; readonly pending: number };
