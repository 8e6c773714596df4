import { keysOnlyRecord, streamMapping } from './local-mapping-helpers';
import type { IteratorPosition, RecordsPage, ShardInfo, StreamSource } from '../local/engine/stream-source';
import { Ledger } from '../local/ledger/ledger';
import { Doorbell } from '../local/mapping/doorbell';
import { IDLE_POLL_MS, idlePollInterval, TTL_TABLE_IDLE_POLL_MS, USERS_ENDPOINT_IDLE_POLL_MS } from '../local/mapping/idle-poll-interval';
import { MappingEmulator } from '../local/mapping/mapping-emulator';
import type { StreamsApiRecord } from '../local/mapping/normalize-record';

// An idle reader with a doorbell: full-rate polls first, then longer and longer pauses up to its idle
// interval; a ring cuts any pause short. On an in-memory stream whose calls are timed.

const STREAM = 'arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/1';
const POLL_MS = 10;
const IDLE_MS = 500;

/** One open shard, empty until the test adds records; every call is timed. */
class TimedStream implements StreamSource {
  public readonly records: StreamsApiRecord[] = [];
  public readonly polls: number[] = [];
  public readonly describes: number[] = [];

  public async describeStream(): Promise<ShardInfo[]> {
    this.describes.push(Date.now());
    return [{ shardId: 's1' }];
  }

  public async getShardIterator(_arn: string, _shardId: string, _position: IteratorPosition): Promise<string> {
    return '0';
  }

  public async getRecords(iterator: string): Promise<RecordsPage> {
    this.polls.push(Date.now());
    const records = this.records.slice(Number(iterator));
    return { records, nextShardIterator: String(Number(iterator) + records.length) };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function idleEmulator(source: TimedStream, doorbell: Doorbell, delivered: string[]): Promise<MappingEmulator> {
  const emulator = new MappingEmulator({
    mapping: streamMapping({ startingPosition: 'TRIM_HORIZON' }),
    streamArn: STREAM,
    source,
    functionArn: 'arn:aws:lambda:ddblocal:000000000000:function:f',
    region: 'ddblocal',
    ledger: new Ledger(),
    pollIntervalMs: POLL_MS,
    idlePollIntervalMs: IDLE_MS,
    shardDiscoveryIntervalMs: POLL_MS,
    doorbell,
    invoke: async (event: any) => {
      delivered.push(...event.Records.map((r: any) => r.dynamodb.Keys.pk.S));
      return { status: 'ok', payload: null, durationMs: 1, requestId: 'r', coldStart: false };
    },
  });
  await emulator.start();
  return emulator;
}


test('an empty shard: 8 polls at the full rate, then pauses 4 times longer each, up to the idle interval', async () => {
  const source = new TimedStream();
  const emulator = await idleEmulator(source, new Doorbell(), []);
  try {
    // 8 x 10 ms, then 40, 160, 500 (640, capped), 500: about 1.3 s.
    const deadline = Date.now() + 10_000;
    while (source.polls.length < 13 && Date.now() < deadline) await sleep(10);
  } finally {
    await emulator.stop();
  }
  const gaps = source.polls.slice(1, 13).map((at, i) => at - source.polls[i]);
  expect(gaps).toHaveLength(12);
  // Timers fire late, never early: each gap at least its pause, and well under the next one.
  const expected = [10, 10, 10, 10, 10, 10, 10, 10, 40, 160, IDLE_MS, IDLE_MS];
  gaps.forEach((gap, i) => {
    expect(gap).toBeGreaterThanOrEqual(expected[i] - 2);
    expect(gap).toBeLessThan(expected[i] * 2 + 100);
  });
  // Shard discovery waits the idle interval too (ten times its own 10 ms would be 100 ms).
  const discoveryGaps = source.describes.slice(2).map((at, i) => at - source.describes[i + 1]);
  expect(discoveryGaps.length).toBeGreaterThan(0);
  for (const gap of discoveryGaps) expect(gap).toBeGreaterThanOrEqual(IDLE_MS - 2);
});

test('a ring cuts an idle pause short: a new record is read and delivered at once, and polls go back to the full rate', async () => {
  const source = new TimedStream();
  const doorbell = new Doorbell();
  const delivered: string[] = [];
  const emulator = await idleEmulator(source, doorbell, delivered);
  try {
    // Idle: past the full-rate polls, into the capped pauses.
    const idleBy = Date.now() + 10_000;
    while (source.polls.length < 12 && Date.now() < idleBy) await sleep(10);
    expect(source.polls.length).toBeGreaterThanOrEqual(12);
    await sleep(50); // inside a pause of IDLE_MS
    source.records.push(keysOnlyRecord(1, 'a'));
    const rang = Date.now();
    doorbell.ring();
    const deadline = Date.now() + 1_000;
    while (delivered.length === 0 && Date.now() < deadline) await sleep(2);
    expect(delivered).toEqual(['a']);
    expect(Date.now() - rang).toBeLessThan(IDLE_MS / 2);
    // Records came: the next empty polls are at the full rate again.
    const after = source.polls.length;
    await sleep(8 * POLL_MS);
    expect(source.polls.length - after).toBeGreaterThanOrEqual(3);
  } finally {
    await emulator.stop();
  }
});

test('the runner\'s idle interval: 60 s, 10 s for a table with TTL, 1 s on a DynamoDB Local of the user\'s', () => {
  expect(idlePollInterval({}, false)).toBe(IDLE_POLL_MS);
  expect(IDLE_POLL_MS).toBe(60_000);
  expect(idlePollInterval({ timeToLiveAttribute: 'expiresAt' }, false)).toBe(TTL_TABLE_IDLE_POLL_MS);
  expect(TTL_TABLE_IDLE_POLL_MS).toBe(10_000);
  expect(idlePollInterval({}, true)).toBe(USERS_ENDPOINT_IDLE_POLL_MS);
  expect(idlePollInterval({ timeToLiveAttribute: 'expiresAt' }, true)).toBe(USERS_ENDPOINT_IDLE_POLL_MS);
  expect(USERS_ENDPOINT_IDLE_POLL_MS).toBe(1_000);
});
