/**
 * The local stand-in for an event source mapping's on-failure destination (DestinationConfig.OnFailure).
 * It writes the record Lambda sends when a batch fails for good (retries exhausted, or records too old),
 * in the format of /work/shared/notes/stream-semantics.md, "The on-failure record".
 *
 * Layout under `rootDir`, one location per destination resource (its CloudFormation logical id):
 * - S3: one JSON object per failed batch, WITH `payload` (the invocation event as a JSON string, so the records
 *   outlive the stream's 24 hours), at the real object key:
 *   `<rootDir>/<logicalId>/aws/lambda/<mappingUuid>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>` (no extension).
 * - SQS: `<rootDir>/<logicalId>.jsonl`, one line per failed batch: the message as ReceiveMessage hands it to a
 *   consumer, `{"MessageId", "MD5OfBody", "Body", "Attributes": {"SentTimestamp"}}`, where Body is the record
 *   (without payload) as a JSON string. The envelope is kept, not just the record, so that a consumer or test
 *   written against it parses Body exactly as it would on AWS.
 * - SNS: `<rootDir>/<logicalId>.jsonl`, one line per failed batch: the notification as a subscriber receives it,
 *   `{"Type": "Notification", "MessageId", "TopicArn", "Message", "Timestamp"}`, Message being the record
 *   (without payload). Signature fields are left out: a made-up signature would only mislead.
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
  /** The directory (S3) or JSONL file (SQS, SNS) written to. */
  readonly location: string;
  /** Writes one failed batch; resolves to the file written. */
  write(batch: FailedBatch): Promise<string>;
  /** Every on-failure record written so far, oldest first. */
  readAll(): Promise<OnFailureRecord[]>;
}

export interface LocalFailureDestinationOptions {
  readonly kind: 's3' | 'sqs' | 'sns';
  readonly rootDir: string;
  /** The destination resource's logical id (bucket, queue or topic). */
  readonly logicalId: string;
  readonly mappingUuid: string;
  readonly region: string;
  readonly account: string;
}

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
  // These names become path segments: refuse anything that could climb out of rootDir.
  checkSegment('logicalId', options.logicalId);
  checkSegment('mappingUuid', options.mappingUuid);
  const root = path.resolve(options.rootDir);
  switch (options.kind) {
    case 's3':
      return new S3Destination(path.join(root, options.logicalId), options.mappingUuid);
    case 'sqs':
      return new JsonLinesDestination('sqs', path.join(root, `${options.logicalId}.jsonl`), sqsMessage, (line) => line.Body);
    case 'sns': {
      const topicArn = `arn:aws:sns:${options.region}:${options.account}:${options.logicalId}`;
      return new JsonLinesDestination('sns', path.join(root, `${options.logicalId}.jsonl`), (record, now) => snsNotification(record, now, topicArn),
        (line) => line.Message);
    }
    default:
      throw new Error(`unknown failure destination kind: ${String(options.kind)}`);
  }
}

class S3Destination implements LocalFailureDestination {
  public readonly kind = 's3';

  constructor(public readonly location: string, private readonly mappingUuid: string) {}

  public async write(batch: FailedBatch): Promise<string> {
    checkSegment('shardId', batch.shardId);
    const record = buildOnFailureRecord(batch, { includePayload: true });
    const now = batch.now;
    const [yyyy, mm, dd, hh, mi, ss] = utcParts(now);
    const dir = path.join(this.location, 'aws', 'lambda', this.mappingUuid, batch.shardId, yyyy, mm, dd);
    const file = path.join(dir, `${yyyy}-${mm}-${dd}T${hh}.${mi}.${ss}-${randomUUID()}`);
    return serialized(this.location, async () => {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(file, JSON.stringify(record), { flag: 'wx' });
      return file;
    });
  }

  public async readAll(): Promise<OnFailureRecord[]> {
    return serialized(this.location, async () => {
      const files = await listFiles(this.location);
      const entries = await Promise.all(files.map(async (file) => {
        const [text, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file, { bigint: true })]);
        return { file, record: parseJson(text, file) as OnFailureRecord, mtime: stat.mtimeNs };
      }));
      // An object store has no write order: the record's timestamp (ms), then the file's mtime, then the key.
      entries.sort((a, b) => compareText(a.record.timestamp, b.record.timestamp)
        || (a.mtime < b.mtime ? -1 : a.mtime > b.mtime ? 1 : 0)
        || compareText(a.file, b.file));
      return entries.map((e) => e.record);
    });
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

/** Per-location queue of pending file operations, shared by every destination object in this process. */
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

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const nested = await Promise.all(entries.map(async (entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(full);
    return entry.isFile() ? [full] : [];
  }));
  return nested.flat();
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

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
