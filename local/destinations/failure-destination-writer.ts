/**
 * The local stand-in for an event source mapping's on-failure destination (DestinationConfig.OnFailure).
 * It writes the record Lambda sends when a batch fails for good (retries exhausted, or records too old):
 * `{requestContext, responseContext, version: "1.0", timestamp, DDBStreamBatchInfo}`, plus `payload` for S3
 * (the invocation event as a JSON string, so the records outlive the stream's 24 hours); see
 * buildOnFailureRecord, and docs/offline-runner.md for the format field by field.
 *
 * - S3: the app's bucket in the local S3 API (engine/s3-local.ts), written with PutObject through the caller's
 *   client, one object per failed batch at AWS's key
 *   `aws/lambda/<mappingUuid>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>` (UTC, no extension).
 * - SQS and SNS (queues and topics are not run offline): a JSON-lines file per destination resource (its
 *   CloudFormation logical id), `<rootDir>/<logicalId>.jsonl`, one line per failed batch.
 *   SQS: the message as ReceiveMessage hands it to a consumer, `{"MessageId", "MD5OfBody", "Body",
 *   "Attributes": {"SentTimestamp"}}`, where Body is the record (without payload) as a JSON string. The envelope
 *   is kept, not just the record, so that a consumer or test written against it parses Body as it would on AWS.
 *   SNS: the notification as a subscriber receives it, `{"Type": "Notification", "MessageId", "TopicArn",
 *   "Message", "Timestamp"}`, Message being the record (without payload). Signature fields are left out: a
 *   made-up signature would only mislead.
 *
 * Choices where AWS documents nothing:
 * - `responseContext` for a batch whose last invocation is not known (a RecordAgeExceeded batch never sent)
 *   is `{"statusCode": 200, "executedVersion": ...}` without functionError: Lambda reports the invoke call's
 *   status, which is 200 even for function errors.
 * - `executedVersion` is the numeric qualifier of the function ARN when there is one, else `$LATEST`.
 *
 * Writes to one location are serialized in this process (several shards fail at once), so JSONL lines never
 * interleave and `readAll()` sees every write issued before it.
 */
import { createHash, randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Modules } from '../engine/lazy-s3';
import type { LocalS3 } from '../engine/s3-local';

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface OnFailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: FailureCondition; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
  payload?: string;
}

/**
 * A normalized stream record, typed loosely so that `DynamoDBRecord` from `aws-lambda` (whose fields are all
 * optional) fits; the fields read here are checked at run time.
 */
export interface FailedRecord {
  readonly dynamodb?: { readonly SequenceNumber?: string; readonly ApproximateCreationDateTime?: number };
}

export interface FailedBatch {
  readonly condition: FailureCondition;
  readonly functionArn: string;
  readonly approximateInvokeCount: number;
  /** The last invocation's response, e.g. `{ statusCode: 200, functionError: 'Unhandled' }`; see the top comment when absent. */
  readonly lastResponse?: { readonly statusCode: number; readonly functionError?: string };
  readonly shardId: string;
  readonly streamArn: string;
  /** Normalized records, in stream order (non-empty). */
  readonly records: ReadonlyArray<FailedRecord>;
  /** The invocation event (`{Records: [...]}`) that becomes `payload` for S3. */
  readonly event: unknown;
  readonly now: Date;
}

export interface LocalFailureDestination {
  readonly kind: 's3' | 'sqs' | 'sns';
  /** Where the records go: `s3://<bucket>/aws/lambda/<mappingUuid>/` (S3), or the JSONL file (SQS, SNS). */
  readonly location: string;
  /** Writes one failed batch; resolves to where it went: the object's `s3://` URI, or the JSONL file. */
  write(batch: FailedBatch): Promise<string>;
  /** Every on-failure record written so far (for S3: this mapping's), oldest first. */
  readAll(): Promise<OnFailureRecord[]>;
}

/** An S3 destination: a bucket of the local S3 API. */
export interface S3FailureDestinationOptions {
  readonly kind: 's3';
  readonly s3: {
    /** A client of the local S3 API (endpoint and credentials from engine/s3-local.ts), asked for at the first call. */
    readonly client: () => S3Client;
    /** The destination bucket. */
    readonly bucket: string;
    /** The local S3 itself: a mapping that wrote nothing is read without a call (and without loading s3rver). */
    readonly local?: Pick<LocalS3, 'isEmptyUnder'>;
  };
  /** The event source mapping's UUID: its records are under `aws/lambda/<mappingUuid>/`. */
  readonly mappingUuid: string;
}

/** An SQS or SNS destination: a JSON-lines file. */
export interface FileFailureDestinationOptions {
  readonly kind: 'sqs' | 'sns';
  readonly rootDir: string;
  /** The destination resource's logical id (queue or topic): the file's name. */
  readonly logicalId: string;
  /** For the topic ARN in SNS notifications. */
  readonly region: string;
  readonly account: string;
}

