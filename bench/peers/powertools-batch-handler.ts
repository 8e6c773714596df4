/**
 * Peer (b) of the handler benchmark: the change log written the way a user would write it with the
 * Powertools toolkit, printing the same lines as our handler (docs/change-log.md) on the benchmark's
 * records: BatchProcessor (EventType.DynamoDBStreams) + processPartialResponse, Powertools Logger, and
 * `unmarshall` from @aws-sdk/util-dynamodb.
 *
 * Idiomatic, not hardened, and it shows on other data than the benchmark's (which avoids these cases):
 * - `unmarshall` turns numbers into doubles: a decimal with more than ~17 significant digits is rounded
 *   silently, an integer beyond 2^53 becomes a BigInt (printed as a string by Logger), and a decimal beyond
 *   2^53 with a fraction throws (the record fails);
 * - sets become `Set` objects, which JSON prints as `{}`; an attribute named `__proto__` is lost;
 * - `changedAttributes` compares the unmarshalled values (`isDeepStrictEqual`), so a list and a set with
 *   the same members, or B and S with the same text, compare equal;
 * - no redaction, no validation with a path, and nothing stops at the first failure: BatchProcessor
 *   reports every failed record and Lambda resends from the lowest one.
 * Bundled by bench/peers/build.ts with esbuild, minified like ours.
 */
import { isDeepStrictEqual } from 'node:util';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

type Item = Record<string, unknown>;
type EventName = 'INSERT' | 'MODIFY' | 'REMOVE';

const processor = new BatchProcessor(EventType.DynamoDBStreams);
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'stream-triggered-table' });

let summary = newSummary();

function newSummary() {
  return {
    processed: 0,
    eventNames: { INSERT: 0, MODIFY: 0, REMOVE: 0 } as Record<EventName, number>,
    ttlDeletes: 0,
    oldestAgeMs: undefined as number | undefined,
  };
}

function changedAttributes(oldImage: Item, newImage: Item): string[] {
  const names = new Set([...Object.keys(oldImage), ...Object.keys(newImage)]);
  return [...names].filter((name) => !isDeepStrictEqual(oldImage[name], newImage[name])).sort();
}

const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
  const ddb = record.dynamodb!;
  const eventName = record.eventName as EventName;
  const keys = unmarshall(ddb.Keys as Record<string, AttributeValue>);
  const newImage = ddb.NewImage ? unmarshall(ddb.NewImage as Record<string, AttributeValue>) : undefined;
  const oldImage = ddb.OldImage ? unmarshall(ddb.OldImage as Record<string, AttributeValue>) : undefined;
  const created = new Date(ddb.ApproximateCreationDateTime! * 1000);
  const ageMs = Date.now() - created.getTime();
  const ttlDelete = eventName === 'REMOVE'
    && record.userIdentity?.type === 'Service' && record.userIdentity?.principalId === 'dynamodb.amazonaws.com';

  logger.info('change', {
    eventName,
    eventID: record.eventID,
    sequenceNumber: ddb.SequenceNumber,
    tableName: record.eventSourceARN?.split('/')[1],
    keys,
    changedAttributes: eventName === 'MODIFY' && newImage && oldImage ? changedAttributes(oldImage, newImage) : undefined,
    approximateCreationDateTime: created.toISOString(),
    ageMs,
    sizeBytes: ddb.SizeBytes,
    streamViewType: ddb.StreamViewType,
    ttlDelete,
    newImage,
    oldImage,
  });

  summary.processed++;
  summary.eventNames[eventName]++;
  if (ttlDelete) summary.ttlDeletes++;
  summary.oldestAgeMs = Math.max(summary.oldestAgeMs ?? ageMs, ageMs);
};

export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  logger.addContext(context);
  summary = newSummary();
  const response = await processPartialResponse(event, recordHandler, processor, { context });
  const failures = response.batchItemFailures.length;
  const line = {
    outcome: failures === 0 ? 'ok' : 'partial',
    records: event.Records.length,
    processed: summary.processed,
    failures,
    eventNames: summary.eventNames,
    ttlDeletes: summary.ttlDeletes,
    oldestAgeMs: summary.oldestAgeMs,
  };
  if (failures === 0) logger.info('batch', line);
  else logger.warn('batch', line);
  return response;
};
