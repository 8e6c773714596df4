/**
 * Where on-failure records are read, and how one is marked as replayed so that no later run replays it again.
 * A record is marked only after its invocation succeeded; a crash between the two leaves it unmarked (it is
 * replayed again, at least once, as Lambda itself delivers), never marked and unprocessed.
 *
 * - S3 (the records themselves): the objects under `aws/lambda/` (or one mapping's `aws/lambda/<uuid>/`);
 *   a replayed object is moved to `replayed/<its key>` (CopyObject, then DeleteObject). A copy found under
 *   `replayed/` means an earlier run was cut off between the two: the move is finished, nothing is replayed.
 * - SQS (the range only): the queue's messages; a replayed message is deleted, the others are made visible again.
 * - A file (the range only, offline or saved from a queue or topic): one message per line, an SQS message
 *   (`Body`), an SNS notification (`Message`) or the bare record; the request ids of replayed records are
 *   appended to `<file>.replayed`.
 */
import { appendFileSync, existsSync, readFileSync } from 'fs';
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, paginateListObjectsV2, S3Client,
} from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { decodeFailureRecord, FailureRecord, unwrapMessage } from './failure-record';

export interface FailureEntry {
  readonly record: FailureRecord;
  /** What the source needs to mark or release it. */
  readonly handle: string;
}

export interface FailureListing {
  readonly entries: FailureEntry[];
  /** Records an earlier run replayed whose marking was cut off: finished now, not replayed again. */
  readonly finishedMarks: string[];
}

export interface FailureSource {
  /** e.g. `s3://bucket/aws/lambda/` */
  readonly description: string;
  /** Every failure record that is not marked as replayed. */
  list(): Promise<FailureListing>;
  /** Marks a record whose replay succeeded. */
  markReplayed(entry: FailureEntry): Promise<void>;
  /** Hands back a record that was not replayed this run (filtered out, failing, dry run). */
  release(entry: FailureEntry): Promise<void>;
}

/** Where replayed objects go in the failure bucket: Lambda writes only under `aws/lambda/`. */
export const REPLAYED_PREFIX = 'replayed/';
/** Where Lambda writes on-failure objects. */
export const FAILURE_PREFIX = 'aws/lambda/';

export class S3FailureSource implements FailureSource {
  public readonly description: string;
  private readonly prefix: string;

  /**
   * @param mappingUuid only this mapping's records (`aws/lambda/<uuid>/`); default every mapping's
   * @param client default: the SDK's standard credentials, region and endpoint settings
   */
  constructor(private readonly bucket: string, mappingUuid?: string, private readonly client: S3Client = new S3Client({})) {
    this.prefix = mappingUuid ? `${FAILURE_PREFIX}${mappingUuid}/` : FAILURE_PREFIX;
    this.description = `s3://${bucket}/${this.prefix}`;
  }

  public async list(): Promise<FailureListing> {
    const replayed = new Set(await this.keys(REPLAYED_PREFIX + this.prefix));
    const entries: FailureEntry[] = [];
    const finishedMarks: string[] = [];
    for (const key of await this.keys(this.prefix)) {
      if (replayed.has(REPLAYED_PREFIX + key)) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
        finishedMarks.push(`s3://${this.bucket}/${key}`);
        continue;
      }
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = await object.Body!.transformToString('utf8');
      entries.push({ record: decodeFailureRecord(text, `s3://${this.bucket}/${key}`), handle: key });
    }
    return { entries, finishedMarks };
  }

  public async markReplayed(entry: FailureEntry): Promise<void> {
    const key = entry.handle;
    await this.client.send(new CopyObjectCommand({
      Bucket: this.bucket,
      Key: REPLAYED_PREFIX + key,
      CopySource: `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
    }));
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  public async release(): Promise<void> {
    // An object that is not moved stays where it is.
  }

  private async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    }
    return keys;
  }
}

/** Long enough to replay what one receive returns; a message not deleted comes back after it. */
const VISIBILITY_TIMEOUT_SECONDS = 300;

export class SqsFailureSource implements FailureSource {
  public readonly description: string;

  /** @param client default: the SDK's standard credentials, region and endpoint settings */
  constructor(private readonly queueUrl: string, private readonly client: SQSClient = new SQSClient({})) {
    this.description = queueUrl;
  }

  public async list(): Promise<FailureListing> {
    const entries: FailureEntry[] = [];
    for (;;) {
      const out = await this.client.send(new ReceiveMessageCommand({
        QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
      }));
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        const location = `${this.queueUrl} message ${message.MessageId}`;
        entries.push({ record: decodeFailureRecord(unwrapMessage(message.Body ?? '', location), location), handle: message.ReceiptHandle! });
      }
    }
    return { entries, finishedMarks: [] };
  }

  public async markReplayed(entry: FailureEntry): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: entry.handle }));
  }

  public async release(entry: FailureEntry): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: entry.handle, VisibilityTimeout: 0 }));
  }
}

export class FileFailureSource implements FailureSource {
  public readonly description: string;
  private readonly doneFile: string;

  constructor(private readonly file: string) {
    this.description = file;
    this.doneFile = `${file}.replayed`;
  }

  public async list(): Promise<FailureListing> {
    const done = new Set(existsSync(this.doneFile) ? readFileSync(this.doneFile, 'utf8').split('\n').filter(Boolean) : []);
    const entries: FailureEntry[] = [];
    readFileSync(this.file, 'utf8').split('\n').forEach((line, i) => {
      if (line.trim().length === 0) return;
      const location = `${this.file}:${i + 1}`;
      const record = decodeFailureRecord(unwrapMessage(line, location), location);
      // Lambda's request id names the record; a hand-made one without it is named by its range.
      const handle = record.requestId ?? `${record.shardId}/${record.startSequenceNumber}-${record.endSequenceNumber}`;
      if (!done.has(handle)) entries.push({ record, handle });
    });
    return { entries, finishedMarks: [] };
  }

  public async markReplayed(entry: FailureEntry): Promise<void> {
    appendFileSync(this.doneFile, `${entry.handle}\n`, 'utf8');
  }

  public async release(): Promise<void> {
    // Lines stay in the file.
  }
}
