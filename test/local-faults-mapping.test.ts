import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { mappingTestEngine, streamMapping, waitFor } from './local-mapping-helpers';
import { createLocalFailureDestination, FailedBatch, LocalFailureDestination } from '../local/destinations/failure-destination-writer';
import { IteratorPosition, RecordsPage, SdkStreamSource, ShardInfo, StreamSource } from '../local/engine/stream-source';
import type { InvokeResult } from '../local/lambda/function-host';
import { Ledger, LedgerSummary } from '../local/ledger/ledger';
import { StreamAudit } from '../local/ledger/stream-audit';
import { MappingActivity, MappingEmulator, MappingEmulatorOptions } from '../local/mapping/mapping-emulator';

// The mapping emulator under faults, on a real DynamoDB Local stream: it stops when told, survives its own
// parts failing, and never destroys data. Loss is judged from outside the ledger: the function keeps a
// receipt of every record it gets, the failure destination of every record written to it, and every record
// the audit finds in the stream must be one of those, or pending.
//
// Jest fails a test on an unhandled rejection raised while it runs (it takes the process's handler, so a
// process.on('unhandledRejection') spy in a test never sees one): each test passing is that check too.

const engine = mappingTestEngine();
const { createTable, put } = engine;

afterEach(async () => {
  await Promise.all(engine.running.splice(0).map((e) => e.stop()));
});

const mapping = streamMapping({ batchSize: 1 });

const ok: InvokeResult = { status: 'ok', payload: null, durationMs: 1, requestId: 'r', coldStart: false };
const failure: InvokeResult = { ...ok, status: 'error', errorType: 'Error', errorMessage: 'always fails' };
const keyOf = (r: unknown): string => (r as DynamoDBRecord).dynamodb!.Keys!.pk.S!;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the function and the failure destination saw, kept by the test (never read from the ledger). */
class Witness {
  /** Every invocation, with its records' keys and the time it began. */
  public readonly invocations: Array<{ at: number; keys: string[] }> = [];
  /** Keys of records in a batch the function returned success for. */
  public readonly succeeded = new Set<string>();
  /** Every write to the failure destination, with its records' keys. */
  public readonly destinationWrites: Array<{ at: number; keys: string[]; batch: FailedBatch }> = [];
  public readonly activity: MappingActivity[] = [];

  /** An invoke that records its receipt, then answers with `answer` (or its promise). */
  public invoke(answer: (keys: string[], event: any) => InvokeResult | Promise<InvokeResult>): (event: unknown) => Promise<InvokeResult> {
    return async (event: any) => {
      const keys = (event.Records as DynamoDBRecord[]).map(keyOf);
      this.invocations.push({ at: Date.now(), keys });
      const result = await answer(keys, event);
      if (result.status === 'ok') for (const k of keys) this.succeeded.add(k);
      return result;
    };
  }

  /** An in-memory failure destination that records every write. */
  public destination(): LocalFailureDestination {
    return {
      kind: 'sqs',
      location: 'memory://failures',
      write: async (batch) => {
        this.destinationWrites.push({ at: Date.now(), keys: batch.records.map(keyOf), batch });
        return 'memory://failures';
      },
      readAll: async () => [],
    };
  }

  public invocationsOf(key: string): number {
    return this.invocations.filter((i) => i.keys.includes(key)).length;
  }

  public ofType<T extends MappingActivity['type']>(type: T): Array<Extract<MappingActivity, { type: T }>> {
    return this.activity.filter((a): a is Extract<MappingActivity, { type: T }> => a.type === type);
  }
}

function emulator(witness: Witness, options: Omit<MappingEmulatorOptions, 'source' | 'functionArn' | 'region'> & { source?: StreamSource }): MappingEmulator {
  const e = new MappingEmulator({
    source: new SdkStreamSource(engine.streams),
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
    region: 'eu-west-1',
    pollIntervalMs: 20,
    onActivity: (a) => witness.activity.push(a),
    ...options,
  });
  engine.running.push(e);
  return e;
}

