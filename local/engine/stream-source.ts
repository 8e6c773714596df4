import {
  DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';

/** A stream record as the Streams API returns it; loose on purpose so SDK records and raw JSON both fit. */
export interface StreamsApiRecord {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly eventVersion?: string;
  readonly eventSource?: string;
  readonly awsRegion?: string;
  readonly dynamodb?: {
    readonly ApproximateCreationDateTime?: Date | number;
    readonly Keys?: Record<string, unknown>;
    readonly NewImage?: Record<string, unknown>;
    readonly OldImage?: Record<string, unknown>;
    readonly SequenceNumber?: string;
    readonly SizeBytes?: number;
    readonly StreamViewType?: string;
  };
  readonly userIdentity?: {
    readonly PrincipalId?: string;
    readonly Type?: string;
    readonly principalId?: string;
    readonly type?: string;
  };
}

/** A shard as DescribeStream reports it. */
export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardId?: string;
  /** Set once the shard is closed (it will get no more records). */
  readonly endingSequenceNumber?: string;
}

export type IteratorPosition =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'AT_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

export interface RecordsPage {
  readonly records: StreamsApiRecord[];
  /** Absent when the shard is closed and fully read. */
  readonly nextShardIterator?: string;
}

/**
 * The three Streams API calls the mapping makes. An interface, so that tests can inject faults
 * (an iterator that expires mid-run) around the real client.
 */
export interface StreamSource {
  describeStream(streamArn: string): Promise<ShardInfo[]>;
  getShardIterator(streamArn: string, shardId: string, position: IteratorPosition): Promise<string>;
  getRecords(shardIterator: string, limit: number): Promise<RecordsPage>;
}

/** GetRecords returns at most 1,000 records (and DynamoDB Local caps Limit there too). */
export const GET_RECORDS_LIMIT = 1000;

/** Errors after which the mapping takes a new iterator from its checkpoint instead of failing. */
export function isIteratorLost(error: unknown): 'expired' | 'trimmed' | undefined {
  const name = (error as { name?: string })?.name;
  if (name === 'ExpiredIteratorException') return 'expired';
  if (name === 'TrimmedDataAccessException') return 'trimmed';
  return undefined;
}

export class SdkStreamSource implements StreamSource {
  constructor(private readonly client: DynamoDBStreamsClient) {}

  public async describeStream(streamArn: string): Promise<ShardInfo[]> {
    const shards: ShardInfo[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const out = await this.client.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }));
      for (const s of out.StreamDescription?.Shards ?? []) {
        shards.push({
          shardId: s.ShardId!,
          parentShardId: s.ParentShardId,
          endingSequenceNumber: s.SequenceNumberRange?.EndingSequenceNumber,
        });
      }
      exclusiveStartShardId = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return shards;
  }

  public async getShardIterator(streamArn: string, shardId: string, position: IteratorPosition): Promise<string> {
    const out = await this.client.send(new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: shardId,
      ShardIteratorType: position.type as ShardIteratorType,
      SequenceNumber: position.type === 'TRIM_HORIZON' ? undefined : position.sequenceNumber,
    }));
    return out.ShardIterator!;
  }

  public async getRecords(shardIterator: string, limit: number): Promise<RecordsPage> {
    const out = await this.client.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: limit }));
    return { records: (out.Records ?? []) as StreamsApiRecord[], nextShardIterator: out.NextShardIterator };
  }
}
