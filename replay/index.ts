/** Replays an event source mapping's failed DynamoDB stream batches (the library behind `cdk-stream-triggered-table replay`). */
export { replayFailedRecords } from './replay';
export type { ReplayFilters, ReplayOptions, ReplayOutcome, ReplayReport, ReplayStatus } from './replay';
export { decodeFailureRecord } from './failure-record';
export type { FailureRecord } from './failure-record';
export { FileFailureSource, S3FailureSource, SqsFailureSource, FAILURE_PREFIX, REPLAYED_PREFIX } from './failure-sources';
export type { FailureEntry, FailureListing, FailureSource } from './failure-sources';
export { PastRetentionError, STREAM_RETENTION_MS } from './stream-range';