/** The ledger's totals against every record the stream holds (read apart from the mapping). */
async function summarize(ledger: Ledger, streamArn: string, ledgerKey = streamArn): Promise<{ summary: LedgerSummary }> {
  const audit = new StreamAudit(new SdkStreamSource(engine.streams), streamArn, () => undefined, { ledgerKey });
  await audit.refresh();
  return { summary: ledger.summarize(audit.records, [ledgerKey]) };
}

/**
 * Every record written is a success the function acknowledged, a failure-destination write, filtered, a
 * destination delivery failure or pending; nothing else (in particular nothing lost).
 */
function expectAccountedFor(written: readonly string[], witness: Witness, summary: LedgerSummary, extra: { filtered?: number } = {}): void {
  const inDestination = new Set(witness.destinationWrites.flatMap((w) => w.keys));
  const outside = written.filter((k) => witness.succeeded.has(k) || inDestination.has(k)).length;
  expect(summary.written).toBe(written.length);
  expect(summary.lost).toBe(0);
  expect(outside + (extra.filtered ?? 0) + summary.destinationDeliveryFailed + summary.pending).toBe(written.length);
  expect(summary.delivered).toBe(written.filter((k) => witness.succeeded.has(k)).length);
  expect(summary.sentToFailureDestination).toBe(written.filter((k) => inDestination.has(k)).length);
}

describe('1. stop() returns at once, whatever is pending', () => {
  test('8 always-failing records (10 retries, 200 ms backoff): stop() returns in < 2 s, nothing happens after it, the 8 are pending', async () => {
    const streamArn = await createTable('StopAtOnce');
    const witness = new Witness();
    const ledger = new Ledger();
    let releaseHung: ((r: InvokeResult) => void) | undefined;
    const e = emulator(witness, {
      // Two lanes: while one waits for an invocation that does not return (a long function timeout), the other retries.
      mapping: { ...mapping, maximumRetryAttempts: 10, parallelizationFactor: 2 },
      streamArn,
      ledger,
      destination: witness.destination(),
      retryBackoff: { baseMs: 200, maxMs: 2000 },
      invoke: witness.invoke(async (keys) => {
        if (keys.includes('r0') && witness.invocationsOf('r0') >= 2) return new Promise<InvokeResult>((resolve) => { releaseHung = resolve; });
        await sleep(10);
        return failure;
      }),
    });
    await e.start();
    const written = Array.from({ length: 8 }, (_, i) => `r${i}`);
    for (const pk of written) await put('StopAtOnce', pk);
    await waitFor('an invocation in flight and others retrying', () => releaseHung !== undefined && witness.invocations.length >= 5);

    const stopCalled = Date.now();
    await e.stop();
    const stopTook = Date.now() - stopCalled;
    expect(stopTook).toBeLessThan(2000);

    // The invocation in flight answers after the stop: ignored (no retry, no destination write).
    releaseHung!(failure);
    await sleep(1500);
    expect(witness.invocations.filter((i) => i.at >= stopCalled)).toEqual([]);
    expect(witness.destinationWrites).toEqual([]);

    const { summary } = await summarize(ledger, streamArn);
    expect(summary).toMatchObject({ written: 8, pending: 8, pendingAtStop: 8, lost: 0, delivered: 0, sentToFailureDestination: 0 });
    expectAccountedFor(written, witness, summary);
    expect(e.pendingRecords()).toBe(8);
    expect(witness.ofType('stopped')).toEqual([{ type: 'stopped', shardId: '-', pending: 8 }]);
    expect(witness.ofType('error')).toEqual([]);
  });
});

