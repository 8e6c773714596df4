/**
 * The runner graded from outside: "nothing is lost" is checked against what the function itself received
 * (a receipt file per invocation, written by the function: test/fixtures/runner-functions/receipts), what the
 * failure destination holds, and what the filter should have dropped, compared with the records DynamoDB Local's
 * stream holds for what the test wrote, read here through the Streams API. The runner's ledger is not consulted
 * for the verdict; it is checked against the receipts, and a ledger that lies (a record marked delivered that
 * the function never received) is shown to be caught.
 */
import { randomUUID } from 'crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'fs';
import * as path from 'path';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { RecordDisposition } from '../local/ledger/ledger';
import { LocalRunner, LocalTable } from '../local/runner';
import { AttributeCondition, StreamFilter, StreamHandler, StreamTriggeredTable } from '../src';
import { dispositions, tempDir } from './local-runner-helpers';

const dir = tempDir('stt-receipts-');
const cdkOut = path.join(dir, 'cdk.out');
const receiptsDir = path.join(dir, 'receipts');
let runner: LocalRunner;

/** What the test wrote: the item's key, and what the test expects of it (from its own writes, not the runner). */
interface Written {
  readonly pk: string;
  readonly expect: 'received' | 'filtered' | 'failure destination';
}

const WRITES: Written[] = [
  ...Array.from({ length: 12 }, (_, i) => ({ pk: `ok-${i}`, expect: 'received' as const })),
  ...Array.from({ length: 4 }, (_, i) => ({ pk: `skip-${i}`, expect: 'filtered' as const })),
  ...Array.from({ length: 2 }, (_, i) => ({ pk: `poison-${i}`, expect: 'failure destination' as const })),
];

beforeAll(async () => {
  mkdirSync(receiptsDir, { recursive: true });
  // The metadata the CDK CLI adds (construct paths), as a user's `cdk synth` has it.
  const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'ReceiptsTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  const fn = new lambda.Function(stack, 'ReceiptsFunction', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(path.join(__dirname, 'fixtures', 'runner-functions', 'receipts')),
    timeout: Duration.seconds(10),
    environment: { RECEIPTS_DIR: receiptsDir },
  });
  new StreamTriggeredTable(stack, 'Receipts', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    handler: StreamHandler.fromFunction(fn),
    createAlarms: false,
    retryAttempts: 1,
    bisectBatchOnError: false,
    maxBatchingWindow: Duration.seconds(1),
    filters: [StreamFilter.newImage('status', AttributeCondition.stringAnythingBut(['SKIP']))],
  });
  app.synth();
  runner = await LocalRunner.start({ cdkOut, outDir: path.join(dir, 'destinations'), pollIntervalMs: 100, retryBackoff: { baseMs: 20, maxMs: 100 } });
  const table = runner.table('Receipts');
  for (const w of WRITES) {
    await table.put({ pk: w.pk, status: w.expect === 'filtered' ? 'SKIP' : 'OK', ...(w.expect === 'failure destination' ? { mode: 'fail' } : {}) });
  }
  await runner.waitForIdle();
}, 180_000);

