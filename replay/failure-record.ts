/**
 * An event source mapping's on-failure record, decoded: what failed (condition, shard, sequence-number range,
 * when, which function) and, for an S3 destination, the records themselves (the `payload`, the invocation
 * event as a JSON string). SQS and SNS destinations get the range only; see stream-range.ts.
 */
import type { DynamoDBRecord } from 'aws-lambda';

export interface FailureRecord {
  /** Where it was read: `s3://bucket/key`, `file:line`, or the SQS message id. */
  readonly location: string;
  /** Lambda's id of the failed invocation: unique per on-failure record. */
  readonly requestId?: string;
  /** `RetryAttemptsExhausted`, `RecordAgeExceeded`, ... as Lambda wrote it. */
  readonly condition: string;
  /** When the batch was sent to the destination. */
  readonly timestamp: Date;
  readonly functionArn: string;
  readonly shardId: string;
  readonly streamArn: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  /** When the first record of the batch reached the stream: the stream trims it 24 hours later. */
  readonly approximateArrivalOfFirstRecord: Date;
  /** The records as the function received them (S3 destinations only). */
  readonly records?: DynamoDBRecord[];
}

/** Decodes one on-failure record (the object's body, or an SQS message's Body / SNS notification's Message). */
export function decodeFailureRecord(text: string, location: string): FailureRecord {
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${location}: not an on-failure record (not JSON: ${(e as Error).message})`);
  }
  const info = parsed?.DDBStreamBatchInfo;
  const context = parsed?.requestContext;
  const fields = {
    'requestContext.condition': context?.condition,
    'requestContext.functionArn': context?.functionArn,
    'timestamp': parsed?.timestamp,
    'DDBStreamBatchInfo.shardId': info?.shardId,
    'DDBStreamBatchInfo.streamArn': info?.streamArn,
    'DDBStreamBatchInfo.startSequenceNumber': info?.startSequenceNumber,
    'DDBStreamBatchInfo.endSequenceNumber': info?.endSequenceNumber,
    'DDBStreamBatchInfo.approximateArrivalOfFirstRecord': info?.approximateArrivalOfFirstRecord,
  };
  const missing = Object.entries(fields).filter(([, v]) => typeof v !== 'string' || v.length === 0).map(([k]) => k);
  if (missing.length > 0) {
    throw new Error(`${location}: not a DynamoDB stream on-failure record (no ${missing.join(', ')})`);
  }
  let records: DynamoDBRecord[] | undefined;
  if (parsed.payload !== undefined) {
    const event = typeof parsed.payload === 'string' ? parseJson(parsed.payload, `${location}: payload`) : parsed.payload;
    if (!Array.isArray(event?.Records) || event.Records.length === 0) {
      throw new Error(`${location}: payload holds no Records`);
    }
    records = event.Records as DynamoDBRecord[];
  }
  return {
    location,
    requestId: typeof context.requestId === 'string' ? context.requestId : undefined,
    condition: context.condition,
    timestamp: new Date(parsed.timestamp),
    functionArn: context.functionArn,
    shardId: info.shardId,
    streamArn: info.streamArn,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
    batchSize: typeof info.batchSize === 'number' ? info.batchSize : records?.length ?? 0,
    approximateArrivalOfFirstRecord: new Date(info.approximateArrivalOfFirstRecord),
    records,
  };
}

/**
 * The on-failure record inside a message as a queue or topic delivers it: an SQS message (`Body`), an SNS
 * notification (`Message`), or the record itself.
 */
export function unwrapMessage(text: string, location: string): string {
  const parsed = parseJson(text, location) as Record<string, unknown>;
  if (typeof parsed?.Body === 'string') return parsed.Body;
  if (parsed?.Type === 'Notification' && typeof parsed.Message === 'string') return parsed.Message;
  return text;
}

function parseJson(text: string, where: string): any {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
}
