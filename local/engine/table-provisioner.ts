import {
  AttributeDefinition, CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, GlobalSecondaryIndex,
  LocalSecondaryIndex, ResourceNotFoundException, UpdateTimeToLiveCommand, waitUntilTableExists, waitUntilTableNotExists,
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

/** A table of the app's name already holds data on a DynamoDB Local the user runs: the runner leaves it alone. */
export class TableExistsError extends Error {
  constructor(readonly tableName: string, endpoint: string) {
    super(`table ${tableName} already exists on the DynamoDB at ${endpoint}; the runner does not touch a table it did not create. `
      + 'Delete it, point the runner at another DynamoDB Local, or pass --reset-tables (resetTables: true) to delete and recreate it, '
      + 'which loses its items.');
    this.name = 'TableExistsError';
  }
}

export interface ProvisionOptions {
  /** The endpoint, for messages. */
  readonly endpoint: string;
  /** Delete a table of the same name that already exists (its items are lost). Default false: refuse. */
  readonly replaceExisting?: boolean;
}

/**
 * Creates the table with the template's keys, secondary indexes, stream view type and TTL. A table of the
 * same name that already exists (on a DynamoDB Local the user runs) is refused unless `replaceExisting`.
 */
export async function provisionTable(client: DynamoDBClient, table: TableDefinition, options: ProvisionOptions): Promise<ProvisionedTable> {
  const tableName = table.tableName;
  if (await exists(client, tableName)) {
    if (!options.replaceExisting) throw new TableExistsError(tableName, options.endpoint);
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    await waitUntilTableNotExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  }
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

async function exists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (e) {
    if (e instanceof ResourceNotFoundException || (e as { name?: string }).name === 'ResourceNotFoundException') return false;
    throw e;
  }
}
