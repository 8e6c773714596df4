import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AlarmOptions } from './alarms';
import { FailureDestination } from './failure-destination';
import { StreamFilter } from './stream-filter';
import { StreamHandler } from './stream-handler';

/**
 * How one consumer of a table's stream runs: its code, its event source mapping, its failure
 * destination and its alarms. The table's props describe its first consumer; `addConsumer` adds more.
 */
export interface StreamConsumerOptions {
  // ---- The code ----

  /**
   * The code that runs for every change.
   *
   * @default StreamHandler.bundled()
   */
  readonly handler?: StreamHandler;

  // ---- The event source mapping ----

  /**
   * Where the mapping starts reading a new stream. TRIM_HORIZON processes every record still in
   * the stream, so nothing written before the mapping exists is missed.
   *
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;

  /**
   * Largest number of records in one invocation (1 to 10,000).
   *
   * @default 100
   */
  readonly batchSize?: number;

  /**
   * How long the mapping gathers records before invoking (0 to 300 seconds).
   *
   * @default - no batching window (invoke as soon as records arrive)
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Number of concurrent batches per shard (1 to 10). Order is kept per item key.
   *
   * @default 1
   */
  readonly parallelizationFactor?: number;

  /**
   * Retries of a failing batch before it goes to the failure destination (0 to 10,000). Bounded,
   * so that a poison record leaves its shard within minutes instead of blocking it for 24 hours.
   *
   * @default 10
   */
  readonly retryAttempts?: number;

  /**
   * Age after which a record goes to the failure destination without being processed (60 seconds
   * to 7 days). Six hours absorbs long outages, and leaves 18 of the stream's 24 hours to read the
   * records back when the destination is a queue or topic.
   *
   * @default Duration.hours(6)
   */
  readonly maxRecordAge?: Duration;

  /**
   * Split a failing batch in two and retry each half, so a poison record is isolated (bisecting
   * does not use up retries).
   *
   * @default true
   */
  readonly bisectBatchOnError?: boolean;

  /**
   * Let the function report the first failed record, so the records before it are not resent.
   *
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;

  /**
   * Tumbling window for aggregations with state (0 to 900 seconds).
   *
   * @default - no tumbling window
   */
  readonly tumblingWindow?: Duration;

  /**
   * Filters: a record is delivered when it matches any of them (at most 5). Others are dropped.
   *
   * @default - every record is delivered
   */
  readonly filters?: StreamFilter[];

  /**
   * Customer managed key that encrypts the filter criteria. Requires `filters`.
   *
   * @default - filter criteria are encrypted with an AWS owned key
   */
  readonly filterEncryption?: kms.IKey;

  /**
   * Whether the mapping polls the stream.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Enhanced mapping metrics (polled, filtered, invoked, failed, dropped and delivered-to-destination
   * event counts). The failure-destination and dropped-records alarms read them.
   *
   * @default true
   */
  readonly mappingMetrics?: boolean;

  // ---- Failure destination ----

  /**
   * Where a batch goes when its retries or age run out.
   *
   * @default FailureDestination.newBucket(): keeps the records themselves beyond the stream's 24 hours
   */
  readonly failureDestination?: FailureDestination;

  // ---- Alarms ----

  /**
   * Actions of every alarm (for example an SNS action).
   *
   * @default - no actions
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * Whether any alarm is created. Each alarm can also be turned off on its own.
   *
   * @default true
   */
  readonly createAlarms?: boolean;

  /**
   * Lag: maximum IteratorAge (ms).
   *
   * @default - threshold 300,000 ms (5 minutes), 1-minute period, 5 of 5 periods
   */
  readonly iteratorAgeAlarm?: AlarmOptions;

  /**
   * Function errors (sum).
   *
   * @default - threshold 1, 5-minute period, 1 of 1 period
   */
  readonly errorsAlarm?: AlarmOptions;

  /**
   * Function throttles (sum).
   *
   * @default - threshold 1, 5-minute period, 3 of 3 periods
   */
  readonly throttlesAlarm?: AlarmOptions;

  /**
   * Records that reached the failure destination (sum of OnFailureDestinationDeliveredEventCount).
   *
   * @default - threshold 1, 5-minute period, 1 of 1 period
   */
  readonly failureDestinationAlarm?: AlarmOptions;

  /**
   * Records dropped or lost: dropped by the mapping (DroppedEventCount) or not delivered to the
   * failure destination (DestinationDeliveryFailures).
   *
   * @default - threshold 1, 5-minute period, 1 of 1 period
   */
  readonly droppedRecordsAlarm?: AlarmOptions;
}
