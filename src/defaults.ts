import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CHANGE_LOG_DEFAULTS } from './shared/change-log-environment';

// The defaults of the construct's props, in one place; each is documented by the prop's `@default`.
// The bundled handler's own defaults (what it does when a variable is unset) are src/shared/change-log-environment.ts.

/** Defaults of the table (StreamTriggeredTableProps). */
export const TABLE_DEFAULTS = {
  removalPolicy: RemovalPolicy.RETAIN,
  streamViewType: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  pointInTimeRecovery: true,
  deletionProtection: false,
} as const;

/** Defaults of a consumer's event source mapping (StreamConsumerOptions). */
export const MAPPING_DEFAULTS = {
  startingPosition: lambda.StartingPosition.TRIM_HORIZON,
  batchSize: 100,
  retryAttempts: 10,
  maxRecordAge: Duration.hours(6),
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  enabled: true,
  mappingMetrics: true,
} as const;

/**
 * Defaults of StreamHandler.bundled() (BundledHandlerOptions). Its logImages and redactAttributes defaults are the
 * handler's own (changeLogEnvironment() applies them); so is its log level, which the function's application log
 * level follows too.
 */
export const BUNDLED_HANDLER_DEFAULTS = {
  logLevel: CHANGE_LOG_DEFAULTS.logLevel,
  memorySize: 256,
  timeout: Duration.seconds(30),
  logRetention: logs.RetentionDays.THREE_MONTHS,
  tracing: lambda.Tracing.DISABLED,
} as const;

/** Defaults of FailureDestination.newBucket(). */
export const FAILURE_BUCKET_DEFAULTS = {
  expiration: Duration.days(90),
} as const;

/** How long a DynamoDB stream keeps a record (docs/offline-runner.md, "Event source mapping semantics"). */
export const STREAM_RETENTION = Duration.hours(24);