describe('2. a failure destination that cannot be written', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fault-destination-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('is a destination delivery failure, reported once per batch; no unhandled rejection, later records still flow', async () => {
    const streamArn = await createTable('BrokenDestination');
    // The destinations' folder is a file: every write fails with ENOTDIR.
    const notAFolder = path.join(dir, 'not-a-folder');
    writeFileSync(notAFolder, '');
    const destination = createLocalFailureDestination({
      kind: 'sqs', rootDir: path.join(notAFolder, 'destinations'), logicalId: 'TFailureBucket', region: 'eu-west-1', account: '123456789012',
    });
    const witness = new Witness();
    const ledger = new Ledger();
    const e = emulator(witness, {
      mapping,
      streamArn,
      ledger,
      destination,
      destinationRetry: { attempts: 3, baseMs: 20 },
      invoke: witness.invoke((keys) => (keys.some((k) => k.startsWith('bad')) ? failure : ok)),
    });
    await e.start();
    const written = ['bad1', 'good1', 'good2', 'bad2', 'good3'];
    for (const pk of written) await put('BrokenDestination', pk);
    await waitFor('every good record', () => ['good1', 'good2', 'good3'].every((k) => witness.succeeded.has(k)));
    await waitFor('both delivery failures', () => witness.ofType('destination-delivery-failed').length === 2);

    const failures = witness.ofType('destination-delivery-failed');
    for (const f of failures) {
      expect(f).toMatchObject({ condition: 'RetryAttemptsExhausted', records: 1, attempts: 3, destination: destination.location });
      expect(f.message).toContain('ENOTDIR');
    }
    expect(witness.ofType('failure-destination')).toEqual([]);
    const { summary } = await summarize(ledger, streamArn);
    expect(summary).toMatchObject({ written: 5, delivered: 3, destinationDeliveryFailed: 2, sentToFailureDestination: 0, pending: 0, lost: 0 });
    expectAccountedFor(written, witness, summary);
    expect(ledger.all().filter((d) => d.destinationDeliveryFailed).map((d) => d.destinationDeliveryFailed)).toEqual(['RetryAttemptsExhausted', 'RetryAttemptsExhausted']);
  });

  test('a destination whose write throws before returning a promise is a delivery failure too', async () => {
    const streamArn = await createTable('ThrowingDestination');
    const witness = new Witness();
    const ledger = new Ledger();
    let tries = 0;
    const destination: LocalFailureDestination = {
      kind: 's3',
      location: 's3://broken/',
      write: () => {
        tries++;
        throw new Error('no such bucket');
      },
      readAll: async () => [],
    };
    const e = emulator(witness, {
      mapping, streamArn, ledger, destination, destinationRetry: { attempts: 2, baseMs: 10 }, invoke: witness.invoke(() => failure),
    });
    await e.start();
    await put('ThrowingDestination', 'x');
    await waitFor('the delivery failure', () => witness.ofType('destination-delivery-failed').length === 1);
    expect(tries).toBe(2);
    expect((await summarize(ledger, streamArn)).summary).toMatchObject({ written: 1, destinationDeliveryFailed: 1, lost: 0, pending: 0 });
  });
});

/** The real Streams API with faults on demand: an iterator that expires, GetShardIterator or DescribeStream failing. */
class FaultyStreams implements StreamSource {
  public expireNextGetRecords = false;
  public failGetShardIterator = 0;
  public failDescribeStream = 0;
  public getShardIteratorCalls = 0;
  private readonly real = new SdkStreamSource(engine.streams);

  public async describeStream(streamArn: string): Promise<ShardInfo[]> {
    if (this.failDescribeStream > 0) {
      this.failDescribeStream--;
      throw transient('DescribeStream');
    }
    return this.real.describeStream(streamArn);
  }

  public async getShardIterator(streamArn: string, shardId: string, position: IteratorPosition): Promise<string> {
    this.getShardIteratorCalls++;
    if (this.failGetShardIterator > 0) {
      this.failGetShardIterator--;
      throw transient('GetShardIterator');
    }
    return this.real.getShardIterator(streamArn, shardId, position);
  }

  public async getRecords(shardIterator: string, limit: number): Promise<RecordsPage> {
    if (this.expireNextGetRecords) {
      this.expireNextGetRecords = false;
      throw Object.assign(new Error('Iterator expired'), { name: 'ExpiredIteratorException' });
    }
    return this.real.getRecords(shardIterator, limit);
  }
}

