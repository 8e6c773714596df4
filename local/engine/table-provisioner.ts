import {
  AttributeDefinition, CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, GlobalSecondaryIndex,
  LocalSecondaryIndex, ResourceNotFoundException, UpdateTimeToLiveCommand, waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { KeyAttribute, SecondaryIndexDefinition, TableDefinition } from '../assembly/definitions';

/** A table created in DynamoDB Local from the template's own properties. */
export interface ProvisionedTable {
  readonly tableName: string;
  /** DynamoDB Local's stream ARN (`arn:aws:dynamodb:ddblocal:000000000000:...`), for the Streams API; undefined without a stream. */
  readonly localStreamArn?: string;
  /** The stream's label, the part of the ARN after `/stream/`. */
  readonly streamLabel?: string;
}

/**
 * Creates the table with the template's keys, secondary indexes, stream view type and TTL. A table of the
 * same name that already exists (a DynamoDB Local the user runs) is replaced: the runner owns the tables it runs.
 */
export async function provisionTable(client: DynamoDBClient, table: TableDefinition): Promise<ProvisionedTable> {
  const tableName = table.tableName;
  await deleteIfExists(client, tableName);
  const attributes = new Map<string, KeyAttribute['type']>();
  const keys = (partitionKey: KeyAttribute, sortKey?: KeyAttribute) => {
    for (const k of [partitionKey, sortKey]) if (k) attributes.set(k.name, k.type);
    return [{ AttributeName: partitionKey.name, KeyType: 'HASH' as const },
      ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : [])];
  };
  const projection = (index: SecondaryIndexDefinition) => ({
    ProjectionType: index.projectionType as 'ALL' | 'KEYS_ONLY' | 'INCLUDE',
    NonKeyAttributes: index.projectionType === 'INCLUDE' ? index.nonKeyAttributes : undefined,
  });
  const keySchema = keys(table.partitionKey, table.sortKey);
  const globalIndexes: GlobalSecondaryIndex[] = table.globalSecondaryIndexes.map((index) => ({
    IndexName: index.indexName, KeySchema: keys(index.partitionKey, index.sortKey), Projection: projection(index),
  }));
  const localIndexes: LocalSecondaryIndex[] = table.localSecondaryIndexes.map((index) => ({
    IndexName: index.indexName, KeySchema: keys(index.partitionKey, index.sortKey), Projection: projection(index),
  }));
  const attributeDefinitions: AttributeDefinition[] = [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
  // On-demand whatever the template says: DynamoDB Local does not throttle, and GSIs then need no throughput.
  const created = await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions,
    KeySchema: keySchema,
    GlobalSecondaryIndexes: globalIndexes.length ? globalIndexes : undefined,
    LocalSecondaryIndexes: localIndexes.length ? localIndexes : undefined,
    StreamSpecification: table.streamViewType ? { StreamEnabled: true, StreamViewType: table.streamViewType as any } : undefined,
  }));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  if (table.timeToLiveAttribute) {
    await client.send(new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
    }));
  }
  const localStreamArn = created.TableDescription?.LatestStreamArn;
  return { tableName, localStreamArn, streamLabel: localStreamArn?.split('/stream/')[1] };
}

async function deleteIfExists(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (e) {
    if (e instanceof ResourceNotFoundException || (e as { name?: string }).name === 'ResourceNotFoundException') return;
    throw e;
  }
  await client.send(new DeleteTableCommand({ TableName: tableName }));
}
