import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { BatchWriteItemCommand, BatchWriteItemCommandOutput, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { alternate, measurement, median, percentile, ratio } from './lib/stats';
import type { Goal, SectionOptions, SectionResult } from './lib/types';
import { AppModel } from '../local/assembly/app-model';
import type { StreamMappingDefinition, TableDefinition } from '../local/assembly/definitions';
import { startDynamoDbLocal } from '../local/engine/dynamodb-local';
import { GET_RECORDS_LIMIT, SdkStreamSource, StreamSource } from '../local/engine/stream-source';
import { provisionTable } from '../local/engine/table-provisioner';
import { FunctionHost } from '../local/lambda/function-host';
import { Ledger } from '../local/ledger/ledger';
import { MappingEmulator } from '../local/mapping/mapping-emulator';
import { StreamTriggeredTable } from '../src';

/**
 * The local runner: latency from PutItem to the handler receiving the record, and sustained records per
 * second draining a stream of 20,000 records, against the floor of plain GetRecords calls on the same
 * stream. Everything runs on one embedded DynamoDB Local; the handler is the real bundled asset.
 */
export async function run(options: SectionOptions): Promise<SectionResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stt-bench-runner-'));
  const definition = synthDefaults(dir);
  const dynamo = await startDynamoDbLocal();
  const config = { endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const client = new DynamoDBClient(config);
  const source = new SdkStreamSource(new DynamoDBStreamsClient(config));
  const section = 'runner';
  try {
    // Latency: writes paced 50 ms apart; the handler's own log timestamp says when it received each record.
    const writes = options.quick ? 40 : 200;
    const latencyTable = await provisionTable(client, named(definition.table, 'latency'), { endpoint: dynamo.endpoint });
    let written = 0;
    const latency = await alternate(['runner', 'floor'] as const, options.runs, async (contender) => {
      const keys = Array.from({ length: writes }, () => `k${written++}`);
      const samples = contender === 'runner'
        ? await runnerLatency(definition, latencyTable.localStreamArn!, source, client, keys)
        : await floorLatency(latencyTable.localStreamArn!, source, client, keys);
      return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
    });
    options.log(`runner latency: p50 ${median(latency.runner.p50).toFixed(0)} ms (floor ${median(latency.floor.p50).toFixed(0)} ms)`);

    // Throughput: 20,000 records written once, then drained from TRIM_HORIZON by each contender per round.
    const total = options.quick ? 4000 : 20_000;
    const drainTable = await provisionTable(client, named(definition.table, 'drain'), { endpoint: dynamo.endpoint });
    const writeStarted = Date.now();
    await writeItems(client, 'drain', total);
    const writeRate = total / ((Date.now() - writeStarted) / 1000);
    options.log(`wrote ${total} items at ${writeRate.toFixed(0)} items/s`);
    const noop: StreamMappingDefinition = {
      ...definition, handler: { ...definition.handler, assetPath: path.join(__dirname, 'fixtures', 'noop-handler'), environment: {} },
    };
    const throughput = await alternate(['runner', 'runner-noop', 'floor'] as const, options.runs, async (contender) => {
      // With the CPU of this process over the drain (the reader: the SDK's parsing of each page, and for the runner
      // its own work per record and the invocations' IPC), apart from DynamoDB Local's and the function's processes.
      const drain = contender === 'runner' ? await runnerDrain(definition, drainTable.localStreamArn!, source, total)
        : contender === 'runner-noop' ? await runnerDrain(noop, drainTable.localStreamArn!, source, total)
          : await floorDrain(drainTable.localStreamArn!, source, total);
      return { recordsPerSecond: total / drain.seconds, readerCpuPer1000: drain.cpuMs / (total / 1000) };
    });
    options.log(`runner drain: ${median(throughput.runner.recordsPerSecond).toFixed(0)} records/s with the change-log handler, `
      + `${median(throughput['runner-noop'].recordsPerSecond).toFixed(0)} with a no-op handler (floor ${median(throughput.floor.recordsPerSecond).toFixed(0)})`);

    const measurements = [
      measurement(section, `latency, ${writes} paced writes`, 'runner', 'p50', 'ms', latency.runner.p50),
      measurement(section, `latency, ${writes} paced writes`, 'runner', 'p99', 'ms', latency.runner.p99),
      measurement(section, `latency, ${writes} paced writes`, 'floor', 'p50', 'ms', latency.floor.p50),
      measurement(section, `latency, ${writes} paced writes`, 'floor', 'p99', 'ms', latency.floor.p99),
      measurement(section, `drain ${total} records`, 'runner', 'throughput', 'records/s', throughput.runner.recordsPerSecond),
      measurement(section, `drain ${total} records`, 'runner-noop', 'throughput', 'records/s', throughput['runner-noop'].recordsPerSecond),
      measurement(section, `drain ${total} records`, 'floor', 'throughput', 'records/s', throughput.floor.recordsPerSecond),
      measurement(section, `drain ${total} records`, 'runner', 'reader process CPU per 1,000 records', 'ms', throughput.runner.readerCpuPer1000),
      measurement(section, `drain ${total} records`, 'runner-noop', 'reader process CPU per 1,000 records', 'ms', throughput['runner-noop'].readerCpuPer1000),
      measurement(section, `drain ${total} records`, 'floor', 'reader process CPU per 1,000 records', 'ms', throughput.floor.readerCpuPer1000),
    ];
    const withHandlerRatio = ratio(section, `drain ${total} records`, 'runner (change-log handler) / floor', 'throughput',
      throughput.runner.recordsPerSecond, throughput.floor.recordsPerSecond);
    const throughputRatio = ratio(section, `drain ${total} records`, 'runner (no-op handler) / floor', 'throughput',
      throughput['runner-noop'].recordsPerSecond, throughput.floor.recordsPerSecond);
    const p50 = median(latency.runner.p50);
    const goals: Goal[] = [
      { section, text: 'latency p50 under 300 ms', met: p50 < 300, detail: `p50 ${p50.toFixed(0)} ms, p99 ${median(latency.runner.p99).toFixed(0)} ms` },
      {
        section,
        text: 'drain: at least 90% of plain GetRecords with a no-op handler (the runner\'s own cost)',
        met: throughputRatio.median >= 0.9,
        detail: `${(throughputRatio.median * 100).toFixed(0)}% (${median(throughput['runner-noop'].recordsPerSecond).toFixed(0)} vs `
          + `${median(throughput.floor.recordsPerSecond).toFixed(0)} records/s); the reader process spends `
          + `${median(throughput['runner-noop'].readerCpuPer1000).toFixed(0)} ms of CPU per 1,000 records, the floor's `
          + `${median(throughput.floor.readerCpuPer1000).toFixed(0)} ms`,
      },
      {
        section,
        text: 'drain: at least 80% of plain GetRecords with the change-log handler',
        met: withHandlerRatio.median >= 0.8,
        detail: `${(withHandlerRatio.median * 100).toFixed(0)}% (${median(throughput.runner.recordsPerSecond).toFixed(0)} records/s)`,
      },
    ];
    return {
      id: 'runner',
      title: 'Local runner',
      measurements,
      ratios: [
        ratio(section, `latency, ${writes} paced writes`, 'runner / floor', 'p50', latency.runner.p50, latency.floor.p50),
        throughputRatio,
        withHandlerRatio,
      ],
      goals,
      notes: [
        'Latency: one PutItem every 50 ms; the latency of a record is the bundled handler\'s log timestamp minus the time the '
          + 'PutItem call started. The runner polls each shard every 250 ms when it is idle, as AWS polls about four times a second; '
          + 'the floor is a plain GetRecords loop with the same 250 ms pause on an empty read.',
        `Throughput: ${total} items written once (DynamoDB Local accepted ${writeRate.toFixed(0)} items/s), then drained from TRIM_HORIZON by `
          + 'each contender in turn: the runner with the defaults of a StreamTriggeredTable (batch size 100, the real bundled handler '
          + 'in its own process, every record through the ledger), the same with a no-op handler (the runner\'s own cost), and '
          + 'the floor with GetRecords (Limit 1000) and nothing else. One batch of a shard is invoked at a time (as on AWS with '
          + 'a parallelization factor of 1), so with the real handler the drain is bound by the handler\'s own time per batch.',
        'Reader process CPU: process.cpuUsage() of this process across a drain, per 1,000 records. The floor\'s is the AWS SDK '
          + 'parsing GetRecords pages; the runner does the same parsing on the same thread and then its own work per record '
          + '(the Lambda-shaped record, its size for the payload limit, the ledger) and per batch (the event serialized to the '
          + 'function\'s process). A drain is bound by that one thread: the runner reaches the floor\'s rate only when its own '
          + 'work per record is small next to the SDK\'s parsing, so the difference between the two CPU rows is what a faster '
          + 'runner has to remove.',
      ],
    };
  } finally {
    client.destroy();
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A StreamTriggeredTable with defaults, synthesized in process and read back like a user's cdk.out. */
function synthDefaults(dir: string): StreamMappingDefinition {
  const app = new App({ outdir: path.join(dir, 'cdk.out'), context: { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'Bench', { env: { account: '123456789012', region: 'eu-west-1' } });
  new StreamTriggeredTable(stack, 'Orders', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  app.synth();
  const model = AppModel.read(path.join(dir, 'cdk.out'));
  const tables = model.tables();
  // The mapping's source is not read from the definition here: each measurement provisions its own table.
  model.setStreamLabel(tables[0].tableArn, 'bench');
  return model.mappings(tables).mappings[0];
}

/** The same table under another name (each measurement has a stream of its own). */
function named(table: TableDefinition, tableName: string): TableDefinition {
  return { ...table, tableName, tableArn: table.tableArn.replace(/table\/.*$/, `table/${tableName}`) };
}

/**
 * A ledger that counts first deliveries as they happen, so that waiting for a drain to end reads one number
 * instead of scanning every record's disposition, every few milliseconds, inside the timed region.
 */
class CountingLedger extends Ledger {
  public firstDeliveries = 0;

  public delivered(streamArn: string, records: readonly DynamoDBRecord[]): void {
    for (const r of records) if (!this.get(streamArn, r.dynamodb!.SequenceNumber!)?.deliveries) this.firstDeliveries++;
    super.delivered(streamArn, records);
  }
}

async function startMapping(definition: StreamMappingDefinition, streamArn: string, source: StreamSource,
  onLogLine?: (line: string) => void, beforeStart?: () => void): Promise<{ emulator: MappingEmulator; host: FunctionHost; ledger: CountingLedger }> {
  const host = await FunctionHost.start({
    name: definition.handler.logicalId,
    codeDir: definition.handler.assetPath,
    handler: definition.handler.handler,
    environment: definition.handler.environment,
    timeoutSeconds: definition.handler.timeoutSeconds,
    memorySize: definition.handler.memorySize,
    onLogLine,
  });
  // A warm execution environment, as a running mapping has: process start is not stream throughput.
  await host.invoke({ Records: [] });
  beforeStart?.();
  const ledger = new CountingLedger();
  const emulator = new MappingEmulator({
    mapping: { ...definition.mapping, startingPosition: 'TRIM_HORIZON' },
    streamArn,
    source,
    ledger,
    region: 'eu-west-1',
    functionArn: host.functionArn,
    invoke: (e) => host.invoke(e),
  });
  await emulator.start();
  return { emulator, host, ledger };
}

async function runnerLatency(definition: StreamMappingDefinition, streamArn: string, source: StreamSource,
  client: DynamoDBClient, keys: string[]): Promise<number[]> {
  const putAt = new Map<string, number>();
  const latencies: number[] = [];
  const { emulator, host } = await startMapping(definition, streamArn, source, (line) => {
    if (!line.includes('"message":"change"')) return;
    const change = JSON.parse(line);
    const started = putAt.get(change.keys?.pk);
    if (started !== undefined) latencies.push(Date.parse(change.timestamp) - started);
  });
  try {
    await sleep(1000); // the mapping has caught up with earlier rounds' records
    await pacedWrites(client, 'latency', keys, putAt);
    await waitUntil(() => latencies.length >= keys.length, 60_000, 'the runner to deliver every paced write');
  } finally {
    await emulator.stop();
    await host.stop();
  }
  return latencies;
}

async function floorLatency(streamArn: string, source: StreamSource, client: DynamoDBClient, keys: string[]): Promise<number[]> {
  const putAt = new Map<string, number>();
  const latencies: number[] = [];
  let stop = false;
  const reader = (async () => {
    const shards = await source.describeStream(streamArn);
    // Start at the end of the open shard: the paced writes are the only new records.
    const open = shards.find((s) => !s.endingSequenceNumber) ?? shards[shards.length - 1];
    let iterator: string | undefined = await source.getShardIterator(streamArn, open.shardId, { type: 'TRIM_HORIZON' });
    let caughtUp = false;
    while (!stop && iterator) {
      const page = await source.getRecords(iterator, GET_RECORDS_LIMIT);
      const now = Date.now();
      if (caughtUp) {
        for (const r of page.records) {
          const started = putAt.get((r.dynamodb?.Keys as any)?.pk?.S);
          if (started !== undefined) latencies.push(now - started);
        }
      }
      iterator = page.nextShardIterator;
      if (page.records.length === 0) {
        caughtUp = true;
        await sleep(250);
      }
    }
  })();
  await sleep(1000);
  await pacedWrites(client, 'latency', keys, putAt);
  await waitUntil(() => latencies.length >= keys.length, 60_000, 'the floor reader to see every paced write');
  stop = true;
  await reader;
  return latencies;
}

async function pacedWrites(client: DynamoDBClient, tableName: string, keys: string[], putAt: Map<string, number>): Promise<void> {
  for (const pk of keys) {
    putAt.set(pk, Date.now());
    await client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ pk, status: 'NEW', total: 19.99 }) }));
    await sleep(50);
  }
}

/** A drain's wall time and this process's CPU over the same span. */
interface Drain {
  readonly seconds: number;
  readonly cpuMs: number;
}

/** From now: the wall time and this process's CPU since. */
function span(): () => Drain {
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
}

async function runnerDrain(definition: StreamMappingDefinition, streamArn: string, source: StreamSource, total: number): Promise<Drain> {
  // Timed from the mapping's start: the function's process is already up and warm.
  let end = span();
  const { emulator, host, ledger } = await startMapping(definition, streamArn, source, undefined, () => {
    end = span();
  });
  try {
    await waitUntil(() => ledger.firstDeliveries >= total, 300_000, 'the runner to drain the stream', 20);
    return end();
  } finally {
    await emulator.stop();
    await host.stop();
  }
}

async function floorDrain(streamArn: string, source: StreamSource, total: number): Promise<Drain> {
  const end = span();
  let read = 0;
  for (const shard of await source.describeStream(streamArn)) {
    let iterator: string | undefined = await source.getShardIterator(streamArn, shard.shardId, { type: 'TRIM_HORIZON' });
    while (iterator) {
      const page = await source.getRecords(iterator, GET_RECORDS_LIMIT);
      read += page.records.length;
      if (page.records.length === 0) break;
      iterator = page.nextShardIterator;
    }
  }
  if (read < total) throw new Error(`the floor read ${read} of ${total} records`);
  return end();
}

async function writeItems(client: DynamoDBClient, tableName: string, total: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < total) {
      const start = next;
      next += 25;
      const items = Array.from({ length: Math.min(25, total - start) }, (_, i) => ({
        PutRequest: { Item: marshall({ pk: `item${start + i}`, status: 'NEW', total: 19.99, lines: [{ sku: 'A-1', qty: 2 }], note: 'x'.repeat(500) }) },
      }));
      let request: Record<string, any> | undefined = { [tableName]: items };
      while (request && Object.keys(request).length > 0) {
        const out: BatchWriteItemCommandOutput = await client.send(new BatchWriteItemCommand({ RequestItems: request }));
        request = out.UnprocessedItems;
      }
    }
  }));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