function transient(operation: string): Error {
  return Object.assign(new Error(`${operation}: service unavailable`), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
}

describe('3. a shard reader whose Streams calls fail', () => {
  test('an expired iterator whose recovery fails twice: retried with backoff, reported once, later records still read', async () => {
    const streamArn = await createTable('RecoveryFails');
    const source = new FaultyStreams();
    const witness = new Witness();
    const ledger = new Ledger();
    const e = emulator(witness, {
      mapping: { ...mapping, batchSize: 10 },
      streamArn,
      ledger,
      source,
      streamCallBackoff: { baseMs: 50, maxMs: 200 },
      invoke: witness.invoke(() => ok),
    });
    await e.start();
    const written = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const pk of written.slice(0, 3)) await put('RecoveryFails', pk);
    await waitFor('the first records', () => witness.succeeded.size === 3);

    source.expireNextGetRecords = true;
    source.failGetShardIterator = 2;
    await waitFor('the recovery', () => witness.ofType('recovered').length === 1);
    for (const pk of written.slice(3)) await put('RecoveryFails', pk);
    await waitFor('the later records', () => written.every((k) => witness.succeeded.has(k)), 10_000);

    expect(witness.ofType('iterator-recovered')).toHaveLength(1);
    const errors = witness.ofType('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ component: 'shard-reader', operation: 'GetShardIterator', retrying: true });
    expect(errors[0].message).toContain('service unavailable');
    expect(witness.ofType('recovered')[0]).toMatchObject({ component: 'shard-reader', operation: 'GetShardIterator', failures: 2 });
    const { summary } = await summarize(ledger, streamArn);
    expect(summary).toMatchObject({ written: 8, delivered: 8, lost: 0, pending: 0 });
    expectAccountedFor(written, witness, summary);
  });

  test('GetShardIterator and DescribeStream failing at the start, and DescribeStream failing later: the start and the reading go on', async () => {
    const streamArn = await createTable('StartFails');
    const source = new FaultyStreams();
    source.failDescribeStream = 1;
    source.failGetShardIterator = 2;
    const witness = new Witness();
    const ledger = new Ledger();
    const e = emulator(witness, {
      mapping,
      streamArn,
      ledger,
      source,
      shardDiscoveryIntervalMs: 50,
      streamCallBackoff: { baseMs: 20, maxMs: 100 },
      invoke: witness.invoke(() => ok),
    });
    await e.start();
    await put('StartFails', 'one');
    await waitFor('the first record', () => witness.succeeded.has('one'));
    source.failDescribeStream = 3;
    await waitFor('discovery to recover', () => witness.ofType('recovered').some((r) => r.component === 'shard-discovery'));
    await put('StartFails', 'two');
    await waitFor('the second record', () => witness.succeeded.has('two'));

    const errors = witness.ofType('error');
    expect(errors.map((x) => [x.component, x.operation])).toEqual([
      ['start', 'DescribeStream'], ['shard-reader', 'GetShardIterator'], ['shard-discovery', 'DescribeStream'],
    ]);
    expect(witness.ofType('recovered').map((r) => [r.component, r.failures])).toEqual([['start', 1], ['shard-reader', 2], ['shard-discovery', 3]]);
    const { summary } = await summarize(ledger, streamArn);
    expect(summary).toMatchObject({ written: 2, delivered: 2, lost: 0 });
  });

  test('a stream that does not exist fails the start with the operation named', async () => {
    const witness = new Witness();
    const e = emulator(witness, {
      mapping, streamArn: 'arn:aws:dynamodb:ddblocal:000000000000:table/Nope/stream/2024-01-01T00:00:00.000', ledger: new Ledger(), invoke: witness.invoke(() => ok),
    });
    await expect(e.start()).rejects.toThrow(/DescribeStream on .*Nope.* failed: ResourceNotFoundException/);
  });
});

describe('a bug in a lane', () => {
  test('is reported once; the lane\'s records stay pending (not lost), no unhandled rejection', async () => {
    const streamArn = await createTable('LaneBug');
    const witness = new Witness();
    // The ledger fails once, as a bug in the lane's own code would.
    class FaultyLedger extends Ledger {
      public broken = true;
      public delivered(ledgerKey: string, records: readonly DynamoDBRecord[]): void {
        if (this.broken && records.some((r) => keyOf(r) === 'buggy')) {
          this.broken = false;
          throw new TypeError('cannot read properties of undefined');
        }
        super.delivered(ledgerKey, records);
      }
    }
    const ledger = new FaultyLedger();
    const e = emulator(witness, { mapping, streamArn, ledger, invoke: witness.invoke(() => ok) });
    await e.start();
    const written = ['fine', 'buggy', 'after1', 'after2'];
    for (const pk of written) await put('LaneBug', pk);
    await waitFor('the lane failure', () => witness.ofType('error').length === 1);
    await waitFor('the later records to be read', () => e.pendingRecords() === 3);
    await sleep(300);

    const [error] = witness.ofType('error');
    expect(error).toMatchObject({ component: 'lane', retrying: false });
    expect(error.message).toContain('cannot read properties of undefined');
    expect(error.affects).toMatch(/records stay pending/);
    expect(witness.ofType('error')).toHaveLength(1);
    expect(e.isQuiet()).toBe(false);
    const { summary } = await summarize(ledger, streamArn);
    // 'buggy' reached the function, but its outcome was never recorded: it is pending, with the two behind it.
    expect(summary).toMatchObject({ written: 4, delivered: 1, pending: 3, pendingAtStop: 0, lost: 0 });
    expect(witness.succeeded.has('buggy')).toBe(true);
  });
});

describe('9. pending, lost and disabled are told apart', () => {
  test('records being retried and queued behind them are pending, not lost; a record the mapping never read is lost', async () => {
    const streamArn = await createTable('Retrying');
    const witness = new Witness();
    const ledger = new Ledger();
    // A source that drops one record from its pages: the mapping never sees it, but the audit (the real API) does.
    const real = new SdkStreamSource(engine.streams);
    const hiding: StreamSource = {
      describeStream: (arn) => real.describeStream(arn),
      getShardIterator: (arn, shard, position) => real.getShardIterator(arn, shard, position),
      getRecords: async (iterator, limit) => {
        const page = await real.getRecords(iterator, limit);
        return { ...page, records: page.records.filter((r) => keyOf(r) !== 'hidden') };
      },
    };
    const e = emulator(witness, {
      mapping: { ...mapping, maximumRetryAttempts: -1 },
      streamArn,
      ledger,
      source: hiding,
      retryBackoff: { baseMs: 50, maxMs: 100 },
      invoke: witness.invoke((keys) => (keys.includes('stuck') ? failure : ok)),
    });
    await e.start();
    const written = ['first', 'stuck', 'queued1', 'hidden', 'queued2'];
    for (const pk of written) await put('Retrying', pk);
    await waitFor('retries of the stuck record', () => witness.invocationsOf('stuck') >= 3);
    await waitFor('every visible record read', () => e.pendingRecords() === 3);

    let { summary } = await summarize(ledger, streamArn);
    expect(summary).toMatchObject({ written: 5, delivered: 1, pending: 3, pendingAtStop: 0, lost: 1 });

    await e.stop();
    ({ summary } = await summarize(ledger, streamArn));
    expect(summary).toMatchObject({ written: 5, delivered: 1, pending: 3, pendingAtStop: 3, lost: 1 });
    // From outside: one success, nothing in a destination; the rest is the 3 pending and the 1 never read.
    expect(written.filter((k) => witness.succeeded.has(k))).toEqual(['first']);
    expect(witness.invocations.flatMap((i) => i.keys)).not.toContain('hidden');
  });

  test('a disabled mapping reads nothing: its stream\'s records are not read, not lost, and the mapping is named', async () => {
    const streamArn = await createTable('Disabled');
    const witness = new Witness();
    const ledger = new Ledger();
    const e = emulator(witness, { mapping: { ...mapping, enabled: false }, streamArn, ledger, ledgerKey: 'Stack/Disabled', invoke: witness.invoke(() => ok) });
    expect(e.enabled).toBe(false);
    await e.start();
    // Named even before its stream has a record.
    expect(ledger.summarize([], ['Stack/Disabled']).disabledMappings).toEqual(['Stack/Disabled']);
    for (const pk of ['x', 'y', 'z']) await put('Disabled', pk);
    await sleep(300);

    const { summary } = await summarize(ledger, streamArn, 'Stack/Disabled');
    expect(summary).toMatchObject({ written: 3, notRead: 3, disabledMappings: ['Stack/Disabled'], pending: 0, lost: 0, delivered: 0 });
    expect(witness.invocations).toEqual([]);
  });
});

describe('10. record age runs from the write time, to the second (not DynamoDB Local\'s minute)', () => {
  /** Waits until the current minute has run at least 3 s and has 10 s left, so a write is not in its first second. */
  async function awayFromMinuteEdges(): Promise<void> {
    while (Date.now() % 60_000 < 3_000 || Date.now() % 60_000 > 50_000) await sleep(200);
  }

  /**
   * A record that fails every time, with retries 10 and a 60 s age limit, on a clock the test moves: before
   * invocation n, the clock shows `clockAt(n)` ms past the record's creation time.
   */
  async function failEveryTime(table: string, clockAt: (invocation: number) => number) {
    const streamArn = await createTable(table);
    const witness = new Witness();
    const ledger = new Ledger();
    let now = 0;
    let created: number | undefined;
    const e = emulator(witness, {
      mapping: { ...mapping, maximumRetryAttempts: 10, maximumRecordAgeSeconds: 60 },
      streamArn,
      ledger,
      clock: { now: () => now },
      destination: witness.destination(),
      retryBackoff: { baseMs: 5, maxMs: 10 },
      invoke: witness.invoke((_keys, event) => {
        created = event.Records[0].dynamodb.ApproximateCreationDateTime;
        // The age is checked before the next invocation: move the clock for it.
        now = created! * 1000 + clockAt(witness.invocations.length + 1);
        return failure;
      }),
    });
    await e.start();
    await awayFromMinuteEdges();
    const before = Date.now();
    now = before; // the mapping reads the record on this clock: its first read is the write's second
    await put(table, 'old');
    const after = Date.now();
    await waitFor('the failure destination', () => witness.destinationWrites.length === 1);
    return { witness, ledger, streamArn, created: created!, before, after };
  }

  test('a clock that stays within the age limit: 11 invocations, then RetryAttemptsExhausted', async () => {
    // Just under 60 s past the write, but more than 60 s past the start of its minute.
    const { witness, ledger, streamArn, created, before, after } = await failEveryTime('AgeWithin', () => 59_999);
    expect(created * 1000).toBeGreaterThan(before - 1000);
    expect(created * 1000).toBeLessThanOrEqual(after);
    // The second, not the minute DynamoDB Local gives: measured from the minute, the record would have been
    // more than 60 s old from the second invocation on.
    expect(created % 60).not.toBe(0);

    expect(witness.invocationsOf('old')).toBe(11);
    const [write] = witness.destinationWrites;
    expect(write.batch.condition).toBe('RetryAttemptsExhausted');
    expect(write.batch.approximateInvokeCount).toBe(11);
    expect((await summarize(ledger, streamArn)).summary).toMatchObject({ written: 1, sentToFailureDestination: 1, lost: 0, pending: 0 });
  });

  test('RecordAgeExceeded once the write time, not its minute, is older than the limit', async () => {
    // Under the limit for the first 3 invocations, then 1 ms over it.
    const { witness, created } = await failEveryTime('AgeExceeded', (n) => (n <= 3 ? 59_999 : 60_001));
    expect(created % 60).not.toBe(0);
    expect(witness.invocationsOf('old')).toBe(3);
    const [write] = witness.destinationWrites;
    expect(write.batch.condition).toBe('RecordAgeExceeded');
    expect(write.batch.approximateInvokeCount).toBe(3);
  });
});
