/**
 * Reads a failed batch's records back from the table's stream, for destinations that got only the range
 * (SQS, SNS): GetShardIterator AT_SEQUENCE_NUMBER at the first sequence number, then GetRecords up to the
 * last. The stream keeps records 24 hours: past that, they are gone, and this says so rather than replay less.
 */
import {
  DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import type { FailureRecord } from './failure-record';
import { compareSequenceNumbers } from '../local/engine/sequence';
import { normalizeRecord, StreamsApiRecord } from '../local/mapping/normalize-record';
import { plural } from '../local/wording';

/** How long DynamoDB Streams keeps a record. */
export const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Empty pages read from an open shard before the range is taken as not all there. */
const MAX_EMPTY_PAGES = 10;

/** The records of a range are no longer in the stream: nothing can replay them. */
export class PastRetentionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PastRetentionError';
  }
}

export async function readRangeFromStream(client: DynamoDBStreamsClient, failure: FailureRecord, now: Date): Promise<DynamoDBRecord[]> {
  const range = `shard ${failure.shardId}, sequence numbers ${failure.startSequenceNumber} to ${failure.endSequenceNumber}`;
  const gone = (why: string) => new PastRetentionError(`the records of ${range} are past the stream's 24-hour retention `
    + `(${why}): they cannot be read back. Only an S3 failure destination keeps the records themselves`);
  const ageMs = now.getTime() - failure.approximateArrivalOfFirstRecord.getTime();
  if (ageMs > STREAM_RETENTION_MS) {
    throw gone(`the first reached the stream at ${failure.approximateArrivalOfFirstRecord.toISOString()}, ${(ageMs / 3_600_000).toFixed(1)} hours ago`);
  }

  const streamArn = await resolveStreamArn(client, failure.streamArn);
  let iterator: string | undefined;
  try {
    iterator = (await client.send(new GetShardIteratorCommand({
      StreamArn: streamArn, ShardId: failure.shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: failure.startSequenceNumber,
    }))).ShardIterator;
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'TrimmedDataAccessException') throw gone('the stream has trimmed them');
    if (name === 'ResourceNotFoundException') throw gone('their shard no longer exists');
    throw e;
  }

  const region = failure.streamArn.split(':')[3];
  const records: DynamoDBRecord[] = [];
  let emptyPages = 0;
  let reachedEnd = false;
  while (iterator && !reachedEnd && emptyPages < MAX_EMPTY_PAGES) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    const pageRecords = (page.Records ?? []) as StreamsApiRecord[];
    emptyPages = pageRecords.length === 0 ? emptyPages + 1 : 0;
    for (const raw of pageRecords) {
      const sequenceNumber = raw.dynamodb?.SequenceNumber ?? '';
      if (compareSequenceNumbers(sequenceNumber, failure.endSequenceNumber) > 0) {
        reachedEnd = true;
        break;
      }
      if (compareSequenceNumbers(sequenceNumber, failure.startSequenceNumber) >= 0) {
        records.push(normalizeRecord(raw, { eventSourceARN: failure.streamArn, awsRegion: region }));
      }
      if (sequenceNumber === failure.endSequenceNumber) reachedEnd = true;
    }
    iterator = page.NextShardIterator;
  }
  if (!reachedEnd) {
    throw new Error(`the stream holds ${plural(records.length, 'record')} of ${range}, not up to its last one: read them again later`);
  }
  return records;
}

/**
 * The stream's ARN as the endpoint knows it. The recorded ARN names the stream's region and account; an
 * endpoint that names its streams otherwise (DynamoDB Local says `ddblocal` and `000000000000`) is asked for
 * the table's streams, and the one with the same label is used: the same stream, never another one.
 */
async function resolveStreamArn(client: DynamoDBStreamsClient, recorded: string): Promise<string> {
  try {
    await client.send(new DescribeStreamCommand({ StreamArn: recorded, Limit: 1 }));
    return recorded;
  } catch (e) {
    if ((e as Error).name !== 'ResourceNotFoundException') throw e;
  }
  const match = /:table\/([^/]+)\/stream\/(.+)$/.exec(recorded);
  if (match) {
    const [, tableName, label] = match;
    const out = await client.send(new ListStreamsCommand({ TableName: tableName }));
    const same = (out.Streams ?? []).find((s) => s.StreamArn?.endsWith(`:table/${tableName}/stream/${label}`));
    if (same?.StreamArn) return same.StreamArn;
  }
  throw new PastRetentionError(`the stream ${recorded} no longer exists (its table was deleted or its stream turned off): `
    + 'its records cannot be read back');
}
