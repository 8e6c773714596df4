import type { IteratorPosition, RecordsPage, ShardInfo, StreamSource } from '../local/engine/stream-source';
import { StreamAudit } from '../local/ledger/stream-audit';

// The audit is the independent list of records the ledger is checked against: counting one twice would
// report it lost.

/** One open shard with three records; every call yields to the event loop, as the real client does. */
class OneShard implements StreamSource {
  private readonly seqs = ['100000000000000000001', '100000000000000000002', '100000000000000000003'];

  public async describeStream(): Promise<ShardInfo[]> {
    await new Promise((r) => setTimeout(r, 5));
    return [{ shardId: 's' }];
  }

  public async getShardIterator(_arn: string, _shard: string, position: IteratorPosition): Promise<string> {
    await new Promise((r) => setTimeout(r, 5));
    return String(position.type === 'TRIM_HORIZON' ? 0 : this.seqs.indexOf(position.sequenceNumber) + 1);
  }

  public async getRecords(iterator: string): Promise<RecordsPage> {
    await new Promise((r) => setTimeout(r, 5));
    const records = this.seqs.slice(Number(iterator)).map((SequenceNumber) => ({ dynamodb: { SequenceNumber } }));
    return { records, nextShardIterator: String(this.seqs.length) };
  }
}

test('concurrent refreshes count each record once', async () => {
  const audit = new StreamAudit(new OneShard(), 'arn', () => undefined);
  await Promise.all([audit.refresh(), audit.refresh(), audit.refresh()]);
  expect(audit.records.map((r) => r.sequenceNumber)).toEqual(['100000000000000000001', '100000000000000000002', '100000000000000000003']);
  await audit.refresh();
  expect(audit.records).toHaveLength(3);
});

/**
 * Shards with their records, as DynamoDB Streams serves them: an iterator is a position; an open shard's last
 * page gives an iterator to go on from, a closed shard's none. Counts the calls; can expire or fail the next call.
 */
class Shards implements StreamSource {
  public readonly calls = { describeStream: 0, getShardIterator: 0, getRecords: 0 };
  public readonly shards = new Map<string, { records: string[]; closed: boolean }>();
  public expireNext = false;
  public failNext = false;

  public add(shardId: string, ...records: string[]): void {
    const shard = this.shards.get(shardId) ?? { records: [], closed: false };
    shard.records.push(...records);
    this.shards.set(shardId, shard);
  }

  public async describeStream(): Promise<ShardInfo[]> {
    this.calls.describeStream++;
    return [...this.shards.keys()].map((shardId) => ({ shardId }));
  }

  public async getShardIterator(_arn: string, shardId: string, position: IteratorPosition): Promise<string> {
    this.calls.getShardIterator++;
    const records = this.shards.get(shardId)!.records;
    return `${shardId}:${position.type === 'TRIM_HORIZON' ? 0 : records.indexOf(position.sequenceNumber) + 1}`;
  }

  public async getRecords(iterator: string, limit: number): Promise<RecordsPage> {
    this.calls.getRecords++;
    if (this.expireNext || this.failNext) {
      const error = Object.assign(new Error('no'), { name: this.expireNext ? 'ExpiredIteratorException' : 'InternalServerError' });
      this.expireNext = this.failNext = false;
      throw error;
    }
    const [shardId, at] = iterator.split(':');
    const shard = this.shards.get(shardId)!;
    const page = shard.records.slice(Number(at), Number(at) + limit);
    const end = Number(at) + page.length;
    const nextShardIterator = shard.closed && end >= shard.records.length && page.length === 0 ? undefined : `${shardId}:${end}`;
    return { records: page.map((SequenceNumber) => ({ dynamodb: { SequenceNumber } })), nextShardIterator };
  }
}

const seqs = (audit: StreamAudit) => audit.records.map((r) => r.sequenceNumber);

/** A stream of one shard holding `records`, and its audit after a first refresh. */
async function audited(shardId: string, ...records: string[]): Promise<{ stream: Shards; audit: StreamAudit }> {
  const stream = new Shards();
  stream.add(shardId, ...records);
  const audit = new StreamAudit(stream, 'arn', () => undefined);
  await audit.refresh();
  return { stream, audit };
}

test('a refresh goes on from the open shard\'s last iterator: one GetRecords when nothing is new, no describe', async () => {
  const { stream, audit } = await audited('s1', '1', '2');
  expect(seqs(audit)).toEqual(['1', '2']);
  expect(stream.calls).toEqual({ describeStream: 1, getShardIterator: 1, getRecords: 2 });

  await audit.refresh();
  expect(stream.calls).toEqual({ describeStream: 1, getShardIterator: 1, getRecords: 3 });
  stream.add('s1', '3');
  await audit.refresh();
  expect(seqs(audit)).toEqual(['1', '2', '3']);
  expect(stream.calls).toEqual({ describeStream: 1, getShardIterator: 1, getRecords: 5 });
});

test('a shard that closes is read to its end, then the stream is described for its children', async () => {
  const { stream, audit } = await audited('parent', '1');
  stream.add('parent', '2');
  stream.shards.get('parent')!.closed = true;
  stream.add('child', '3', '4');
  await audit.refresh();
  expect(seqs(audit)).toEqual(['1', '2', '3', '4']);
  expect(stream.calls.describeStream).toBe(2);
  // The closed parent is never read again; the open child goes on from its iterator.
  const before = stream.calls.getRecords;
  await audit.refresh();
  expect(stream.calls.getRecords).toBe(before + 1);
  expect(stream.calls.describeStream).toBe(2);
});

test('an iterator that expired, or a call that failed, is read again from the cursor: each record once', async () => {
  const { stream, audit } = await audited('s1', '1');
  stream.add('s1', '2');
  stream.expireNext = true;
  await audit.refresh();
  expect(seqs(audit)).toEqual(['1', '2']);

  stream.add('s1', '3');
  stream.failNext = true;
  await expect(audit.refresh()).rejects.toThrow('no');
  await audit.refresh();
  expect(seqs(audit)).toEqual(['1', '2', '3']);
});

test('a refresh whose DescribeStream failed describes the stream again at the next one', async () => {
  const stream = new Shards();
  stream.add('s1', '1');
  const describe = stream.describeStream.bind(stream);
  let failures = 1;
  stream.describeStream = async () => {
    if (failures-- > 0) throw Object.assign(new Error('unavailable'), { name: 'InternalServerError' });
    return describe();
  };
  const audit = new StreamAudit(stream, 'arn', () => undefined);
  await expect(audit.refresh()).rejects.toThrow('unavailable');
  await audit.refresh();
  expect(seqs(audit)).toEqual(['1']);
});
