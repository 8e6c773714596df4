import { GetRecordsCommand, GetShardIteratorCommand, DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { mappingTestEngine, streamMapping, waitFor } from './local-mapping-helpers';
import { buildOnFailureRecord, FailedBatch, LocalFailureDestination } from '../local/destinations/failure-destination-writer';
import { SdkStreamSource } from '../local/engine/stream-source';
import type { InvokeResult } from '../local/lambda/function-host';
import { Ledger } from '../local/ledger/ledger';
import { StreamAudit } from '../local/ledger/stream-audit';
import { ArrivalClock } from '../local/mapping/arrival-clock';
import { MappingEmulator, MappingEmulatorOptions } from '../local/mapping/mapping-emulator';

// The mapping emulator on a real DynamoDB Local stream: the ARN the function sees, creation times to the
// second (DynamoDB Local gives the minute), and two mappings on one stream keeping separate ledgers.

const engine = mappingTestEngine();
const { createTable, put } = engine;

const mapping = streamMapping();

function emulator(options: Omit<MappingEmulatorOptions, 'source' | 'functionArn' | 'region' | 'pollIntervalMs'>): MappingEmulator {
  const e = new MappingEmulator({
    source: new SdkStreamSource(engine.streams),
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
    region: 'eu-west-1',
    pollIntervalMs: 20,
    ...options,
  });
  engine.running.push(e);
  return e;
}

const ok: InvokeResult = { status: 'ok', payload: null, durationMs: 1, requestId: 'r', coldStart: false };
const keyOf = (r: DynamoDBRecord) => r.dynamodb!.Keys!.pk.S!;

test('the function and the failure destination see eventSourceArn; creation times are to the second', async () => {
  const streamArn = await createTable('Arrivals');
  expect(streamArn).toMatch(/^arn:aws:dynamodb:ddblocal:000000000000:table\/Arrivals\/stream\//);
  const eventSourceArn = streamArn.replace('ddblocal:000000000000', 'eu-west-1:123456789012');

  const events: any[] = [];
  const failed: FailedBatch[] = [];
  const destination: LocalFailureDestination = {
    kind: 'sqs',
    location: 'memory',
    write: async (batch) => {
      failed.push(batch);
      return 'memory';
    },
    readAll: async () => [],
  };
  const e = emulator({
    // A tumbling window, so that the window's event (which names the stream too) is checked as well.
    mapping: { ...mapping, tumblingWindowSeconds: 1 },
    streamArn,
    eventSourceArn,
    ledger: new Ledger(),
    destination,
    invoke: async (event: any) => {
      events.push(event);
      const bad = event.Records.some((r: DynamoDBRecord) => keyOf(r).startsWith('bad'));
      return bad ? { ...ok, status: 'error', errorType: 'Error', errorMessage: 'bad item' } : ok;
    },
  });
  await e.start();

  const writes = new Map<string, { before: number; after: number }>();
  for (const pk of ['a', 'b', 'c']) {
    writes.set(pk, await put('Arrivals', pk));
    await new Promise((r) => setTimeout(r, 400)); // spread the writes over more than one second
  }
  const delivered = () => events.flatMap((ev) => ev.Records as DynamoDBRecord[]);
  await waitFor('a, b and c', () => delivered().length >= 3);
  writes.set('bad', await put('Arrivals', 'bad'));
  await waitFor('the failed batch', () => failed.length > 0);

  for (const record of delivered()) {
    expect(record.eventSourceARN).toBe(eventSourceArn);
    expect(record.awsRegion).toBe('eu-west-1');
    // Within 1 s of the write, not the start of its minute.
    const { before, after } = writes.get(keyOf(record))!;
    const created = record.dynamodb!.ApproximateCreationDateTime! * 1000;
    expect(created).toBeGreaterThan(before - 1000);
    expect(created).toBeLessThanOrEqual(after + 1000);
  }
  const windowEvents = events.filter((ev) => ev.window);
  expect(windowEvents.length).toBeGreaterThan(0);
  for (const ev of windowEvents) expect(ev.eventSourceARN).toBe(eventSourceArn);

  expect(failed).toHaveLength(1);
  const info = buildOnFailureRecord(failed[0], { includePayload: false }).DDBStreamBatchInfo;
  expect(info.streamArn).toBe(eventSourceArn);
  const badCreated = failed[0].records[0].dynamodb!.ApproximateCreationDateTime!;
  expect(info.approximateArrivalOfFirstRecord).toBe(new Date(badCreated * 1000).toISOString().replace('.000Z', 'Z'));

  // What DynamoDB Local itself says: the minute only (the reason for the arrival clock).
  const shard = (await engine.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription!.Shards![0];
  const iterator = (await engine.streams.send(new GetShardIteratorCommand({
    StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON',
  }))).ShardIterator!;
  const raw = (await engine.streams.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records!;
  expect(raw).toHaveLength(4);
  for (const r of raw) expect(r.dynamodb!.ApproximateCreationDateTime!.getTime() % 60_000).toBe(0);
});

test('two mappings with their own ledger keys on one stream each dispose of every record, with the same creation times', async () => {
  const streamArn = await createTable('Shared');
  const ledger = new Ledger();
  const arrivals = new ArrivalClock();
  const received = { first: [] as DynamoDBRecord[], second: [] as DynamoDBRecord[] };
  const mappings = (['first', 'second'] as const).map((ledgerKey) => emulator({
    mapping: { ...mapping, logicalId: ledgerKey, batchSize: 2 },
    streamArn,
    ledgerKey,
    ledger,
    arrivals,
    invoke: async (event: any) => {
      received[ledgerKey].push(...event.Records);
      return ok;
    },
  }));
  const audits = (['first', 'second'] as const).map((ledgerKey) => new StreamAudit(new SdkStreamSource(engine.streams), streamArn,
    () => undefined, { ledgerKey, arrivals }));
  await Promise.all(mappings.map((m) => m.start()));

  const items = ['p', 'q', 'r', 's', 't'];
  for (const pk of items) await put('Shared', pk);
  await waitFor('both mappings', () => received.first.length >= items.length && received.second.length >= items.length);
  await Promise.all(audits.map((a) => a.refresh()));

  for (const [i, ledgerKey] of (['first', 'second'] as const).entries()) {
    expect(ledger.summarize(audits[i].records)).toEqual({
      written: items.length,
      delivered: items.length,
      filtered: 0,
      sentToFailureDestination: 0,
      replayed: 0,
      dropped: 0,
      lost: 0,
      destinationDeliveryFailed: 0,
      pending: 0,
      pendingAtStop: 0,
      notRead: 0,
      disabledMappings: [],
    });
    const own = ledger.all().filter((d) => d.streamArn === ledgerKey);
    expect(own.map((d) => d.deliveries)).toEqual(items.map(() => 1));
    expect(received[ledgerKey].map(keyOf)).toEqual(items);
  }
  expect(ledger.outOfOrderItems()).toEqual([]);
  const times = (records: DynamoDBRecord[]) => records.map((r) => [r.dynamodb!.SequenceNumber, r.dynamodb!.ApproximateCreationDateTime]);
  expect(times(received.second)).toEqual(times(received.first));
  // Every reader (two mappings, two audits) has read every record: nothing is left in memory.
  expect(arrivals.size).toBe(0);
});
