import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBRecord } from 'aws-lambda';
import { buildOnFailureRecord, createLocalFailureDestination, FailedBatch, OnFailureRecord } from '../local/destinations/failure-destination-writer';
import { LocalS3, startLocalS3 } from '../local/engine/s3-local';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2019-11-14T00:04:06.388';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders-handler';
const SHARD = 'shardId-00000001573689847184-864758bb';
const MAPPING_UUID = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';

// Normalized records as the mapping delivers them; typed as aws-lambda's DynamoDBRecord, which the emulator passes.
function streamRecord(seq: string, arrival: number, pk: string): DynamoDBRecord {
  return {
    eventID: `${seq.slice(-2)}d4b0c7f0a8e4c2b9a1f3e5d7c9b1a3e5`.slice(0, 32),
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: arrival,
      Keys: { pk: { S: pk } },
      NewImage: { pk: { S: pk }, qty: { N: '1' } },
      SequenceNumber: seq,
      SizeBytes: 26,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: STREAM_ARN,
  };
}

function failedBatch(overrides: Partial<FailedBatch> = {}): FailedBatch {
  const records = overrides.records as DynamoDBRecord[] | undefined ?? [
    streamRecord('4421584500000000017450439091', 1573690399, 'order#1'),
    streamRecord('4421584500000000017450439092', 1573690399.9, 'order#2'),
    streamRecord('4421584500000000017450439093', 1573690411.6, 'order#3'),
  ];
  return {
    condition: 'RetryAttemptsExhausted',
    functionArn: FUNCTION_ARN,
    approximateInvokeCount: 3,
    lastResponse: { statusCode: 200, functionError: 'Unhandled' },
    shardId: SHARD,
    streamArn: STREAM_ARN,
    records,
    event: { Records: records },
    now: new Date('2019-11-14T00:13:49.717Z'),
    ...overrides,
  };
}

let rootDir: string;
beforeEach(async () => {
  rootDir = await fs.mkdtemp(path.join(os.tmpdir(), 'failure-destination-'));
});
afterEach(async () => {
  await fs.rm(rootDir, { recursive: true, force: true });
});

/** One real local S3 API (s3rver) for the file; each test gets a bucket of its own. */
let s3: LocalS3;
let s3Dir: string;
let client: S3Client;
let bucket: string;
let bucketCount = 0;
beforeAll(async () => {
  s3Dir = await fs.mkdtemp(path.join(os.tmpdir(), 'failure-destination-s3-'));
  s3 = await startLocalS3({ directory: s3Dir });
  client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, credentials: s3.credentials });
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  await fs.rm(s3Dir, { recursive: true, force: true });
});
beforeEach(async () => {
  bucket = `failure-bucket-${++bucketCount}`;
  await s3.createBucket(bucket);
});

function s3Destination(mappingUuid = MAPPING_UUID) {
  return createLocalFailureDestination({ kind: 's3', s3: { client: () => client, bucket }, mappingUuid });
}

function fileDestination(kind: 'sqs' | 'sns', logicalId = kind === 'sqs' ? 'FailureQueue' : 'FailureTopic') {
  return createLocalFailureDestination({ kind, rootDir, logicalId, region: 'us-east-1', account: '123456789012' });
}

/** The key of an `s3://<bucket>/<key>` URI in this test's bucket. */
function keyOf(uri: string): string {
  const prefix = `s3://${bucket}/`;
  expect(uri.startsWith(prefix)).toBe(true);
  return uri.slice(prefix.length);
}

async function getText(key: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body!.transformToString('utf8');
}

async function lines(file: string): Promise<Array<Record<string, any>>> {
  const text = await fs.readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
}

