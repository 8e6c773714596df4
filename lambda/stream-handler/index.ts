/**
 * The bundled change-log handler: one structured JSON log line per DynamoDB stream record, one summary
 * line per batch, and partial batch failures for records it cannot read. Contract: docs/change-log.md.
 *
 * Bundled by `npx projen bundle` into assets/stream-handler/index.js with every dependency inlined.
 */
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { BatchSummary } from './batch-summary';
import { ChangeLogger } from './change-logger';
import { readConfig } from './config';
import { describeRecord, DescribeOptions, identify } from './describe-record';
import { RecordError } from './record-error';

// Init, once per execution environment: an invalid configuration throws here, before any record is read.
const config = readConfig(process.env);
const logger = new ChangeLogger({ serviceName: config.serviceName, logLevel: config.logLevel as LogLevel | undefined });
logger.debug('change log configuration', {
  logImages: config.logImages,
  redactAttributes: [...config.redactEntries],
});

/** Powertools' numeric threshold of INFO: change lines are printed at this level or below. */
const INFO = 12;

export const handler = async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
  if (context) {
    logger.addContext(context);
  }
  const records: unknown = event?.Records;
  if (!Array.isArray(records)) {
    logger.error('batch failed', { reason: 'the event has no Records array' });
    logger.warn('batch', new BatchSummary(0).line('failed'));
    throw new Error('a batch in which nothing can be identified fails as a whole: the event has no Records array');
  }

  // The level can change between invocations (Powertools debug sampling), so it is read per batch.
  const options: DescribeOptions = {
    line: logger.level <= INFO,
    logImages: config.logImages,
    redaction: config.redaction,
  };
  const summary = new BatchSummary(records.length);
  for (let index = 0; index < records.length; index++) {
    const record: unknown = records[index];
    let described;
    try {
      described = describeRecord(record, options, Date.now());
    } catch (error) {
      // Stop at the first record that cannot be read: Lambda resends it and everything after it, in order.
      const identity = identify(record);
      const reason = error instanceof RecordError ? error.describe() : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
      logger.error('record failed', {
        eventID: identity.eventID,
        sequenceNumber: identity.sequenceNumber,
        eventName: identity.eventName,
        recordIndex: index,
        reason,
      });
      if (identity.sequenceNumber === undefined) {
        logger.warn('batch', summary.line('failed'));
        throw new Error(`a batch in which nothing can be identified fails as a whole: record ${index} has no usable SequenceNumber (${reason})`);
      }
      logger.warn('batch', summary.line('partial', identity.sequenceNumber));
      return { batchItemFailures: [{ itemIdentifier: identity.sequenceNumber }] };
    }
    if (described.line) {
      logger.info('change', described.line);
    }
    summary.add(described);
  }
  logger.info('batch', summary.line('ok'));
  return { batchItemFailures: [] };
};