export type LocalFailureDestinationOptions = S3FailureDestinationOptions | FileFailureDestinationOptions;

export function buildOnFailureRecord(batch: FailedBatch, options: { includePayload: boolean }): OnFailureRecord {
  if (batch.records.length === 0) {
    throw new Error('a failed batch holds at least one record');
  }
  const first = recordPosition(batch.records[0], 0);
  const last = recordPosition(batch.records[batch.records.length - 1], batch.records.length - 1);
  const response = batch.lastResponse ?? { statusCode: 200 };
  const responseContext: OnFailureRecord['responseContext'] = {
    statusCode: response.statusCode,
    executedVersion: executedVersion(batch.functionArn),
  };
  if (response.functionError !== undefined) {
    responseContext.functionError = response.functionError;
  }
  // Key order as in the record Lambda writes (requestContext ... DDBStreamBatchInfo, then payload).
  const record: OnFailureRecord = {
    requestContext: {
      requestId: randomUUID(),
      functionArn: batch.functionArn,
      condition: batch.condition,
      approximateInvokeCount: batch.approximateInvokeCount,
    },
    responseContext,
    version: '1.0',
    timestamp: batch.now.toISOString(),
    DDBStreamBatchInfo: {
      shardId: batch.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: isoSeconds(first.arrival),
      approximateArrivalOfLastRecord: isoSeconds(last.arrival),
      batchSize: batch.records.length,
      streamArn: batch.streamArn,
    },
  };
  if (options.includePayload) {
    const payload = JSON.stringify(batch.event);
    if (typeof payload !== 'string') {
      throw new Error('the failed batch has no event to store as payload');
    }
    record.payload = payload;
  }
  return record;
}

export function createLocalFailureDestination(options: LocalFailureDestinationOptions): LocalFailureDestination {
  switch (options.kind) {
    case 's3':
      // A key segment: refused if it could change the key's layout (or, in s3rver's store, climb out of the bucket).
      checkSegment('mappingUuid', options.mappingUuid);
      return new S3Destination(options.s3, options.mappingUuid);
    case 'sqs':
    case 'sns': {
      checkSegment('logicalId', options.logicalId); // a file name: refused if it could climb out of rootDir
      const file = path.join(path.resolve(options.rootDir), `${options.logicalId}.jsonl`);
      if (options.kind === 'sqs') {
        return new JsonLinesDestination('sqs', file, sqsMessage, (line) => line.Body);
      }
      const topicArn = `arn:aws:sns:${options.region}:${options.account}:${options.logicalId}`;
      return new JsonLinesDestination('sns', file, (record, now) => snsNotification(record, now, topicArn), (line) => line.Message);
    }
    default:
      throw new Error(`unknown failure destination kind: ${String((options as { kind?: unknown }).kind)}`);
  }
}

/** Objects read at once: the SDK's HTTP agent has 50 sockets and warns on the console when requests queue for them. */
const READ_CONCURRENCY = 16;

class S3Destination implements LocalFailureDestination {
  public readonly kind = 's3';
  public readonly location: string;
  private readonly prefix: string;

  private readonly bucket: string;

  constructor(private readonly s3: S3FailureDestinationOptions['s3'], mappingUuid: string) {
    this.bucket = s3.bucket;
    this.prefix = `aws/lambda/${mappingUuid}/`;
    this.location = `s3://${this.bucket}/${this.prefix}`;
  }

  private get client(): S3Client {
    return this.s3.client();
  }

  public async write(batch: FailedBatch): Promise<string> {
    checkSegment('shardId', batch.shardId);
    const body = JSON.stringify(buildOnFailureRecord(batch, { includePayload: true }));
    const [yyyy, mm, dd, hh, mi, ss] = utcParts(batch.now);
    const key = `${this.prefix}${batch.shardId}/${yyyy}/${mm}/${dd}/${yyyy}-${mm}-${dd}T${hh}.${mi}.${ss}-${randomUUID()}`;
    const uri = `s3://${this.bucket}/${key}`;
    return serialized(this.location, async () => {
      try {
        await this.client.send(new (s3Modules().PutObjectCommand)({ Bucket: this.bucket, Key: key, Body: body }));
      } catch (e) {
        throw new Error(`PutObject ${uri}: ${describeError(e)}`, { cause: e });
      }
      return uri;
    });
  }

  public async readAll(): Promise<OnFailureRecord[]> {
    return serialized(this.location, async () => {
      if (await this.s3.local?.isEmptyUnder(this.bucket, this.prefix)) return [];
      const entries: Array<{ key: string; record: OnFailureRecord }> = [];
      for (const keys of await this.listKeyPages()) {
        entries.push(...await mapConcurrently(keys, READ_CONCURRENCY, async (key) => ({ key, record: await this.read(key) })));
      }
      // An object store has no write order: the record's timestamp (ms), then the key.
      entries.sort((a, b) => compareText(a.record.timestamp, b.record.timestamp) || compareText(a.key, b.key));
      return entries.map((e) => e.record);
    });
  }

