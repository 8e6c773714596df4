/**
 * The replay of failed batches, end to end offline with no mocks: the app runs on the local runner (DynamoDB
 * Local, the local S3, the real function processes), a poison record lands in the failure destination, the
 * function is fixed (its environment, reloaded as a redeploy would), and the replay command, pointed at the
 * runner with the SDK's standard endpoint variables, delivers it exactly once.
 */
import { execFile } from 'child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { synthReplayApp } from './fixtures/replay-app';
import { tempDir } from './local-runner-helpers';
import { LocalRunner, LocalTable } from '../local/runner';
import { FileFailureSource, replayFailedRecords, S3FailureSource } from '../replay';

const CLI = path.join(__dirname, '..', 'assets', 'replay', 'cli.js');
const REGION = 'eu-west-1';
/** What the local S3 accepts (any key pair works for DynamoDB Local and the Lambda endpoint). */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const dir = tempDir('stt-replay-');
const cdkOut = path.join(dir, 'cdk.out');
let runner: LocalRunner;

/** The command, as a user runs it, with the SDK's standard settings pointing at the runner. */
async function replayCommand(...args: string[]): Promise<{ code: number; stdout: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx projen bundle\` first`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: runner.s3Endpoint,
    AWS_ENDPOINT_URL_LAMBDA: runner.lambdaEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: runner.endpoint,
  };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'replay', ...args], { env });
    return { code: 0, stdout };
  } catch (e) {
    const error = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof error.code !== 'number') throw e;
    return { code: error.code, stdout: `${error.stdout}${error.stderr}` };
  }
}

const processed = (table: LocalTable) => table.logLines.filter((l) => l.includes('"msg":"processed"')).map((l) => JSON.parse(l).pk as string);
const s3 = () => new S3Client({ endpoint: runner.s3Endpoint, region: REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });

/** The sequence number of each table's poison record, from its failure record (before any replay moves it). */
const poisonSequenceNumbers = new Map<string, string>();

/** The ledger's entry of the poison record of a table. */
async function poisonDisposition(table: LocalTable) {
  return runner.ledger.get(table.mappings[0].ledgerKey, poisonSequenceNumbers.get(table.id)!)!;
}

beforeAll(async () => {
  synthReplayApp(cdkOut, false);
  runner = await LocalRunner.start({ cdkOut, outDir: path.join(dir, '.local-runner'), pollIntervalMs: 100 });
  for (const id of ['Orders', 'Payments']) {
    const table = runner.table(id);
    await table.put({ pk: 'good#1' });
    await table.put({ pk: 'poison#1', poison: true });
    await table.put({ pk: 'good#2' });
  }
  await runner.table('Reports').put({ pk: 'reported#1', mode: 'fail' });
  await runner.waitForIdle(90_000);
  for (const table of runner.tables) {
    const failures = await table.failureRecords();
    if (failures.length > 0) poisonSequenceNumbers.set(table.id, failures[0].DDBStreamBatchInfo.startSequenceNumber);
  }
});

afterAll(async () => {
  await runner?.stop();
});

