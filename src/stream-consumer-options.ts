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
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-StartingPosition
   */
  readonly startingPosition?: lambda.StartingPosition;

  /**
   * Largest number of records in one invocation (1 to 10,000).
   *
   * @default 100
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-BatchSize
   */
  readonly batchSize?: number;

  /**
   * How long the mapping gathers records before invoking (0 to 300 seconds).
   *
   * @default - no batching window (invoke as soon as records arrive)
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-MaximumBatchingWindowInSeconds
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Number of concurrent batches per shard (1 to 10). Order is kept per item key.
   *
   * @default 1
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-ParallelizationFactor
   */
  readonly parallelizationFactor?: number;

  /**
   * Retries of a failing batch before it goes to the failure destination (0 to 10,000). Bounded,
   * so that a poison record leaves its shard within minutes instead of blocking it for 24 hours.
   *
   * @default 10
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-MaximumRetryAttempts
   */
  readonly retryAttempts?: number;

  /**
   * Age after which a record goes to the failure destination without being processed (60 seconds
   * to 7 days). Six hours absorbs long outages, and leaves 18 of the stream's 24 hours to read the
   * records back when the destination is a queue or topic.
   *
   * @default Duration.hours(6)
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-MaximumRecordAgeInSeconds
   */
  readonly maxRecordAge?: Duration;

  /**
   * Split a failing batch in two and retry each half, so a poison record is isolated (bisecting
   * does not use up retries).
   *
   * @default true
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-BisectBatchOnFunctionError
   */
  readonly bisectBatchOnError?: boolean;

  /**
   * Let the function report the first failed record, so the records before it are not resent.
   *
   * @default true
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
   */
  readonly reportBatchItemFailures?: boolean;

  /**
   * Tumbling window for aggregations with state (0 to 900 seconds).
   *
   * @default - no tumbling window
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-windows.html
   */
  readonly tumblingWindow?: Duration;

  /**
   * Filters: a record is delivered when it matches any of them (at most 5). Others are dropped.
   *
   * @default - every record is delivered
   * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
   */
  readonly filters?: StreamFilter[];

  /**
   * Customer managed key that encrypts the filter criteria. Requires `filters`.
   *
   * @default - filter criteria are encrypted with an AWS owned key
   * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filter-criteria-encryption
   */
  readonly filterEncryption?: kms.IKey;

  /**
   * Whether the mapping polls the stream.
   *
   * @default true
   * @see https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-Enabled
   */
  readonly enabled?: boolean;

  /**
   * Enhanced mapping metrics (polled, filtered, invoked, failed, dropped and delivered-to-destination
   * event counts). The failure-destination and dropped-records alarms read them.
   *
   * @default true
   * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics
   */
  readonly mappingMetrics?: boolean;

  // ---- Saved queries ----

  /**
   * Saved CloudWatch Logs Insights queries on the bundled handler's log group: the history of one item,
   * changes per event name, deletes made by TTL, batches with failures (their text is in
   * docs/change-log.md). They cost nothing. Only for the bundled handler: `true` with your own function
   * is refused.
   *
   * @default true (with the bundled handler)
   */
  readonly createLogQueries?: boolean;

  // ---- Failure destination ----

  /**
   * Where a batch goes when its retries or age run out.
   *
   * @default FailureDestination.newBucket(): keeps the records themselves beyond the stream's 24 hours
   * @see https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
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
   * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
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
   * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
   */
  readonly throttlesAlarm?: AlarmOptions;

  /**
   * Records that reached the failure destination (sum of OnFailureDestinationDeliveredEventCount).
   *
   * @default - threshold 1, 5-minute period, 1 of 1 period
   * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics
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
