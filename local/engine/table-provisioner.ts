import {
  CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException,
  UpdateTimeToLiveCommand, waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../assembly/read-assembly';

/** A table created in DynamoDB Local from the template's own properties. */
export interface ProvisionedTable {
  readonly tableName: string;
  readonly tableArn: string;
  readonly streamArn: string;
}

/**
 * Creates the table with the template's keys, stream view type and TTL. A table of the same name that
 * already exists (a DynamoDB Local the user runs) is replaced: the runner owns the tables it runs.
 */
export async function provisionTable(client: DynamoDBClient, tableName: string, table: TableDefinition): Promise<ProvisionedTable> {
  if (table.streamViewType === 'NONE') {
    throw new Error(`table ${table.logicalId} has no stream in its template: nothing would trigger the function`);
  }
  await deleteIfExists(client, tableName);
  const keys = [table.partitionKey, table.sortKey].filter((k): k is NonNullable<typeof k> => k !== undefined);
  const created = await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
    KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType as any },
  }));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  if (table.timeToLiveAttribute) {
    await client.send(new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
    }));
  }
  const description = created.TableDescription!;
  return { tableName, tableArn: description.TableArn!, streamArn: description.LatestStreamArn! };
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