describe('an S3 failure destination: the records themselves', () => {
  let bucket: string;

  beforeAll(() => {
    bucket = runner.table('Orders').failureDestination!.location.split('/')[2];
  });

  test('the poison record alone landed in the failure bucket; the others were processed', async () => {
    const orders = runner.table('Orders');
    const failures = await orders.failureRecords();
    expect(failures).toHaveLength(1);
    const records = JSON.parse(failures[0].payload!).Records;
    expect(records.map((r: any) => r.dynamodb.Keys.pk.S)).toEqual(['poison#1']);
    // At least once: a record before the poison one may have been processed by more than one attempt.
    expect([...new Set(processed(orders))].sort()).toEqual(['good#1', 'good#2']);
    expect(await runner.bucket(bucket).keys('aws/lambda/')).toHaveLength(1);
  });

  test('before the fix: still failing, exit status 1, the object stays, nothing counted as replayed', async () => {
    const { code, stdout } = await replayCommand('--bucket', bucket);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^still failing s3:\/\/.+ \(RetryAttemptsExhausted, shard .+, 1 record, .+\): the function failed \(Unhandled\): Error: cannot process poison#1$/m);
    expect(stdout).toContain('replayed: 0, still failing: 1, skipped: 0');
    expect(await runner.bucket(bucket).keys('aws/lambda/')).toHaveLength(1);
    expect((await poisonDisposition(runner.table('Orders'))).replays).toBe(0);
  });

  test('--dry-run shows the batch and invokes nothing', async () => {
    const orders = runner.table('Orders');
    const before = processed(orders).length;
    // Until the fix the function throws on the poison record: an invocation would log its error, not a processed line.
    const poisonErrors = () => orders.logLines.filter((l) => l.includes('cannot process poison#1')).length;
    const errorsBefore = poisonErrors();
    expect(errorsBefore).toBeGreaterThan(0);
    const { code, stdout } = await replayCommand('--bucket', bucket, '--dry-run');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^would replay s3:\/\/.+aws\/lambda\/.+ \(RetryAttemptsExhausted, shard .+, 1 record,/m);
    expect(stdout).toContain('would replay: 1, skipped: 0');
    expect(processed(orders)).toHaveLength(before);
    expect(poisonErrors()).toBe(errorsBefore);
  });

  test('filters that select nothing replay nothing', async () => {
    const { stdout } = await replayCommand('--bucket', bucket, '--condition', 'RecordAgeExceeded');
    expect(stdout).toContain('replayed: 0, still failing: 0, skipped: 0');
    const byRecord = await replayCommand('--bucket', bucket, '--record-filter', '{"dynamodb":{"Keys":{"pk":{"S":["good#1"]}}}}');
    expect(byRecord.stdout).toMatch(/^skipped .+: no record matches the record filter$/m);
    expect(await runner.bucket(bucket).keys('aws/lambda/')).toHaveLength(1);
  });

  describe('after the fix', () => {
    beforeAll(async () => {
      synthReplayApp(cdkOut, true);
      const changes = await runner.reload(cdkOut);
      expect(changes.filter((c) => c.startsWith('function '))).toHaveLength(2);
    });

    test('one command delivers the record, moves the object, and the ledger counts it once as replayed', async () => {
      const orders = runner.table('Orders');
      const { code, stdout } = await replayCommand('--bucket', bucket, '--record-filter', '{"dynamodb":{"Keys":{"pk":{"S":["poison#1"]}}}}');
      expect(stdout).toContain('replayed: 1, still failing: 0, skipped: 0');
      expect(code).toBe(0);
      expect(processed(orders).filter((pk) => pk === 'poison#1')).toHaveLength(1);
      const keys = await runner.bucket(bucket).keys();
      expect(keys.filter((k) => k.startsWith('aws/lambda/'))).toEqual([]);
      expect(keys.filter((k) => k.startsWith('replayed/aws/lambda/'))).toHaveLength(1);
      expect((await poisonDisposition(orders)).replays).toBe(1);
      const summary = (await runner.summary()).mappings.find((m) => m.table === orders.id)!.summary;
      expect(summary).toMatchObject({ written: 3, delivered: 2, sentToFailureDestination: 1, replayed: 1, lost: 0 });
    });

    test('a second replay does nothing', async () => {
      const orders = runner.table('Orders');
      const { code, stdout } = await replayCommand('--bucket', bucket);
      expect(code).toBe(0);
      expect(stdout).toContain('replayed: 0, still failing: 0, skipped: 0');
      expect(processed(orders).filter((pk) => pk === 'poison#1')).toHaveLength(1);
      expect((await poisonDisposition(orders)).replays).toBe(1);
    });

    test('a run cut off between copying and deleting the object: the next one finishes the move, replays nothing', async () => {
      const orders = runner.table('Orders');
      const [moved] = await runner.bucket(bucket).keys('replayed/');
      const original = moved.slice('replayed/'.length);
      const client = s3();
      await client.send(new CopyObjectCommand({ Bucket: bucket, Key: original, CopySource: `${bucket}/${moved}` }));
      client.destroy();
      const report = await replayFailedRecords({
        source: new S3FailureSource(bucket, undefined, s3()),
        lambdaClient: new LambdaClient({ endpoint: runner.lambdaEndpoint, region: REGION, credentials: LOCAL_CREDENTIALS }),
      });
      expect(report).toMatchObject({ replayed: 0, stillFailing: 0, skipped: 0, finishedMarks: [`s3://${bucket}/${original}`] });
      expect(await runner.bucket(bucket).keys('aws/lambda/')).toEqual([]);
      expect((await poisonDisposition(orders)).replays).toBe(1);
    });
  });
});

