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
