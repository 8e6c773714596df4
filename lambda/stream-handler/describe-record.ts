/**
 * One stream record to the fields of its log line. Throws RecordError only for what the handler cannot work
 * without: the record's identity (SequenceNumber, eventName, Keys) and values it reads that are not DynamoDB
 * JSON. Every other member of a stream record is optional in AWS's API reference: when one is absent or cannot
 * be right (a millisecond timestamp, a negative size), the line says so (`absentFields`, `implausibleFields`,
 * docs/change-log.md) and the record is still logged. Only what will be printed is computed: images are
 * unmarshalled when they are logged, compared when a MODIFY carries both, and not read otherwise.
 */
import { changedAttributes } from './changed-attributes';
import { Verbatim } from './log-value';
import { RecordError } from './record-error';
import { Redaction } from './redact';
import { unmarshallImage } from './unmarshall';
import { isPlainObject } from '../../src/shared/is-plain-object';

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
  eventID?: string;
  sequenceNumber: string;
  tableName?: string;
  keys: Verbatim;
  changedAttributes?: string[];
  newImage?: Verbatim;
  oldImage?: Verbatim;
  approximateCreationDateTime?: string;
  ageMs?: number;
  sizeBytes?: number;
  streamViewType?: string;
  ttlDelete: boolean;
  absentFields?: string[];
  implausibleFields?: string[];
};

export interface DescribedRecord {
  readonly eventName: EventName;
  /** Undefined when the record has no plausible ApproximateCreationDateTime. */
  readonly ageMs: number | undefined;
  readonly ttlDelete: boolean;
  /** Present when options.line is true. */
  readonly line?: ChangeLine;
}

const EVENT_NAMES: ReadonlySet<string> = new Set<EventName>(['INSERT', 'MODIFY', 'REMOVE']);
const VIEW_TYPES = new Set(['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']);
const SEQUENCE_NUMBER = /^\d+$/;
/**
 * The last second of the year 9999: AWS sends epoch seconds, so anything larger is not seconds (a millisecond
 * timestamp of today is about 1.7e12), and the ISO date of anything up to it keeps a 4-digit year.
 */
const MAX_EPOCH_SECONDS = 253_402_300_799;
const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';
const TABLE_NAME = /:table\/([^/]+)/;

/** What can be said about a record that failed: only values that are usable as they are. */
export interface RecordIdentity {
  readonly eventID?: string;
  readonly sequenceNumber?: string;
  readonly eventName?: string;
}

export function identify(record: unknown): RecordIdentity {
  if (!isPlainObject(record)) {
    return {};
  }
  const ddb = record.dynamodb;
  const sequenceNumber = isPlainObject(ddb) && usableSequenceNumber(ddb.SequenceNumber) ? ddb.SequenceNumber : undefined;
  return {
    eventID: isNonEmptyString(record.eventID) ? record.eventID : undefined,
    sequenceNumber,
    eventName: isEventName(record.eventName) ? record.eventName : undefined,
  };
}