describe('an SQS failure destination: the range, read back from the stream', () => {
  let file: string;

  beforeAll(() => {
    // Offline the queue's messages are written to a file, one SQS message per line (docs/offline-runner.md).
    file = runner.table('Payments').failureDestination!.location;
  });

  test('the message holds the range only; after the fix, the records are read back and delivered once', async () => {
    const payments = runner.table('Payments');
    const [failure] = await payments.failureRecords();
    expect(failure.payload).toBeUndefined();
    expect(failure.DDBStreamBatchInfo.batchSize).toBe(1);
    const { code, stdout } = await replayCommand('--file', file);
    expect(stdout).toContain('replayed: 1, still failing: 0, skipped: 0');
    expect(code).toBe(0);
    const lines = payments.logLines.filter((l) => l.includes('"pk":"poison#1"')).map((l) => JSON.parse(l));
    expect(lines).toEqual([{ msg: 'processed', pk: 'poison#1', seq: failure.DDBStreamBatchInfo.startSequenceNumber }]);
    expect((await poisonDisposition(payments)).replays).toBe(1);
    expect(readFileSync(`${file}.replayed`, 'utf8')).toBe(`${failure.requestContext.requestId}\n`);
  });

  test('a second replay does nothing', async () => {
    const { stdout } = await replayCommand('--file', file);
    expect(stdout).toContain('replayed: 0, still failing: 0, skipped: 0');
    expect((await poisonDisposition(runner.table('Payments'))).replays).toBe(1);
  });

  test('a range holding more records than the failed batch had is skipped, saying so, unless the whole range is asked for', async () => {
    // The record as it would read had the mapping's filters dropped the records after the poison one from its batch.
    const payments = runner.table('Payments');
    const [line] = readFileSync(file, 'utf8').split('\n');
    const message = JSON.parse(line);
    const record = JSON.parse(message.Body);
    const sequenceNumbers = runner.ledger.all().filter((d) => d.streamArn === payments.mappings[0].ledgerKey).map((d) => d.sequenceNumber)
      .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    record.DDBStreamBatchInfo.endSequenceNumber = sequenceNumbers[sequenceNumbers.length - 1];
    record.requestContext.requestId = 'widened';
    const widened = path.join(dir, 'payments-widened.jsonl');
    writeFileSync(widened, `${JSON.stringify({ ...message, Body: JSON.stringify(record) })}\n`);
    const skipped = await replayCommand('--file', widened);
    expect(skipped.stdout).toMatch(/^skipped .+: the stream holds 2 records in this range, the failed batch had 1: the others were filtered out or processed in another batch; replay the whole range with --whole-range$/m);
    const asked = await replayCommand('--file', widened, '--whole-range', '--dry-run');
    expect(asked.stdout).toMatch(/^would replay .+ 2 records/m);
    expect((await poisonDisposition(payments)).replays).toBe(1);
  });

  test('past the stream\'s 24 hours the range cannot be read back: said plainly, nothing replayed or marked', async () => {
    const copy = path.join(dir, 'payments-failures-copy.jsonl');
    copyFileSync(file, copy);
    const [failure] = await runner.table('Payments').failureRecords();
    const arrival = Date.parse(failure.DDBStreamBatchInfo.approximateArrivalOfFirstRecord);
    const report = await replayFailedRecords({
      source: new FileFailureSource(copy),
      streamsClient: new DynamoDBStreamsClient({ endpoint: runner.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS }),
      lambdaClient: new LambdaClient({ endpoint: runner.lambdaEndpoint, region: REGION, credentials: LOCAL_CREDENTIALS }),
      now: () => new Date(arrival + 25 * 3_600_000),
    });
    expect(report).toMatchObject({ replayed: 0, stillFailing: 0, skipped: 1 });
    expect(report.outcomes[0].reason).toMatch(/^the records of shard .+, sequence numbers \d+ to \d+ are past the stream's 24-hour retention \(the first reached the stream at .+, 25\.0 hours ago\): they cannot be read back\. Only an S3 failure destination keeps the records themselves$/);
    expect(existsSync(`${copy}.replayed`)).toBe(false);
    expect((await poisonDisposition(runner.table('Payments'))).replays).toBe(1);
  });
});

test('a record the function reports in batchItemFailures is still failing: the object stays, nothing counted', async () => {
  const reports = runner.table('Reports');
  const bucket = reports.failureDestination!.location.split('/')[2];
  const seq = poisonSequenceNumbers.get(reports.id)!;
  const { code, stdout } = await replayCommand('--bucket', bucket, '--attempts', '2');
  expect(code).toBe(1);
  expect(stdout).toContain(`: the function reported record ${seq} as failed (the 0 before it were processed)`);
  expect(stdout).toContain('replayed: 0, still failing: 1, skipped: 0');
  expect(await runner.bucket(bucket).keys('aws/lambda/')).toHaveLength(1);
  // Two invocations (--attempts 2), each resending the reported record.
  const invoked = reports.logLines.filter((l) => l.includes('"msg":"invoked"') && l.includes(seq));
  expect(invoked).toHaveLength(4); // the mapping's two (1 + retryAttempts), the replay's two
  expect((await poisonDisposition(reports)).replays).toBe(0);
});

describe('the runner\'s Lambda endpoint', () => {
  const lambda = () => new LambdaClient({ endpoint: runner.lambdaEndpoint, region: REGION, credentials: LOCAL_CREDENTIALS });

  test('a function the runner does not run is ResourceNotFoundException', async () => {
    await expect(lambda().send(new InvokeCommand({ FunctionName: 'nobody', Payload: Buffer.from('{}') })))
      .rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  test('a function error is a 200 with X-Amz-Function-Error, as on Lambda', async () => {
    const out = await lambda().send(new InvokeCommand({ FunctionName: runner.function('OrdersFunction').functionArn, Payload: Buffer.from('{"Records":[{}]}') }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({ errorType: 'TypeError' });
  });

  test('an invocation not made from a failure record counts nothing in the ledger', async () => {
    const before = runner.ledger.all().map((d) => d.replays);
    const out = await lambda().send(new InvokeCommand({ FunctionName: runner.function('OrdersFunction').functionName, Payload: Buffer.from('{}') }));
    expect(out.FunctionError).toBeUndefined();
    expect(runner.ledger.all().map((d) => d.replays)).toEqual(before);
  });
});
