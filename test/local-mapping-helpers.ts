import { CreateTableCommand, DynamoDBClient, PutItemCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { MappingDefinition } from '../local/assembly/definitions';
import { DynamoDbLocal, startDynamoDbLocal } from '../local/engine/dynamodb-local';
import type { MappingEmulator } from '../local/mapping/mapping-emulator';
import type { StreamsApiRecord } from '../local/mapping/normalize-record';

/** A mapping definition for emulator tests: one shard's worth of plain settings, changed where a test needs it. */
export function streamMapping(overrides: Partial<MappingDefinition> = {}): MappingDefinition {
  return {
    logicalId: 'M',
    startingPosition: 'TRIM_HORIZON',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maximumRetryAttempts: 0,
    maximumRecordAgeSeconds: -1,
    bisectBatchOnFunctionError: false,
    parallelizationFactor: 1,
    tumblingWindowSeconds: 0,
    reportBatchItemFailures: false,
    enabled: true,
    filterPatterns: [],
    ...overrides,
  };
}

/** A table keyed by `pk` with a NEW_AND_OLD_IMAGES stream on DynamoDB Local; resolves to its stream ARN. */
export async function createStreamTable(client: DynamoDBClient, name: string): Promise<string> {
  const out = await client.send(new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  }));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: name });
  return out.TableDescription!.LatestStreamArn!;
}

/** A test file's DynamoDB Local, its clients, and the emulators its tests started. */
export interface MappingTestEngine {
  readonly client: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** The emulators started by the tests: stopped after the last test, before the engine (earlier too, if a file says so). */
  readonly running: MappingEmulator[];
  /** `createStreamTable` on this engine. */
  createTable(name: string): Promise<string>;
  /** Puts an item `{ pk }`; returns the wall-clock interval the write happened in. */
  put(table: string, pk: string): Promise<{ before: number; after: number }>;
}

/** One DynamoDB Local for the test file (call it at its top level): started before its tests, stopped after them. */
export function mappingTestEngine(): MappingTestEngine {
  let dynamo: DynamoDbLocal | undefined;
  const engine = {
    running: [] as MappingEmulator[],
    createTable: (name: string) => createStreamTable(engine.client, name),
    put: async (table: string, pk: string) => {
      const before = Date.now();
      await engine.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk } } }));
      return { before, after: Date.now() };
    },
  } as { -readonly [K in keyof MappingTestEngine]: MappingTestEngine[K] };
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    const config = { endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    engine.client = new DynamoDBClient(config);
    engine.streams = new DynamoDBStreamsClient(config);
  });
  afterAll(async () => {
    await Promise.all(engine.running.splice(0).map((e) => e.stop()));
    engine.client?.destroy();
    engine.streams?.destroy();
    await dynamo?.stop();
  });
  return engine;
}

/** Polls `condition` every 20 ms; rejects naming `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A KEYS_ONLY MODIFY record of the Streams API, as an in-memory stream serves it: sequence number `seq`, key `{ pk }`. */
export function keysOnlyRecord(seq: number, pk: string): StreamsApiRecord {
  return {
    eventID: `id-${seq}`,
    eventName: 'MODIFY',
    awsRegion: 'ddblocal',
    dynamodb: { ApproximateCreationDateTime: Math.floor(Date.now() / 1000), Keys: { pk: { S: pk } }, SequenceNumber: String(seq).padStart(21, '0'), SizeBytes: 10, StreamViewType: 'KEYS_ONLY' },
  };
}
