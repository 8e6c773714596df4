import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { DynamoDBRecord } from 'aws-lambda';
import { buildOnFailureRecord, createLocalFailureDestination, FailedBatch, OnFailureRecord } from '../local/destinations/failure-destination-writer';

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

function destination(kind: 's3' | 'sqs' | 'sns', logicalId = kind === 's3' ? 'FailureBucket' : kind === 'sqs' ? 'FailureQueue' : 'FailureTopic') {
  return createLocalFailureDestination({ kind, rootDir, logicalId, mappingUuid: MAPPING_UUID, region: 'us-east-1', account: '123456789012' });
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
  test('writes the record with its payload at the on-failure object key', async () => {
    const dest = destination('s3');
    expect(dest.kind).toBe('s3');
    expect(dest.location).toBe(path.join(rootDir, 'FailureBucket'));
    const batch = failedBatch();
    const file = await dest.write(batch);

    const key = path.relative(rootDir, file).split(path.sep).join('/');
    expect(key).toMatch(new RegExp(`^FailureBucket/aws/lambda/${MAPPING_UUID}/${SHARD}/2019/11/14/2019-11-14T00\\.13\\.49-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`));
    const stored = JSON.parse(await fs.readFile(file, 'utf8')) as OnFailureRecord;
    // Every field as built, the request id aside (a fresh UUID per record).
    const built = buildOnFailureRecord(batch, { includePayload: true });
    expect(stored).toEqual({ ...built, requestContext: { ...built.requestContext, requestId: stored.requestContext.requestId } });
    expect(stored.requestContext.requestId).toMatch(UUID);
    expect(JSON.parse(stored.payload!)).toEqual(batch.event);
    expect(stored.DDBStreamBatchInfo.approximateArrivalOfFirstRecord).toBe('2019-11-14T00:13:19Z');
  });

  test('the date in the key is UTC and zero-padded', async () => {
    const file = await destination('s3').write(failedBatch({ now: new Date('2024-03-05T07:08:09.123Z') }));
    expect(path.relative(rootDir, file).split(path.sep).slice(-4).join('/')).toMatch(/^2024\/03\/05\/2024-03-05T07\.08\.09-[0-9a-f-]{36}$/);
    const late = await destination('s3').write(failedBatch({ now: new Date('2024-12-31T23:59:59.999+00:00') }));
    expect(path.basename(late)).toMatch(/^2024-12-31T23\.59\.59-/);
  });

  test('readAll returns every record, oldest first, with payloads', async () => {
    const dest = destination('s3');
    expect(await dest.readAll()).toEqual([]);
    await dest.write(failedBatch({ now: new Date('2024-01-01T00:00:02.000Z'), approximateInvokeCount: 2 }));
    await dest.write(failedBatch({ now: new Date('2024-01-01T00:00:01.000Z'), approximateInvokeCount: 1, shardId: 'shardId-00000001573689847184-aaaaaaaa' }));
    await dest.write(failedBatch({ now: new Date('2024-01-01T00:00:03.000Z'), approximateInvokeCount: 3 }));
    const all = await dest.readAll();
    expect(all.map((r) => r.requestContext.approximateInvokeCount)).toEqual([1, 2, 3]);
    expect(all.every((r) => typeof r.payload === 'string')).toBe(true);
  });

  test('refuses names that would leave the root directory', async () => {
    expect(() => createLocalFailureDestination({ kind: 's3', rootDir, logicalId: '../x', mappingUuid: MAPPING_UUID, region: 'r', account: 'a' })).toThrow(/path segment/);
    expect(() => createLocalFailureDestination({ kind: 'sqs', rootDir, logicalId: 'Q', mappingUuid: '..', region: 'r', account: 'a' })).toThrow(/path segment/);
    await expect(destination('s3').write(failedBatch({ shardId: '../../etc' }))).rejects.toThrow(/path segment/);
  });

  test('a failed write does not block the writes after it', async () => {
    const dest = destination('s3');
    await fs.mkdir(dest.location, { recursive: true });
    await fs.writeFile(path.join(dest.location, 'aws'), 'not a directory');
    await expect(dest.write(failedBatch())).rejects.toThrow();
    await fs.rm(path.join(dest.location, 'aws'));
    await dest.write(failedBatch());
    expect(await dest.readAll()).toHaveLength(1);
  });
});

describe('SQS destination', () => {
  test('appends the message a consumer receives: Body is the record without payload', async () => {
    const dest = destination('sqs');
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
    const dest = destination('sqs');
    expect(await dest.readAll()).toEqual([]);
    for (const count of [4, 1, 7]) {
      await dest.write(failedBatch({ approximateInvokeCount: count }));
    }
    const all = await dest.readAll();
    expect(all.map((r) => r.requestContext.approximateInvokeCount)).toEqual([4, 1, 7]);
    expect(all.map((r) => r.requestContext.requestId)).toEqual((await lines(dest.location)).map((m) => JSON.parse(m.Body).requestContext.requestId));
  });

  test('readAll reports a torn line instead of skipping it', async () => {
    const dest = destination('sqs');
    await dest.write(failedBatch());
    await fs.appendFile(dest.location, '{"MessageId":"x","Bo');
    await expect(dest.readAll()).rejects.toThrow(/FailureQueue\.jsonl:2: not JSON/);
  });

  test('a failed append does not block the appends after it', async () => {
    const dest = destination('sqs');
    await fs.mkdir(dest.location); // a directory where the file belongs: appending fails
    await expect(dest.write(failedBatch())).rejects.toThrow();
    await fs.rmdir(dest.location);
    await dest.write(failedBatch());
    expect(await dest.readAll()).toHaveLength(1);
  });
});

describe('SNS destination', () => {
  test('appends the notification a subscriber receives: Message is the record without payload', async () => {
    const dest = destination('sns');
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
    const dest = destination(kind);
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
    const a = destination('sqs');
    const b = destination('sqs');
    await Promise.all(batches.flatMap((batch) => [a.write(batch), b.write(batch)]));
    expect(await lines(a.location)).toHaveLength(200);
    expect(await b.readAll()).toHaveLength(200);
  });

  test('s3: 100 concurrent writes give 100 objects', async () => {
    const dest = destination('s3');
    const files = await Promise.all(batches.map((b) => dest.write(b)));
    expect(new Set(files).size).toBe(100);
    const all = await dest.readAll();
    expect(all).toHaveLength(100);
    expect(all.map((r) => JSON.parse(r.payload!).Records[0].dynamodb.SequenceNumber).sort())
      .toEqual(batches.map((b) => b.records[0].dynamodb!.SequenceNumber).sort());
  });
});