  /** The keys under this mapping's prefix, a page (up to 1000) at a time. */
  private async listKeyPages(): Promise<string[][]> {
    const pages: string[][] = [];
    try {
      for await (const page of s3Modules().paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.prefix })) {
        pages.push((page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key])));
      }
    } catch (e) {
      throw new Error(`ListObjectsV2 ${this.location}: ${describeError(e)}`, { cause: e });
    }
    return pages;
  }

  private async read(key: string): Promise<OnFailureRecord> {
    const uri = `s3://${this.bucket}/${key}`;
    let text: string | undefined;
    try {
      const object = await this.client.send(new (s3Modules().GetObjectCommand)({ Bucket: this.bucket, Key: key }));
      text = await object.Body?.transformToString('utf8');
    } catch (e) {
      throw new Error(`GetObject ${uri}: ${describeError(e)}`, { cause: e });
    }
    // A foreign object under the prefix is an error, not something to skip: the ledger relies on every batch being here.
    return parseJson(text ?? '', uri) as OnFailureRecord;
  }
}

type Envelope = Record<string, string | Record<string, string>>;

class JsonLinesDestination implements LocalFailureDestination {
  constructor(
    public readonly kind: 'sqs' | 'sns',
    public readonly location: string,
    private readonly envelope: (record: OnFailureRecord, now: Date) => Envelope,
    private readonly body: (line: Record<string, unknown>) => unknown,
  ) {}

  public async write(batch: FailedBatch): Promise<string> {
    const line = JSON.stringify(this.envelope(buildOnFailureRecord(batch, { includePayload: false }), batch.now)) + '\n';
    return serialized(this.location, async () => {
      await fs.mkdir(path.dirname(this.location), { recursive: true });
      await fs.appendFile(this.location, line, 'utf8');
      return this.location;
    });
  }

  public async readAll(): Promise<OnFailureRecord[]> {
    return serialized(this.location, async () => {
      let text: string;
      try {
        text = await fs.readFile(this.location, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
      // A torn or foreign line is an error, not something to skip: the ledger relies on every batch being here.
      return text.split('\n').filter((l) => l.length > 0).map((l, i) => {
        const where = `${this.location}:${i + 1}`;
        const body = this.body(parseJson(l, where) as Record<string, unknown>);
        if (typeof body !== 'string') {
          throw new Error(`${where}: no ${this.kind === 'sqs' ? 'Body' : 'Message'} string`);
        }
        return parseJson(body, where) as OnFailureRecord;
      });
    });
  }
}

function sqsMessage(record: OnFailureRecord, now: Date): Envelope {
  const body = JSON.stringify(record);
  return {
    MessageId: randomUUID(),
    MD5OfBody: createHash('md5').update(body, 'utf8').digest('hex'),
    Body: body,
    Attributes: { SentTimestamp: String(now.getTime()) },
  };
}

function snsNotification(record: OnFailureRecord, now: Date, topicArn: string): Envelope {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: JSON.stringify(record),
    Timestamp: now.toISOString(),
  };
}

/** Per-location queue of pending writes and reads, shared by every destination object in this process. */
const queues = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const result = previous.then(task);
  const tail = result.then(() => undefined, () => undefined); // one failed write must not block the next
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return result;
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function recordPosition(record: FailedRecord, index: number): { sequenceNumber: string; arrival: number } {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  const arrival = record.dynamodb?.ApproximateCreationDateTime;
  if (typeof sequenceNumber !== 'string' || typeof arrival !== 'number' || !Number.isFinite(arrival)) {
    throw new Error(`records[${index}] lacks dynamodb.SequenceNumber or a numeric dynamodb.ApproximateCreationDateTime`);
  }
  return { sequenceNumber, arrival };
}

/** Epoch seconds as `2019-11-14T00:13:19Z`: whole seconds, no milliseconds, like the arrival fields Lambda writes. */
function isoSeconds(epochSeconds: number): string {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function utcParts(d: Date): [string, string, string, string, string, string] {
  const pad = (n: number) => String(n).padStart(2, '0');
  return [String(d.getUTCFullYear()).padStart(4, '0'), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()),
    pad(d.getUTCHours()), pad(d.getUTCMinutes()), pad(d.getUTCSeconds())];
}

function executedVersion(functionArn: string): string {
  // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
  const qualifier = functionArn.split(':')[7];
  return qualifier !== undefined && /^\d+$/.test(qualifier) ? qualifier : '$LATEST';
}

function checkSegment(name: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0 || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new Error(`${name} ${JSON.stringify(value)} cannot be used as a path segment`);
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
}

function describeError(e: unknown): string {
  const error = e as { name?: unknown; message?: unknown } | undefined;
  const message = typeof error?.message === 'string' ? error.message : String(e);
  return typeof error?.name === 'string' && error.name !== 'Error' ? `${error.name}: ${message}` : message;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