describe('buildOnFailureRecord', () => {
  test('the record Lambda writes after the retries of a batch run out', () => {
    const record = buildOnFailureRecord(failedBatch(), { includePayload: false });
    expect(record).toEqual({
      requestContext: { requestId: expect.stringMatching(UUID), functionArn: FUNCTION_ARN, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2019-11-14T00:13:49.717Z',
      DDBStreamBatchInfo: {
        shardId: SHARD,
        startSequenceNumber: '4421584500000000017450439091',
        endSequenceNumber: '4421584500000000017450439093',
        approximateArrivalOfFirstRecord: '2019-11-14T00:13:19Z',
        approximateArrivalOfLastRecord: '2019-11-14T00:13:31Z',
        batchSize: 3,
        streamArn: STREAM_ARN,
      },
    });
    // Same field order as the record AWS writes, and no payload for SQS/SNS.
    expect(Object.keys(record)).toEqual(['requestContext', 'responseContext', 'version', 'timestamp', 'DDBStreamBatchInfo']);
    expect(Object.keys(record.responseContext)).toEqual(['statusCode', 'executedVersion', 'functionError']);
  });

  test('payload is the invocation event as a JSON string, last', () => {
    const batch = failedBatch();
    const record = buildOnFailureRecord(batch, { includePayload: true });
    expect(Object.keys(record).pop()).toBe('payload');
    expect(typeof record.payload).toBe('string');
    expect(JSON.parse(record.payload!)).toEqual(batch.event);
  });

  test('a single-record batch, record age exceeded, no invocation known', () => {
    const only = streamRecord('000000000000000000021', 1714550400, 'order#9');
    const record = buildOnFailureRecord(failedBatch({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
      lastResponse: undefined,
      records: [only],
      event: { Records: [only] },
      now: new Date('2024-03-05T07:08:09.000Z'),
    }), { includePayload: false });
    expect(record.requestContext.condition).toBe('RecordAgeExceeded');
    expect(record.requestContext.approximateInvokeCount).toBe(0);
    expect(record.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect('functionError' in record.responseContext).toBe(false);
    expect(record.timestamp).toBe('2024-03-05T07:08:09.000Z');
    expect(record.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: '000000000000000000021',
      endSequenceNumber: '000000000000000000021',
      batchSize: 1,
      approximateArrivalOfFirstRecord: '2024-05-01T08:00:00Z',
      approximateArrivalOfLastRecord: '2024-05-01T08:00:00Z',
    });
  });

  test('the response status is passed through; a numeric function qualifier is the executed version', () => {
    const record = buildOnFailureRecord(failedBatch({
      functionArn: `${FUNCTION_ARN}:7`, lastResponse: { statusCode: 413, functionError: 'Unhandled' },
    }), { includePayload: false });
    expect(record.responseContext).toEqual({ statusCode: 413, executedVersion: '7', functionError: 'Unhandled' });
    expect(buildOnFailureRecord(failedBatch({ functionArn: `${FUNCTION_ARN}:live` }), { includePayload: false }).responseContext.executedVersion)
      .toBe('$LATEST');
  });

  test('each record gets its own request id', () => {
    const ids = new Set(Array.from({ length: 20 }, () => buildOnFailureRecord(failedBatch(), { includePayload: false }).requestContext.requestId));
    expect(ids.size).toBe(20);
  });

  test('refuses an empty batch and records without a sequence number or arrival time', () => {
    expect(() => buildOnFailureRecord(failedBatch({ records: [] }), { includePayload: false })).toThrow(/at least one record/);
    expect(() => buildOnFailureRecord(failedBatch({ records: [{ dynamodb: { ApproximateCreationDateTime: 1 } }] }), { includePayload: false }))
      .toThrow(/records\[0\]/);
    const good = streamRecord('1', 1, 'a');
    expect(() => buildOnFailureRecord(failedBatch({ records: [good, { dynamodb: { SequenceNumber: '2' } }] }), { includePayload: false }))
      .toThrow(/records\[1\]/);
  });
});

describe('S3 destination', () => {
  test('puts the record with its payload at the on-failure object key', async () => {
    const dest = s3Destination();
    expect(dest.kind).toBe('s3');
    expect(dest.location).toBe(`s3://${bucket}/aws/lambda/${MAPPING_UUID}/`);
    const batch = failedBatch();
    const key = keyOf(await dest.write(batch));

    expect(key).toMatch(new RegExp(`^aws/lambda/${MAPPING_UUID}/${SHARD}/2019/11/14/2019-11-14T00\\.13\\.49-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`));
    const stored = JSON.parse(await getText(key)) as OnFailureRecord;
    // Every field as built, the request id aside (a fresh UUID per record).
    const built = buildOnFailureRecord(batch, { includePayload: true });
    expect(stored).toEqual({ ...built, requestContext: { ...built.requestContext, requestId: stored.requestContext.requestId } });
    expect(stored.requestContext.requestId).toMatch(UUID);
    expect(JSON.parse(stored.payload!)).toEqual(batch.event);
    expect(stored.DDBStreamBatchInfo.approximateArrivalOfFirstRecord).toBe('2019-11-14T00:13:19Z');
    // The same bytes are in s3rver's directory, for a user to look at.
    expect(await fs.readFile(path.join(s3Dir, bucket, `${key}._S3rver_object`), 'utf8')).toBe(JSON.stringify(stored));
  });

  test('the date in the key is UTC and zero-padded', async () => {
    const key = keyOf(await s3Destination().write(failedBatch({ now: new Date('2024-03-05T07:08:09.123Z') })));
    expect(key.split('/').slice(-4).join('/')).toMatch(/^2024\/03\/05\/2024-03-05T07\.08\.09-[0-9a-f-]{36}$/);
    const late = keyOf(await s3Destination().write(failedBatch({ now: new Date('2024-12-31T23:59:59.999+00:00') })));
    expect(late.split('/').pop()).toMatch(/^2024-12-31T23\.59\.59-/);
  });

  test('readAll returns every record of this mapping, oldest first, with payloads', async () => {
    const dest = s3Destination();
    expect(await dest.readAll()).toEqual([]);
    await dest.write(failedBatch({ now: new Date('2024-01-01T00:00:02.000Z'), approximateInvokeCount: 2 }));
    await dest.write(failedBatch({ now: new Date('2024-01-01T00:00:01.000Z'), approximateInvokeCount: 1, shardId: 'shardId-00000001573689847184-aaaaaaaa' }));
    await dest.write(failedBatch({ now: new Date('2024-01-01T00:00:03.000Z'), approximateInvokeCount: 3 }));
    // Another mapping failing into the same bucket, and objects that are not failure records at all.
    const other = s3Destination('1b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0');
    await other.write(failedBatch({ approximateInvokeCount: 9 }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'README.txt', Body: 'not a record' }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `aws/lambda/${MAPPING_UUID}-suffix/x`, Body: 'not a record' }));

    const all = await dest.readAll();
    expect(all.map((r) => r.requestContext.approximateInvokeCount)).toEqual([1, 2, 3]);
    expect(all.every((r) => typeof r.payload === 'string')).toBe(true);
    expect((await other.readAll()).map((r) => r.requestContext.approximateInvokeCount)).toEqual([9]);
  });

  test('readAll reads past the first page of 1000 objects', async () => {
    const dest = s3Destination();
    // 1000 records put directly where the writer puts them (20 at a time, for speed), then one through the writer.
    const start = Date.parse('2024-01-01T00:00:00.000Z');
    for (let group = 0; group < 1000; group += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => {
        const i = group + j;
        const now = new Date(start + i * 1000);
        const record = buildOnFailureRecord(failedBatch({ now, approximateInvokeCount: i }), { includePayload: true });
        const stamp = now.toISOString().slice(0, 19).replace(/:/g, '.');
        const key = `aws/lambda/${MAPPING_UUID}/${SHARD}/2024/01/01/${stamp}-${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
        return client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(record) }));
      }));
    }
    await dest.write(failedBatch({ now: new Date(start + 1000 * 1000), approximateInvokeCount: 1000 }));

    const all = await dest.readAll();
    expect(all.map((r) => r.requestContext.approximateInvokeCount)).toEqual(Array.from({ length: 1001 }, (_, i) => i));
  });

  test('readAll reports an object under the prefix that is not a record, instead of skipping it', async () => {
    const dest = s3Destination();
    await dest.write(failedBatch());
    const key = `aws/lambda/${MAPPING_UUID}/${SHARD}/2024/01/01/torn`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"requestContext":' }));
    await expect(dest.readAll()).rejects.toThrow(`s3://${bucket}/${key}: not JSON`);
  });

  test('refuses names that would change the key layout or leave the root directory', async () => {
    expect(() => createLocalFailureDestination({ kind: 's3', s3: { client: () => client, bucket }, mappingUuid: '..' })).toThrow(/mappingUuid "\.\." cannot be used as a path segment/);
    expect(() => createLocalFailureDestination({ kind: 's3', s3: { client: () => client, bucket }, mappingUuid: 'a/b' })).toThrow(/path segment/);
    expect(() => createLocalFailureDestination({ kind: 'sqs', rootDir, logicalId: '../x', region: 'r', account: 'a' })).toThrow(/logicalId/);
    await expect(s3Destination().write(failedBatch({ shardId: '../../etc' }))).rejects.toThrow(/shardId "\.\.\/\.\.\/etc"/);
    expect(await s3Destination().readAll()).toEqual([]);
  });

  test('a failed write names the object and does not block the writes after it', async () => {
    const dest = createLocalFailureDestination({ kind: 's3', s3: { client: () => client, bucket: 'not-created-yet' }, mappingUuid: MAPPING_UUID });
    await expect(dest.write(failedBatch())).rejects.toThrow(
      new RegExp(`^PutObject s3://not-created-yet/aws/lambda/${MAPPING_UUID}/${SHARD}/\\S+: NoSuchBucket: `));
    await expect(dest.readAll()).rejects.toThrow(`ListObjectsV2 s3://not-created-yet/aws/lambda/${MAPPING_UUID}/: NoSuchBucket: `);
    await s3.createBucket('not-created-yet');
    await dest.write(failedBatch());
    expect(await dest.readAll()).toHaveLength(1);
  });

  test('with the local S3 at hand, a mapping that wrote nothing is read without a call; one that wrote, through the API', async () => {
    const noClient = () => {
      throw new Error('the S3 client was asked for');
    };
    const unused = createLocalFailureDestination({ kind: 's3', s3: { client: noClient, bucket, local: s3 }, mappingUuid: MAPPING_UUID });
    expect(await unused.readAll()).toEqual([]);
    await s3Destination().write(failedBatch());
    // The same mapping, now with an object under its prefix: listed through the API (here: one that cannot be made).
    await expect(unused.readAll()).rejects.toThrow('the S3 client was asked for');
    const used = createLocalFailureDestination({ kind: 's3', s3: { client: () => client, bucket, local: s3 }, mappingUuid: MAPPING_UUID });
    expect(await used.readAll()).toHaveLength(1);
  });
});

describe('SQS destination', () => {
  test('appends the message a consumer receives: Body is the record without payload', async () => {
    const dest = fileDestination('sqs');
    expect(dest.kind).toBe('sqs');
    expect(dest.location).toBe(path.join(rootDir, 'FailureQueue.jsonl'));
    const batch = failedBatch();
    expect(await dest.write(batch)).toBe(dest.location);

    const [message] = await lines(dest.location);
    expect(Object.keys(message)).toEqual(['MessageId', 'MD5OfBody', 'Body', 'Attributes']);
    expect(message.MessageId).toMatch(UUID);
    expect(message.MD5OfBody).toBe(createHash('md5').update(message.Body).digest('hex'));
    expect(message.Attributes).toEqual({ SentTimestamp: String(Date.parse('2019-11-14T00:13:49.717Z')) });
    const body = JSON.parse(message.Body);
    expect(body).toEqual({ ...buildOnFailureRecord(batch, { includePayload: false }), requestContext: { ...body.requestContext } });
    expect(body.requestContext).toEqual({ requestId: expect.stringMatching(UUID), functionArn: FUNCTION_ARN, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
    expect('payload' in body).toBe(false);
  });

  test('readAll parses the bodies back, in the order written', async () => {
    const dest = fileDestination('sqs');
    expect(await dest.readAll()).toEqual([]);
    for (const count of [4, 1, 7]) {
      await dest.write(failedBatch({ approximateInvokeCount: count }));
    }
    const all = await dest.readAll();
    expect(all.map((r) => r.requestContext.approximateInvokeCount)).toEqual([4, 1, 7]);
    expect(all.map((r) => r.requestContext.requestId)).toEqual((await lines(dest.location)).map((m) => JSON.parse(m.Body).requestContext.requestId));
  });

  test('readAll reports a torn line instead of skipping it', async () => {
    const dest = fileDestination('sqs');
    await dest.write(failedBatch());
    await fs.appendFile(dest.location, '{"MessageId":"x","Bo');
    await expect(dest.readAll()).rejects.toThrow(/FailureQueue\.jsonl:2: not JSON/);
  });

  test('a failed append does not block the appends after it', async () => {
    const dest = fileDestination('sqs');
    await fs.mkdir(dest.location); // a directory where the file belongs: appending fails
    await expect(dest.write(failedBatch())).rejects.toThrow();
    await fs.rmdir(dest.location);
    await dest.write(failedBatch());
    expect(await dest.readAll()).toHaveLength(1);
  });
});

describe('SNS destination', () => {
  test('appends the notification a subscriber receives: Message is the record without payload', async () => {
    const dest = fileDestination('sns');
    expect(dest.kind).toBe('sns');
    expect(dest.location).toBe(path.join(rootDir, 'FailureTopic.jsonl'));
    const batch = failedBatch({ condition: 'RecordAgeExceeded' });
    await dest.write(batch);

    const [notification] = await lines(dest.location);
    expect(notification).toEqual({
      Type: 'Notification',
      MessageId: expect.stringMatching(UUID),
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:FailureTopic',
      Message: expect.any(String),
      Timestamp: '2019-11-14T00:13:49.717Z',
    });
    const message = JSON.parse(notification.Message);
    expect(message).toEqual({ ...buildOnFailureRecord(batch, { includePayload: false }), requestContext: { ...message.requestContext } });
    expect(message.requestContext.condition).toBe('RecordAgeExceeded');
    expect('payload' in message).toBe(false);
    expect(await dest.readAll()).toEqual([message]);
  });
});

describe('concurrent writes (several shards failing at once)', () => {
  const batches = Array.from({ length: 100 }, (_, i) => {
    const seq = String(1000 + i).padStart(21, '0');
    const records = [streamRecord(seq, 1714550400 + i, `order#${i}`)];
    return failedBatch({ records, event: { Records: records }, shardId: `shardId-0000000${i % 4}-lane`, approximateInvokeCount: i });
  });

  test.each(['sqs', 'sns'] as const)('%s: 100 concurrent writes give 100 whole lines, and readAll waits for them', async (kind) => {
    const dest = fileDestination(kind);
    const writes = batches.map((b) => dest.write(b));
    const read = dest.readAll(); // issued before any write finished: must still see all of them
    await Promise.all(writes);
    const all = await read;
    expect(all).toHaveLength(100);
    const parsed = await lines(dest.location);
    expect(parsed).toHaveLength(100);
    const body = (m: Record<string, any>) => JSON.parse(kind === 'sqs' ? m.Body : m.Message) as OnFailureRecord;
    expect(parsed.map((m) => body(m).DDBStreamBatchInfo.startSequenceNumber).sort())
      .toEqual(batches.map((b) => b.records[0].dynamodb!.SequenceNumber).sort());
    expect(new Set(all.map((r) => r.requestContext.requestId)).size).toBe(100);
  });

  test('two destination objects on the same queue share one write queue', async () => {
    const a = fileDestination('sqs');
    const b = fileDestination('sqs');
    await Promise.all(batches.flatMap((batch) => [a.write(batch), b.write(batch)]));
    expect(await lines(a.location)).toHaveLength(200);
    expect(await b.readAll()).toHaveLength(200);
  });

  test('s3: 100 concurrent writes give 100 objects, and readAll waits for them', async () => {
    const dest = s3Destination();
    const writes = batches.map((b) => dest.write(b));
    const read = dest.readAll(); // issued before any write finished: must still see all of them
    const uris = await Promise.all(writes);
    expect(new Set(uris).size).toBe(100);
    const all = await read;
    expect(all).toHaveLength(100);
    expect(all.map((r) => JSON.parse(r.payload!).Records[0].dynamodb.SequenceNumber).sort())
      .toEqual(batches.map((b) => b.records[0].dynamodb!.SequenceNumber).sort());
  });
});
