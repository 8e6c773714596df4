/**
 * Turns a record read from the DynamoDB Streams API (GetRecords, through the AWS SDK v3 or as raw JSON)
 * into the shape a Lambda function receives from an event source mapping, so that what DynamoDB Local
 * produces can be fed to the handler exactly as AWS would feed it (docs/offline-runner.md).
 *
 * Differences the mapping makes (and we reproduce):
 * - `ApproximateCreationDateTime` is a JSON number of epoch seconds (the SDK gives a Date).
 * - binary values (`B`, `BS`) are base64 strings (the SDK gives Uint8Array).
 * - `userIdentity` is camelCase `{ type, principalId }` (the Streams API says `{ Type, PrincipalId }`).
 * - `eventSourceARN` (the stream ARN) is added; `eventVersion` is "1.1", `eventSource` "aws:dynamodb".
 * What we keep: DynamoDB Local's `eventID` (a UUID, not AWS's 32 hex characters), its `awsRegion`
 * ("ddblocal") unless one is given, its sequence numbers, and its `ApproximateCreationDateTime` (rounded
 * down to the minute, where AWS rounds down to the second) unless a better one is given.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { StreamsApiRecord } from '../engine/stream-source';

export type { StreamsApiRecord };


export interface NormalizeOptions {
  /** The stream ARN the function sees (Lambda puts it on every record). */
  readonly eventSourceARN: string;
  /** Overrides the record's own region (DynamoDB Local says "ddblocal"). */
  readonly awsRegion?: string;
  /**
   * Writes DynamoDB Local's UUID eventID as Lambda's 32 hex characters (the same hex without dashes).
   * Default false: recorded fixtures keep what DynamoDB Local gave.
   */
  readonly lambdaEventId?: boolean;
  /**
   * Overrides the record's `ApproximateCreationDateTime` (epoch seconds): DynamoDB Local's is rounded down
   * to the minute, and the mapping knows the time to the second (see arrival-clock.ts).
   */
  readonly approximateCreationDateTime?: number;
}

export function normalizeRecord(record: StreamsApiRecord, options: NormalizeOptions): DynamoDBRecord {
  const ddb = record.dynamodb ?? {};
  // Same key order as a real Lambda event, so fixtures read like the AWS documentation's examples.
  const dynamodb: Record<string, unknown> = {};
  if (options.approximateCreationDateTime !== undefined) {
    dynamodb.ApproximateCreationDateTime = options.approximateCreationDateTime;
  } else if (ddb.ApproximateCreationDateTime !== undefined) {
    dynamodb.ApproximateCreationDateTime = toEpochSeconds(ddb.ApproximateCreationDateTime);
  }
  if (ddb.Keys !== undefined) {
    dynamodb.Keys = normalizeImage(ddb.Keys);
  }
  if (ddb.NewImage !== undefined) {
    dynamodb.NewImage = normalizeImage(ddb.NewImage);
  }
  if (ddb.OldImage !== undefined) {
    dynamodb.OldImage = normalizeImage(ddb.OldImage);
  }
  dynamodb.SequenceNumber = ddb.SequenceNumber;
  dynamodb.SizeBytes = ddb.SizeBytes;
  dynamodb.StreamViewType = ddb.StreamViewType;

  const uuid = options.lambdaEventId && record.eventID && /^[0-9a-f-]{36}$/i.test(record.eventID);
  const normalized: Record<string, unknown> = {
    eventID: uuid ? record.eventID!.replace(/-/g, '') : record.eventID,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: options.awsRegion ?? record.awsRegion,
    dynamodb,
    eventSourceARN: options.eventSourceARN,
  };
  const identity = record.userIdentity;
  if (identity) {
    normalized.userIdentity = {
      type: identity.type ?? identity.Type,
      principalId: identity.principalId ?? identity.PrincipalId,
    };
  }
  return normalized as DynamoDBRecord;
}

/** A Streams API `ApproximateCreationDateTime` as epoch seconds. */
export function toEpochSeconds(value: Date | number): number {
  // Lambda delivers whole seconds (AWS rounds down); a Date from the SDK carries milliseconds.
  return value instanceof Date ? Math.floor(value.getTime() / 1000) : value;
}

function normalizeImage(image: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(image)) {
    out[name] = normalizeAttributeValue(value);
  }
  return out;
}

/** Keeps the single type key of an attribute value and turns binary into base64; drops SDK-only keys like `$unknown`. */
function normalizeAttributeValue(value: unknown): Record<string, unknown> {
  const av = value as Record<string, unknown>;
  if (av.B !== undefined) {
    return { B: toBase64(av.B) };
  }
  if (av.BS !== undefined) {
    return { BS: (av.BS as unknown[]).map(toBase64) };
  }
  if (av.M !== undefined) {
    return { M: normalizeImage(av.M as Record<string, unknown>) };
  }
  if (av.L !== undefined) {
    return { L: (av.L as unknown[]).map(normalizeAttributeValue) };
  }
  for (const key of ['S', 'N', 'BOOL', 'NULL', 'SS', 'NS'] as const) {
    if (av[key] !== undefined) {
      return { [key]: av[key] };
    }
  }
  throw new Error(`unsupported attribute value: ${JSON.stringify(value)}`);
}

function toBase64(value: unknown): string {
  if (typeof value === 'string') {
    return value; // raw JSON from the Streams API is already base64
  }
  if (value instanceof Uint8Array) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  throw new Error(`unsupported binary value: ${typeof value}`);
}
