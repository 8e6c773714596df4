import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { STREAM_RETENTION } from './defaults';
import { MAX_FILTERS, validateFilterPattern } from './filter-validation';
import type { StreamConsumerOptions } from './stream-consumer-options';
import type { StreamTriggeredTableProps } from './stream-triggered-table-props';

// Synth-time checks of everything AWS would refuse (or silently accept and never honour).
// Every message names the prop and the value received; token values are not checked.

/** Props that describe a new table, refused next to `existingTable`. */
const TABLE_PROPS = [
  'partitionKey', 'sortKey', 'tableName', 'billing', 'encryption', 'pointInTimeRecovery',
  'deletionProtection', 'removalPolicy', 'timeToLiveAttribute',
] as const;

/** Checks the props that choose and describe the table. */
export function validateTableProps(props: StreamTriggeredTableProps): void {
  if (props.existingTable) {
    const given = TABLE_PROPS.filter((name) => props[name] !== undefined);
    if (given.length > 0) {
      throw new Error(`existingTable cannot be combined with ${given.join(', ')}: `
        + 'those props describe a new table; configure the existing table where it is defined');
    }
    if (!props.existingTable.tableStreamArn) {
      throw new Error(`existingTable ${describeTable(props.existingTable.tableName)} has no stream ARN: `
        + 'enable a stream on the table and import it with Table.fromTableAttributes({ tableArn, tableStreamArn })');
    }
    return;
  }
  if (!props.partitionKey) {
    throw new Error('either partitionKey (to create a table) or existingTable (to use one) is required, got neither');
  }
  const ttl = props.timeToLiveAttribute;
  if (ttl !== undefined && !Token.isUnresolved(ttl)) {
    const keys = [props.partitionKey.name, props.sortKey?.name].filter((k) => k !== undefined);
    if (keys.includes(ttl)) {
      throw new Error(`timeToLiveAttribute must not be a key attribute, got ${JSON.stringify(ttl)} `
        + `(keys: ${keys.map((k) => JSON.stringify(k)).join(', ')}); TTL reads a number attribute outside the key`);
    }
    if (ttl.length === 0) {
      throw new Error('timeToLiveAttribute must be a non-empty attribute name, got ""');
    }
  }
}

/**
 * Checks the options of one consumer (the table's props for its first consumer).
 *
 * @param viewType the stream's view type when known, to check what filters read
 * @param prefix starts every message: '' for the table's props, `consumer <id>: ` for an added consumer
 */
export function validateConsumerOptions(scope: Construct, options: StreamConsumerOptions,
  viewType: dynamodb.StreamViewType | undefined, prefix: string): void {
  validateMapping(scope, options, prefix);
  validateFilters(options, viewType, prefix);
}

function validateMapping(scope: Construct, props: StreamConsumerOptions, prefix: string): void {
  if (props.startingPosition === lambda.StartingPosition.AT_TIMESTAMP) {
    throw new Error(prefix + 'startingPosition AT_TIMESTAMP is not supported for DynamoDB streams, got AT_TIMESTAMP; use TRIM_HORIZON or LATEST');
  }
  intRange(prefix, 'batchSize', props.batchSize, 1, 10_000);
  intRange(prefix, 'parallelizationFactor', props.parallelizationFactor, 1, 10);
  if (props.retryAttempts !== undefined && !Token.isUnresolved(props.retryAttempts) && props.retryAttempts === -1) {
    throw new Error(prefix + 'retryAttempts must be between 0 and 10000, got -1: infinite retries let one poison record block its shard '
      + 'until the stream trims it after 24 hours, and then it is lost without a trace');
  }
  intRange(prefix, 'retryAttempts', props.retryAttempts, 0, 10_000);
  durationRange(prefix, 'maxBatchingWindow', props.maxBatchingWindow, 0, 300);
  durationRange(prefix, 'maxRecordAge', props.maxRecordAge, 60, 604_800);
  durationRange(prefix, 'tumblingWindow', props.tumblingWindow, 0, 900);

  const age = props.maxRecordAge;
  if (age && !age.isUnresolved() && age.toSeconds() > STREAM_RETENTION.toSeconds()) {
    Annotations.of(scope).addWarningV2('cdk-stream-triggered-table:maxRecordAgeAboveRetention',
      `${prefix}maxRecordAge is ${age.toHumanString()}, longer than the stream's 24-hour retention: a failing record will be trimmed `
      + 'from the stream (and lost, uncounted) before it reaches the failure destination. Use at most 24 hours.');
  }
}

function validateFilters(props: StreamConsumerOptions, viewType: dynamodb.StreamViewType | undefined, prefix: string): void {
  const filters = props.filters ?? [];
  if (filters.length > MAX_FILTERS) {
    throw new Error(`${prefix}filters may hold at most ${MAX_FILTERS} filters, got ${filters.length}; combine alternatives with $or`);
  }
  if (props.filterEncryption && filters.length === 0) {
    throw new Error(prefix + 'filterEncryption is set but filters is empty: there is nothing to encrypt; remove filterEncryption or add filters');
  }
  filters.forEach((filter, i) => {
    validateFilterPattern(filter.toPattern(), `${prefix}filters[${i}]`, viewType);
  });
}

function intRange(prefix: string, name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prefix}${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

function durationRange(prefix: string, name: string, value: Duration | undefined, minSeconds: number, maxSeconds: number): void {
  if (value === undefined || value.isUnresolved()) return;
  const ms = value.toMilliseconds();
  if (ms % 1000 !== 0 || ms < minSeconds * 1000 || ms > maxSeconds * 1000) {
    throw new Error(`${prefix}${name} must be a whole number of seconds between ${minSeconds} and ${maxSeconds}, got ${ms / 1000} seconds`);
  }
}

function describeTable(name: string): string {
  return Token.isUnresolved(name) ? '(name is a token)' : JSON.stringify(name);
}
