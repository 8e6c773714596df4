import { keysOnlyRecord, streamMapping } from './local-mapping-helpers';
import type { IteratorPosition, RecordsPage, ShardInfo, StreamSource } from '../local/engine/stream-source';
import { Ledger } from '../local/ledger/ledger';
import { MappingEmulator } from '../local/mapping/mapping-emulator';
import type { StreamsApiRecord } from '../local/mapping/normalize-record';

// Shard lineage on an in-memory stream (DynamoDB Local rolls shards over only every 4 hours): a child shard
// is read only once its parent is drained, so an item's records keep their order across a rollover.

const STREAM = 'arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/1';


/** Parent shard (closed) with 3 records, child shard (open) with 3 more; the child is listed first. */
class FakeStream implements StreamSource {
  public readonly shards: Record<string, { info: ShardInfo; records: StreamsApiRecord[]; closed: boolean }> = {
    child: { info: { shardId: 'child', parentShardId: 'parent' }, records: [keysOnlyRecord(4, 'a'), keysOnlyRecord(5, 'b'), keysOnlyRecord(6, 'a')], closed: false },
    parent: { info: { shardId: 'parent', endingSequenceNumber: '3' }, records: [keysOnlyRecord(1, 'a'), keysOnlyRecord(2, 'b'), keysOnlyRecord(3, 'a')], closed: true },
  };
  public parentReads = 0;

  public async describeStream(): Promise<ShardInfo[]> {
    return Object.values(this.shards).map((s) => s.info);
  }

  public async getShardIterator(_arn: string, shardId: string, position: IteratorPosition): Promise<string> {
    const shard = this.shards[shardId];
    const index = position.type === 'TRIM_HORIZON' ? 0
      : shard.records.findIndex((r) => r.dynamodb!.SequenceNumber === position.sequenceNumber) + 1;
    return `${shardId}:${index}`;
  }

  public async getRecords(iterator: string, limit: number): Promise<RecordsPage> {
    const [shardId, at] = iterator.split(':');
    const shard = this.shards[shardId];
    if (shardId === 'parent') {
      this.parentReads++;
      await new Promise((r) => setTimeout(r, 50)); // a slow parent: the child must still wait for it
    }
    const records = shard.records.slice(Number(at), Number(at) + Math.min(limit, 2));
    const next = Number(at) + records.length;
    const done = shard.closed && next >= shard.records.length;
    return { records, nextShardIterator: done && records.length === 0 ? undefined : `${shardId}:${next}` };
  }
}

const mapping = streamMapping({ maximumRetryAttempts: 1, bisectBatchOnFunctionError: true, reportBatchItemFailures: true });

test('the child shard waits until its parent is drained; every record is delivered once, in order', async () => {
  const source = new FakeStream();
  const delivered: string[] = [];
  const ledger = new Ledger();
  const emulator = new MappingEmulator({
    mapping,
    streamArn: STREAM,
    source,
    functionArn: 'arn:aws:lambda:ddblocal:000000000000:function:f',
    region: 'ddblocal',
    ledger,
    pollIntervalMs: 10,
    shardDiscoveryIntervalMs: 50,
    invoke: async (event: any) => {
      delivered.push(...event.Records.map((r: any) => `${r.dynamodb.Keys.pk.S}${Number(r.dynamodb.SequenceNumber)}`));
      return { status: 'ok', payload: { batchItemFailures: [] }, durationMs: 1, requestId: 'r', coldStart: false };
    },
  });
  await emulator.start();
  const deadline = Date.now() + 10_000;
  while (delivered.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await emulator.stop();

  expect(delivered).toEqual(['a1', 'b2', 'a3', 'a4', 'b5', 'a6']);
  expect(source.parentReads).toBeGreaterThan(1);
  expect(ledger.outOfOrderItems()).toEqual([]);
  expect(ledger.all().map((d) => d.deliveries)).toEqual([1, 1, 1, 1, 1, 1]);
});

test('LATEST pins each shard to its last existing record at start (never a LATEST iterator): only new records are delivered', async () => {
  const source = new FakeStream();
  const positions: string[] = [];
  const getShardIterator = source.getShardIterator.bind(source);
  source.getShardIterator = async (arn, shardId, position) => {
    positions.push(position.type);
    return getShardIterator(arn, shardId, position);
  };
  const delivered: string[] = [];
  const emulator = new MappingEmulator({
    mapping: { ...mapping, startingPosition: 'LATEST' },
    streamArn: STREAM,
    source,
    functionArn: 'f',
    region: 'ddblocal',
    ledger: new Ledger(),
    pollIntervalMs: 10,
    shardDiscoveryIntervalMs: 50,
    invoke: async (event: any) => {
      delivered.push(...event.Records.map((r: any) => `${r.dynamodb.Keys.pk.S}${Number(r.dynamodb.SequenceNumber)}`));
      return { status: 'ok', payload: null, durationMs: 1, requestId: 'r', coldStart: false };
    },
  });
  await emulator.start();
  expect(emulator.auditStart('child')).toBe('000000000000000000006');
  source.shards.child.records.push(keysOnlyRecord(7, 'c'));
  const deadline = Date.now() + 10_000;
  while (delivered.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  await emulator.stop();
  expect(delivered).toEqual(['c7']);
  expect(positions).not.toContain('LATEST');
});
