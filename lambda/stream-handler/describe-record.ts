/**
 * One stream record to the fields of its log line. Throws RecordError for anything it cannot read;
 * the handler turns that into a partial batch failure. Only what will be printed is computed: images
 * are unmarshalled when they are logged, compared when a MODIFY carries both, and not read otherwise.
 */
import { changedAttributes } from './changed-attributes';
import { Verbatim } from './log-value';
import { RecordError } from './record-error';
import { Redaction } from './redact';
import { isObject, unmarshallImage } from './unmarshall';

export type EventName = 'INSERT' | 'MODIFY' | 'REMOVE';

export interface DescribeOptions {
  /** Whether the change line will be printed at all (the log level may hide it). */
  readonly line: boolean;
  readonly logImages: boolean;
  readonly redaction: Redaction;
}

/** The fields we add to a Powertools line; see docs/change-log.md for the contract. */
export type ChangeLine = {
  eventName: EventName;
  eventID: string;
  sequenceNumber: string;
  tableName?: string;
  keys: Verbatim;
  changedAttributes?: string[];
  newImage?: Verbatim;
  oldImage?: Verbatim;
  approximateCreationDateTime: string;
  ageMs: number;
  sizeBytes: number;
  streamViewType: string;
  ttlDelete: boolean;
};

export interface DescribedRecord {
  readonly eventName: EventName;
  readonly ageMs: number;
  readonly ttlDelete: boolean;
  /** Present when options.line is true. */
  readonly line?: ChangeLine;
}

const EVENT_NAMES = new Set(['INSERT', 'MODIFY', 'REMOVE']);
const VIEW_TYPES = new Set(['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']);
const SEQUENCE_NUMBER = /^\d+$/;
/** The largest epoch-seconds value a Date can represent. */
const MAX_EPOCH_SECONDS = 8.64e12;
const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';
const TABLE_NAME = /:table\/([^/]+)/;

/** What can be said about a record that failed: only values that are usable as they are. */
export interface RecordIdentity {
  readonly eventID?: string;
  readonly sequenceNumber?: string;
  readonly eventName?: string;
}

export function identify(record: unknown): RecordIdentity {
  if (!isObject(record)) {
    return {};
  }
  const ddb = record.dynamodb;
  const sequenceNumber = isObject(ddb) && usableSequenceNumber(ddb.SequenceNumber) ? ddb.SequenceNumber : undefined;
  return {
    eventID: typeof record.eventID === 'string' && record.eventID ? record.eventID : undefined,
    sequenceNumber,
    eventName: typeof record.eventName === 'string' && EVENT_NAMES.has(record.eventName) ? record.eventName : undefined,
  };
}

export function describeRecord(record: unknown, options: DescribeOptions, nowMs: number): DescribedRecord {
  if (!isObject(record)) {
    throw new RecordError('the record is not an object');
  }
  const ddb = record.dynamodb;
  if (!isObject(ddb)) {
    throw new RecordError('the record has no dynamodb object');
  }
  if (!usableSequenceNumber(ddb.SequenceNumber)) {
    throw new RecordError('dynamodb.SequenceNumber is missing or not a decimal string');
  }
  const sequenceNumber = ddb.SequenceNumber;
  const eventName = record.eventName;
  if (typeof eventName !== 'string' || !EVENT_NAMES.has(eventName)) {
    throw new RecordError('eventName is missing or not one of INSERT, MODIFY, REMOVE');
  }
  const eventID = record.eventID;
  if (typeof eventID !== 'string' || eventID === '') {
    throw new RecordError('eventID is missing or not a string');
  }
  const created = ddb.ApproximateCreationDateTime;
  if (typeof created !== 'number' || !Number.isFinite(created) || created < 0 || created > MAX_EPOCH_SECONDS) {
    throw new RecordError('dynamodb.ApproximateCreationDateTime is missing or not a number of epoch seconds');
  }
  const sizeBytes = ddb.SizeBytes;
  if (typeof sizeBytes !== 'number' || !Number.isInteger(sizeBytes) || sizeBytes < 0) {
    throw new RecordError('dynamodb.SizeBytes is missing or not a non-negative integer');
  }
  const streamViewType = ddb.StreamViewType;
  if (typeof streamViewType !== 'string' || !VIEW_TYPES.has(streamViewType)) {
    throw new RecordError('dynamodb.StreamViewType is missing or not a stream view type');
  }
  if (!isObject(ddb.Keys) || isEmpty(ddb.Keys)) {
    throw new RecordError('dynamodb.Keys is missing or empty');
  }
  // Keys are always read, even when no line is printed: they are small and identify the item.
  const keys = unmarshallImage(ddb.Keys, 'dynamodb.Keys', options.redaction);

  const createdMs = created * 1000;
  const ageMs = Math.round(nowMs - createdMs);
  const ttlDelete = eventName === 'REMOVE' && isTtlIdentity(record.userIdentity);
  if (!options.line) {
    return { eventName: eventName as EventName, ageMs, ttlDelete };
  }

  const { NewImage: newImage, OldImage: oldImage } = ddb;
  // Images are unmarshalled before they are compared, so a malformed value is reported with its image.
  const loggedNewImage = options.logImages && newImage !== undefined
    ? new Verbatim(unmarshallImage(newImage, 'dynamodb.NewImage', options.redaction)) : undefined;
  const loggedOldImage = options.logImages && oldImage !== undefined
    ? new Verbatim(unmarshallImage(oldImage, 'dynamodb.OldImage', options.redaction)) : undefined;
  const tableName = typeof record.eventSourceARN === 'string' ? TABLE_NAME.exec(record.eventSourceARN)?.[1] : undefined;

  // Field order is the order in the printed line: identity first, the (large) images last.
  // Fields left undefined are not printed at all (Powertools drops them). No field is ever '' or null, which
  // Powertools would drop too: the fast path that writes this line (change-logger.ts) relies on it.
  const line: ChangeLine = {
    eventName: eventName as EventName,
    eventID,
    sequenceNumber,
    tableName,
    keys: new Verbatim(keys),
    changedAttributes: eventName === 'MODIFY' && newImage !== undefined && oldImage !== undefined
      ? changedAttributes(oldImage, newImage) : undefined,
    approximateCreationDateTime: new Date(createdMs).toISOString(),
    ageMs,
    sizeBytes,
    streamViewType,
    ttlDelete,
    newImage: loggedNewImage,
    oldImage: loggedOldImage,
  };
  return { eventName: eventName as EventName, ageMs, ttlDelete, line };
}

function usableSequenceNumber(value: unknown): value is string {
  return typeof value === 'string' && SEQUENCE_NUMBER.test(value);
}

/** TTL deletes carry the DynamoDB service as identity: camelCase from Lambda, PascalCase from DynamoDB Local. */
function isTtlIdentity(identity: unknown): boolean {
  if (!isObject(identity)) {
    return false;
  }
  const type = identity.type ?? identity.Type;
  const principalId = identity.principalId ?? identity.PrincipalId;
  return type === 'Service' && principalId === TTL_PRINCIPAL;
}

function isEmpty(object: Record<string, unknown>): boolean {
  for (const _name in object) {
    return false;
  }
  return true;
}
