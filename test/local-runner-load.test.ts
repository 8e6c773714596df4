import { randomUUID } from 'crypto';
import { rmSync } from 'fs';
import * as path from 'path';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { LocalRunner, LocalTable } from '../local/runner';
import { AttributeCondition, Duration, StreamFilter, synthRunnerApp } from './fixtures/runner-app';
import { dispositions, expectNothingLost, invocations, tempDir } from './local-runner-helpers';

// Volume and fault-injection tests, on their own DynamoDB Local (it slows down with every stream table).

const dir = tempDir('stt-runner-load-');
const cdkOut = path.join(dir, 'cdk.out');
let runner: LocalRunner;

beforeAll(async () => {
  synthRunnerApp(cdkOut, randomUUID(), {
    BigBatch: { batchSize: 2500, maxBatchingWindow: Duration.seconds(3) },
    Parallel: { parallelizationFactor: 4 },
    Random: {
      retryAttempts: 2,
      filters: [StreamFilter.key('pk', AttributeCondition.stringAnythingButPrefix('skip#'))],
    },
  });
  runner = await LocalRunner.start({
    cdkOut, outDir: path.join(dir, 'destinations'), pollIntervalMs: 100, retryBackoff: { baseMs: 10, maxMs: 50 },
  });
}, 120_000);

afterAll(async () => {
  await runner?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes items 25 at a time (BatchWriteItem), several requests in flight. */
async function writeMany(t: LocalTable, items: Array<Record<string, unknown>>): Promise<void> {
  const chunks: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      await t.client.send(new BatchWriteItemCommand({
        RequestItems: { [t.tableName]: chunk.map((item) => ({ PutRequest: { Item: marshall(item) } })) },
      }));
    }
  }));
}

test('batch size above 1,000: one invocation gathers records from several GetRecords calls', async () => {
  const t = runner.table('BigBatch');
  await writeMany(t, Array.from({ length: 2000 }, (_, i) => ({ pk: `big${String(i).padStart(4, '0')}`, payload: 'x'.repeat(200) })));
  await runner.waitForIdle(120_000);
  const sizes = invocations(t).map((c) => c.size);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(2000);
  expect(Math.max(...sizes)).toBeGreaterThan(1000);
  await expectNothingLost(runner);
}, 180_000);

test('parallelization factor: batches run concurrently, first deliveries keep write order per item', async () => {
  const t = runner.table('Parallel');
  // 8 items, 6 versions each, written interleaved: item order must survive 4 concurrent lanes.
  for (let v = 1; v <= 6; v++) {
    await Promise.all(Array.from({ length: 8 }, (_, i) => t.put({ pk: `item${i}`, version: v })));
  }
  await runner.waitForIdle();
  await expectNothingLost(runner);
  const byItem = new Map<string, string[]>();
  for (const inv of invocations(t)) inv.keys.forEach((k, i) => byItem.set(k, [...(byItem.get(k) ?? []), inv.seqs[i]]));
  for (const seqs of byItem.values()) {
    expect([...seqs].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(seqs);
  }
  // Every version of every item was delivered, in order (above), over several invocations.
  expect(invocations(t).length).toBeGreaterThan(1);
  expect(dispositions(runner, t)).toHaveLength(48);
});

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
/* eslint-disable no-bitwise -- a PRNG is bit arithmetic */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/* eslint-enable no-bitwise */

test.each([1, 2, 3])('randomised failures and filters (seed %i): every record delivered, filtered or in a failure record', async (seed) => {
  const t = runner.table('Random');
  const random = prng(seed);
  const modes = ['ok', 'ok', 'ok', 'ok', 'ok', 'throw', 'fail', 'fail-once', 'skip'];
  for (let i = 0; i < 40; i++) {
    const mode = modes[Math.floor(random() * modes.length)];
    const pk = `${mode === 'skip' ? 'skip#' : ''}s${seed}-${Math.floor(random() * 10)}`;
    const op = random();
    if (op < 0.15) await t.delete({ pk });
    else if (op < 0.4) await t.update({ pk }, { mode, n: i });
    else await t.put({ pk, mode, n: i });
  }
  await runner.waitForIdle(90_000);
  await expectNothingLost(runner);

  // The failure destination holds exactly the records the ledger says failed, with their payload.
  const failedInLedger = dispositions(runner, t).filter((d) => d.failedWith).map((d) => d.sequenceNumber).sort();
  const inDestination = (await t.failureRecords())
    .flatMap((r) => JSON.parse(r.payload!).Records.map((rec: any) => rec.dynamodb.SequenceNumber as string)).sort();
  expect(inDestination).toEqual(failedInLedger);
  // Filtered records are never invoked; every record is disposed of exactly one way.
  for (const d of dispositions(runner, t)) {
    if (d.filtered) expect(d.invocations).toBe(0);
    expect([d.deliveries > 0, d.filtered, d.failedWith !== undefined].filter(Boolean)).toHaveLength(1);
  }
}, 120_000);