export function describeRecord(record: unknown, options: DescribeOptions, nowMs: number): DescribedRecord {
  if (!isPlainObject(record)) {
    throw new RecordError('the record is not an object');
  }
  const ddb = record.dynamodb;
  if (!isPlainObject(ddb)) {
    throw new RecordError('the record has no dynamodb object');
  }
  if (!usableSequenceNumber(ddb.SequenceNumber)) {
    throw new RecordError('dynamodb.SequenceNumber is missing or not a decimal string');
  }
  const sequenceNumber = ddb.SequenceNumber;
  const eventName = record.eventName;
  if (!isEventName(eventName)) {
    throw new RecordError('eventName is missing or not one of INSERT, MODIFY, REMOVE');
  }
  if (!isPlainObject(ddb.Keys) || isEmpty(ddb.Keys)) {
    throw new RecordError('dynamodb.Keys is missing or empty');
  }
  // Keys are always read, even when no line is printed: they are small and identify the item.
  const keys = unmarshallImage(ddb.Keys, 'dynamodb.Keys', options.redaction);

  const created = ddb.ApproximateCreationDateTime;
  const createdMs = isEpochSeconds(created) ? created * 1000 : undefined;
  const ageMs = createdMs === undefined ? undefined : Math.round(nowMs - createdMs);
  const ttlDelete = eventName === 'REMOVE' && isTtlIdentity(record.userIdentity);
  if (!options.line) {
    return { eventName, ageMs, ttlDelete };
  }

  // Optional members: logged when usable, otherwise named in absentFields or implausibleFields.
  const eventID = isNonEmptyString(record.eventID) ? record.eventID : undefined;
  const sizeBytes = isSize(ddb.SizeBytes) ? ddb.SizeBytes : undefined;
  const streamViewType = isViewType(ddb.StreamViewType) ? ddb.StreamViewType : undefined;
  const problems = eventID === undefined || createdMs === undefined || sizeBytes === undefined || streamViewType === undefined
    ? fieldProblems(record, ddb) : NO_PROBLEMS;

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
    eventName,
    eventID,
    sequenceNumber,
    tableName,
    keys: new Verbatim(keys),
    changedAttributes: eventName === 'MODIFY' && newImage !== undefined && oldImage !== undefined
      ? changedAttributes(oldImage, newImage) : undefined,
    approximateCreationDateTime: createdMs === undefined ? undefined : new Date(createdMs).toISOString(),
    ageMs,
    sizeBytes,
    streamViewType,
    ttlDelete,
    absentFields: problems.absent,
    implausibleFields: problems.implausible,
    newImage: loggedNewImage,
    oldImage: loggedOldImage,
  };
  return { eventName, ageMs, ttlDelete, line };
}

interface FieldProblems {
  readonly absent?: string[];
  readonly implausible?: string[];
}

const NO_PROBLEMS: FieldProblems = {};

/** The optional members that the line reports, each with the test of a usable value, in the order they are listed. */
type ReadMember = (record: Record<string, unknown>, ddb: Record<string, unknown>) => unknown;
const REPORTED_MEMBERS: ReadonlyArray<[string, ReadMember, (v: unknown) => boolean]> = [
  ['eventID', (record) => record.eventID, isNonEmptyString],
  ['dynamodb.ApproximateCreationDateTime', (_, ddb) => ddb.ApproximateCreationDateTime, isEpochSeconds],
  ['dynamodb.SizeBytes', (_, ddb) => ddb.SizeBytes, isSize],
  ['dynamodb.StreamViewType', (_, ddb) => ddb.StreamViewType, isViewType],
];

/** Names the members that are absent (undefined or null) or unusable; called only when one is. */
function fieldProblems(record: Record<string, unknown>, ddb: Record<string, unknown>): FieldProblems {
  const absent: string[] = [];
  const implausible: string[] = [];
  for (const [name, read, usable] of REPORTED_MEMBERS) {
    const value = read(record, ddb);
    if (usable(value)) continue;
    (value === undefined || value === null ? absent : implausible).push(name);
  }
  return { absent: absent.length > 0 ? absent : undefined, implausible: implausible.length > 0 ? implausible : undefined };
}

function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && EVENT_NAMES.has(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Epoch seconds, fractions allowed (some producers write `1693997155.0`). */
function isEpochSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_EPOCH_SECONDS;
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isViewType(value: unknown): value is string {
  return typeof value === 'string' && VIEW_TYPES.has(value);
}

function usableSequenceNumber(value: unknown): value is string {
  return typeof value === 'string' && SEQUENCE_NUMBER.test(value);
}

/** TTL deletes carry the DynamoDB service as identity: camelCase from Lambda, PascalCase from DynamoDB Local. */
function isTtlIdentity(identity: unknown): boolean {
  if (!isPlainObject(identity)) {
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
