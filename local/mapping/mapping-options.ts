import type { ArrivalClock } from './arrival-clock';
import type { Clock } from './clock';
import type { Doorbell } from './doorbell';
import type { MappingActivity } from './mapping-activity';
import type { Backoff } from './retry-episode';
import type { MappingDefinition } from '../assembly/definitions';
import type { DeliveryRetry } from '../destinations/destination-delivery';
import type { LocalFailureDestination } from '../destinations/failure-destination-writer';
import type { StreamSource } from '../engine/stream-source';
import type { InvokeResult } from '../lambda/function-host';
import type { Ledger } from '../ledger/ledger';

/** What one emulated event source mapping is given: its settings, its stream, its function, and where it reports. */
export interface MappingEmulatorOptions {
  readonly mapping: MappingDefinition;
  /** The stream as DynamoDB Local names it: every Streams API call uses it. */
  readonly streamArn: string;
  /**
   * The stream ARN the function and the failure destination see (records' `eventSourceARN`, the tumbling-window
   * event's, the on-failure record's `streamArn`), e.g. with the stack's account and region instead of
   * DynamoDB Local's `ddblocal:000000000000`. Default: `streamArn`.
   */
  readonly eventSourceArn?: string;
  /** The key of this mapping's records in the ledger; mappings sharing a stream need different ones. Default: `streamArn`. */
  readonly ledgerKey?: string;
  readonly source: StreamSource;
  readonly invoke: (event: unknown) => Promise<InvokeResult>;
  readonly functionArn: string;
  readonly region: string;
  readonly ledger: Ledger;
  readonly destination?: LocalFailureDestination;
  readonly clock?: Clock;
  /**
   * Creation times of the stream's records, shared by every reader of the stream (each mapping and the audit) so
   * they agree. Default: one of its own on `clock`.
   */
  readonly arrivals?: ArrivalClock;
  /** Pause after an empty poll; AWS polls each shard about four times a second. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Rung when the stream may have new records: a reader waiting for its next poll, and shard discovery, go
   * at once. With one, a reader whose shard stays empty polls less and less often, down to
   * `idlePollIntervalMs`. Default: none (every reader polls every `pollIntervalMs`).
   */
  readonly doorbell?: Doorbell;
  /** With a `doorbell`: the longest pause of a reader whose shard has been empty a while. Default 2,000 ms. */
  readonly idlePollIntervalMs?: number;
  /**
   * How often new shards are looked for; with a `doorbell`, ten times less often, or every `idlePollIntervalMs`
   * if that is longer, while nothing rings. Default 1,000 ms.
   */
  readonly shardDiscoveryIntervalMs?: number;
  /** Backoff between retries of a failing batch: base doubled per attempt, capped. Default 100 ms .. 2 s. */
  readonly retryBackoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Backoff of Streams calls that fail (GetShardIterator, GetRecords, DescribeStream). Default 100 ms .. 5 s. */
  readonly streamCallBackoff?: Backoff;
  /** Tries of a failure-destination write before it counts as a destination delivery failure. Default 3, 100 ms apart, doubling. */
  readonly destinationRetry?: DeliveryRetry;
  /** What the mapping does; a listener that throws is reported as a process warning and cannot break the mapping. */
  readonly onActivity?: (activity: MappingActivity) => void;
}
