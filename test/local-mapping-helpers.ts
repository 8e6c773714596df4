import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { MappingDefinition } from '../local/assembly/definitions';

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
