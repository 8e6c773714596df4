/**
 * Records real DynamoDB stream records for the handler tests.
 *
 *   npx ts-node --project scripts/tsconfig.json scripts/record-fixtures.ts
 *
 * Starts the official DynamoDB Local jar, creates one table per StreamViewType (plus one with a binary
 * partition key), runs the same INSERT / MODIFY / REMOVE / TTL-delete scenario on each, reads the streams
 * back with the Streams API and writes them, normalised to the shape Lambda delivers, to
 * test/fixtures/stream-<view-type>.json. Event ids, sequence numbers and timestamps change on every run;
 * the tests read those from the fixtures and assert everything else against values written out by hand.
 *
 * test/fixtures/malformed-records.json is NOT written here: it holds hand-edited copies of recorded records.
 */
// The AWS SDK clients are devDependencies: this script only runs in the repository (the generated
// .eslintrc.json allows devDependencies under test/ only).
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  StreamViewType,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { startDynamoDbLocal } from '../local/engine/dynamodb-local';
import { compareSequenceNumbers } from '../local/engine/sequence';
import { GET_RECORDS_LIMIT, SdkStreamSource } from '../local/engine/stream-source';
import { normalizeRecord, StreamsApiRecord } from '../local/mapping/normalize-record';

const FIXTURES_DIR = path.join(__dirname, '..', 'test', 'fixtures');
const VIEW_TYPES: StreamViewType[] = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'];
const READ_TIMEOUT_MS = 30_000;

const bytes = (...values: number[]) => Uint8Array.from(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The rich item: every attribute type, empty strings, nested maps and lists, numbers a double cannot hold. */
const ORDER: Record<string, AttributeValue> = {
  pk: { S: 'order#1' },
  sk: { N: '1' },
  status: { S: 'NEW' },
  note: { S: '' },
  quantity: { N: '3' },
  price: { N: '19.99' },
  discount: { N: '-0.5' },
  bigInteger: { N: '12345678901234567890' },
  beyondSafeInteger: { N: '9007199254740993' },
  highPrecision: { N: '12345678901234567890123456789.123456789' },
  payload: { B: bytes(0, 1, 2, 253, 254, 255) },
  emptyBinary: { B: bytes() },
  tags: { SS: ['blue', 'green', 'red'] },
  scores: { NS: ['1', '2.5', '12345678901234567890'] },
  blobs: { BS: [utf8('hello'), bytes(255)] },
  active: { BOOL: true },
  gift: { BOOL: false },
  deletedAt: { NULL: true },
  customer: {
    M: {
      name: { S: 'Ada Lovelace' },
      email: { S: 'ada@example.com' },
      address: {
        M: {
          street: { S: "12 St James's Square" },
          city: { S: 'London' },
          geo: { M: { lat: { N: '51.5074' }, lon: { N: '-0.1278' } } },
        },
      },
      phones: {
        L: [
          { M: { kind: { S: 'home' }, number: { S: '+44 20 7946 0000' } } },
          { M: { kind: { S: 'mobile' }, number: { S: '+44 7700 900000' } } },
        ],
      },
    },
  },
  lines: {
    L: [
      { M: { sku: { S: 'A-1' }, qty: { N: '2' } } },
      { L: [{ S: 'nested' }, { N: '1' }, { NULL: true }, { BOOL: false }, { S: '' }] },
      { S: '' },
    ],
  },
  emptyList: { L: [] },
  emptyMap: { M: {} },
};

async function main(): Promise<void> {
  const local = await startDynamoDbLocal();
  console.log(`DynamoDB Local on ${local.endpoint}`);
  const clientConfig = {
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const ddb = new DynamoDBClient(clientConfig);
  const streams = new DynamoDBStreamsClient(clientConfig);
  try {
    mkdirSync(FIXTURES_DIR, { recursive: true });
    for (const viewType of VIEW_TYPES) {
      const tableName = `change-log-${kebab(viewType)}`;
      const streamArn = await createTable(ddb, tableName, viewType, [
        { AttributeName: 'pk', KeyType: 'HASH', AttributeType: 'S' },
        { AttributeName: 'sk', KeyType: 'RANGE', AttributeType: 'N' },
      ]);
      await runScenario(ddb, tableName);
      // INSERT, MODIFY, REMOVE of the order; INSERT and TTL REMOVE of the session.
      const records = await readStream(streams, streamArn, 5);
      writeFixture(`stream-${kebab(viewType)}.json`, records, streamArn);
    }

    // Binary partition key: keys are unmarshalled like any other value (base64).
    const tableName = 'change-log-binary-key';
    const streamArn = await createTable(ddb, tableName, 'NEW_AND_OLD_IMAGES', [
      { AttributeName: 'id', KeyType: 'HASH', AttributeType: 'B' },
    ]);
    const key = { id: { B: bytes(0xde, 0xad, 0xbe, 0xef) } };
    await ddb.send(new PutItemCommand({ TableName: tableName, Item: { ...key, label: { S: 'binary key' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
    writeFixture('stream-binary-key.json', await readStream(streams, streamArn, 2), streamArn);
  } finally {
    ddb.destroy();
    streams.destroy();
    await local.stop();
  }
}

async function createTable(
  ddb: DynamoDBClient,
  tableName: string,
  viewType: StreamViewType,
  keys: Array<{ AttributeName: string; KeyType: 'HASH' | 'RANGE'; AttributeType: 'S' | 'N' | 'B' }>,
): Promise<string> {
  await ddb.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keys.map(({ AttributeName, KeyType }) => ({ AttributeName, KeyType })),
    AttributeDefinitions: keys.map(({ AttributeName, AttributeType }) => ({ AttributeName, AttributeType })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: viewType },
  }));
  const described = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) {
    throw new Error(`table ${tableName} has no stream`);
  }
  return streamArn;
}

async function runScenario(ddb: DynamoDBClient, tableName: string): Promise<void> {
  // INSERT
  await ddb.send(new PutItemCommand({ TableName: tableName, Item: ORDER }));
  // MODIFY: change a top-level value, a value deep in a map, a number, a set; add one attribute, remove one.
  await ddb.send(new UpdateItemCommand({
    TableName: tableName,
    Key: { pk: ORDER.pk, sk: ORDER.sk },
    UpdateExpression: 'SET #status = :shipped, customer.address.city = :paris, quantity = quantity + :one, '
      + 'shippedAt = :shippedAt REMOVE note ADD tags :yellow',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':shipped': { S: 'SHIPPED' },
      ':paris': { S: 'Paris' },
      ':one': { N: '1' },
      ':shippedAt': { S: '2024-05-01T10:00:00Z' },
      ':yellow': { SS: ['yellow'] },
    },
  }));
  // REMOVE
  await ddb.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: ORDER.pk, sk: ORDER.sk } }));

  // TTL delete: an item whose expiry is already past is deleted by DynamoDB Local within about a second,
  // with userIdentity {Type: Service, PrincipalId: dynamodb.amazonaws.com}. The sort key is beyond 2^53.
  await ddb.send(new UpdateTimeToLiveCommand({
    TableName: tableName,
    TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
  }));
  await ddb.send(new PutItemCommand({
    TableName: tableName,
    Item: {
      pk: { S: 'session#1' },
      sk: { N: '12345678901234567890123' },
      token: { S: 'secret-token' },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) - 3600) },
    },
  }));
}

