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

  // Per batch: the level can change between invocations (Powertools debug sampling), and the standard
  // fields of the change lines (context, trace id) are the invocation's. Undefined: no change line is printed.
  const changes = logger.infoLines('change');
  const options: DescribeOptions = {
    line: changes !== undefined,
    logImages: config.logImages,
    redaction: config.redaction,
  };
  const summary = new BatchSummary(records.length);
  try {
    for (let index = 0; index < records.length; index++) {
      const record: unknown = records[index];
      const now = Date.now();
      let described;
      try {
        described = describeRecord(record, options, now);
      } catch (error) {
        // The change lines before it are printed first. Then stop at the first record that cannot be read:
        // Lambda resends it and everything after it, in order.
        changes?.flush();
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
      if (described.line && changes) {
        // Timestamped with the instant its ageMs was computed at.
        changes.write(described.line, now);
      }
      summary.add(described);
    }
  } finally {
    // Every change line is handed to process.stdout before anything else is printed and before returning.
    changes?.flush();
  }
  logger.info('batch', summary.line('ok'));
  return { batchItemFailures: [] };
};