afterAll(async () => {
  await runner?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface StreamRecord {
  readonly sequenceNumber: string;
  readonly eventID: string;
  readonly pk: string;
}

/** Every record of the table's stream, read directly from DynamoDB Local (not through the runner). */
async function streamRecords(table: LocalTable): Promise<StreamRecord[]> {
  const endpoint = await table.client.config.endpoint!();
  const streams = new DynamoDBStreamsClient({
    endpoint: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}${endpoint.path}`,
    region: await table.client.config.region(),
    credentials: table.client.config.credentials,
  });
  try {
    const out: StreamRecord[] = [];
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: table.localStreamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      let iterator = (await streams.send(new GetShardIteratorCommand({
        StreamArn: table.localStreamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON',
      }))).ShardIterator;
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        for (const r of page.Records ?? []) {
          out.push({ sequenceNumber: r.dynamodb!.SequenceNumber!, eventID: r.eventID!, pk: r.dynamodb!.Keys!.pk.S! });
        }
        // An open shard returns an iterator forever: stop at the first empty page.
        iterator = (page.Records ?? []).length === 0 ? undefined : page.NextShardIterator;
      }
    }
    return out;
  } finally {
    streams.destroy();
  }
}

interface Receipt {
  readonly invocation: string;
  readonly records: ReadonlyArray<{ sequenceNumber: string; eventID: string; pk: string }>;
}

function receipts(): Receipt[] {
  return readdirSync(receiptsDir).map((file) => JSON.parse(readFileSync(path.join(receiptsDir, file), 'utf-8')));
}

/** The sequence numbers the failure destination holds (S3: the records themselves, in `payload`). */
async function failureDestinationSeqs(table: LocalTable): Promise<Set<string>> {
  const seqs = new Set<string>();
  for (const record of await table.failureRecords()) {
    const payload = JSON.parse(record.payload!) as { Records: Array<{ dynamodb: { SequenceNumber: string } }> };
    for (const r of payload.Records) seqs.add(r.dynamodb.SequenceNumber);
  }
  return seqs;
}

interface Evidence {
  /** What the table's stream holds for what was written. */
  readonly written: readonly StreamRecord[];
  /** Sequence numbers the function received (at least once). */
  readonly received: ReadonlySet<string>;
  /** Sequence numbers the failure destination holds. */
  readonly inFailureDestination: ReadonlySet<string>;
  /** Sequence numbers the filter should have dropped, by what the test wrote. */
  readonly filtered: ReadonlySet<string>;
}

interface Verdict {
  /** Written, but neither received, nor in the failure destination, nor filtered. */
  readonly lost: string[];
  /** Received or in the failure destination, but not written (or not this table's). */
  readonly unknown: string[];
  /** Filtered, but the function received it anyway. */
  readonly filteredButReceived: string[];
}

/** The no-loss comparison, from evidence gathered outside the runner. */
function grade(evidence: Evidence): Verdict {
  const written = new Set(evidence.written.map((r) => r.sequenceNumber));
  return {
    lost: [...written].filter((s) => !evidence.received.has(s) && !evidence.inFailureDestination.has(s) && !evidence.filtered.has(s)),
    unknown: [...evidence.received, ...evidence.inFailureDestination].filter((s) => !written.has(s)),
    filteredButReceived: [...evidence.filtered].filter((s) => evidence.received.has(s)),
  };
}

async function gatherEvidence(table: LocalTable, received: ReadonlySet<string>): Promise<Evidence> {
  const written = await streamRecords(table);
  const expectOf = new Map(WRITES.map((w) => [w.pk, w.expect]));
  return {
    written,
    received,
    inFailureDestination: await failureDestinationSeqs(table),
    filtered: new Set(written.filter((r) => expectOf.get(r.pk) === 'filtered').map((r) => r.sequenceNumber)),
  };
}

const receivedSeqs = () => new Set(receipts().flatMap((r) => r.records.map((record) => record.sequenceNumber)));

test('every record written is received, in the failure destination, or filtered: by receipts, not by the ledger', async () => {
  const table = runner.table('Receipts');
  const evidence = await gatherEvidence(table, receivedSeqs());
  expect(evidence.written).toHaveLength(WRITES.length);
  expect(grade(evidence)).toEqual({ lost: [], unknown: [], filteredButReceived: [] });

  // Each record where the test's writes say it belongs: the evidence is not vacuous.
  const bySeq = new Map(evidence.written.map((r) => [r.sequenceNumber, r.pk]));
  const pksOf = (seqs: Iterable<string>) => [...seqs].map((s) => bySeq.get(s)).sort();
  expect(pksOf(evidence.filtered)).toEqual(WRITES.filter((w) => w.expect === 'filtered').map((w) => w.pk).sort());
  expect(pksOf(evidence.inFailureDestination)).toEqual(expect.arrayContaining(WRITES.filter((w) => w.expect === 'failure destination').map((w) => w.pk)));
  for (const w of WRITES.filter((x) => x.expect === 'received')) {
    expect(pksOf(evidence.received)).toContain(w.pk);
  }
});

test('receipts carry the event id of the stream record and name the invocation', async () => {
  const table = runner.table('Receipts');
  const byId = new Map((await streamRecords(table)).map((r) => [r.sequenceNumber, r.eventID]));
  const all = receipts();
  expect(all.length).toBeGreaterThan(1);
  expect(new Set(all.map((r) => r.invocation)).size).toBe(all.length);
  // The function sees DynamoDB Local's UUID as Lambda's 32 hex characters (docs/offline-runner.md, "DynamoDB
  // Streams records, as Lambda delivers them").
  for (const receipt of all) {
    for (const record of receipt.records) expect(record.eventID).toBe(byId.get(record.sequenceNumber)!.replace(/-/g, ''));
  }
});

/** What a ledger claims the function received: the records it counts as delivered or invoked. */
const claimedReceived = (ledger: readonly RecordDisposition[]) =>
  new Set(ledger.filter((d) => d.deliveries > 0 || d.invocations > 0).map((d) => d.sequenceNumber));

test('the runner\'s ledger agrees with the receipts', async () => {
  const table = runner.table('Receipts');
  const ledger = dispositions(runner, table);
  expect(claimedReceived(ledger)).toEqual(receivedSeqs());
  const summary = await runner.summary();
  expect(summary.lost).toBe(0);
});

test('a ledger that lies is caught: a record it marks delivered that the function never received', async () => {
  const table = runner.table('Receipts');
  // An emulator that marked a record delivered without invoking the function keeps this very ledger (the
  // record "delivered", and the runner's summary reporting nothing lost), but has no receipt for that record.
  // The victim is one that only a receipt accounts for: delivered, and not sent to the failure destination.
  const ledger = dispositions(runner, table);
  const victim = ledger.find((d) => d.deliveries > 0 && d.failedWith === undefined);
  expect(victim).toBeDefined();
  expect((await runner.summary()).lost).toBe(0);
  const receiptsWithoutVictim = new Set([...receivedSeqs()].filter((s) => s !== victim!.sequenceNumber));

  // Graded from outside, the record is lost...
  const verdict = grade(await gatherEvidence(table, receiptsWithoutVictim));
  expect(verdict.lost).toEqual([victim!.sequenceNumber]);
  // ...and the cross-check of the ledger against the receipts names it too.
  const claimed = claimedReceived(ledger);
  expect([...claimed].filter((s) => !receiptsWithoutVictim.has(s))).toEqual([victim!.sequenceNumber]);
});

test('a fabricated summary that hides a filtered record\'s delivery is caught', async () => {
  const table = runner.table('Receipts');
  const evidence = await gatherEvidence(table, receivedSeqs());
  const filteredSeq = [...evidence.filtered][0];
  // As if the function had been invoked with a record the filter should have dropped.
  const verdict = grade({ ...evidence, received: new Set([...evidence.received, filteredSeq]) });
  expect(verdict.filteredButReceived).toEqual([filteredSeq]);
  // And a receipt for a record that was never written (say, another table's) is flagged.
  const stray = `9${randomUUID().replace(/\D/g, '').padEnd(20, '0').slice(0, 20)}`;
  expect(grade({ ...evidence, received: new Set([...evidence.received, stray]) }).unknown).toEqual([stray]);
});