/** Reads every shard from TRIM_HORIZON until `expected` records arrived (the TTL delete comes asynchronously). */
async function readStream(streams: DynamoDBStreamsClient, streamArn: string, expected: number): Promise<StreamsApiRecord[]> {
  const deadline = Date.now() + READ_TIMEOUT_MS;
  const source = new SdkStreamSource(streams);
  const iterators = new Map<string, string | undefined>();
  for (const { shardId } of await source.describeStream(streamArn)) {
    iterators.set(shardId, await source.getShardIterator(streamArn, shardId, { type: 'TRIM_HORIZON' }));
  }
  const records: StreamsApiRecord[] = [];
  while (records.length < expected) {
    if (Date.now() > deadline) {
      throw new Error(`only ${records.length} of ${expected} records arrived on ${streamArn} within ${READ_TIMEOUT_MS} ms`);
    }
    let got = 0;
    for (const [shardId, iterator] of iterators) {
      if (!iterator) {
        continue;
      }
      const page = await source.getRecords(iterator, GET_RECORDS_LIMIT);
      records.push(...page.records);
      got += page.records.length;
      iterators.set(shardId, page.nextShardIterator);
    }
    if (got === 0) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  if (records.length !== expected) {
    throw new Error(`expected ${expected} records on ${streamArn}, got ${records.length}`);
  }
  // Sequence numbers are decimal strings of varying length: they order as integers, not as text.
  return records.sort((a, b) => compareSequenceNumbers(a.dynamodb!.SequenceNumber!, b.dynamodb!.SequenceNumber!));
}

function writeFixture(fileName: string, records: StreamsApiRecord[], streamArn: string): void {
  const event = {
    Records: records.map((record) => normalizeRecord(record, { eventSourceARN: streamArn })),
  };
  const file = path.join(FIXTURES_DIR, fileName);
  writeFileSync(file, JSON.stringify(event, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), file)} (${records.length} records: ${records.map((r) => r.eventName).join(', ')})`);
}

function kebab(viewType: string): string {
  return viewType.toLowerCase().replace(/_/g, '-');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
