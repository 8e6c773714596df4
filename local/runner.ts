import * as path from 'path';
import { setTimeout as sleep } from 'timers/promises';
import {
  DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import { readAssembly, StreamTriggeredTableDefinition } from './assembly/read-assembly';
import { startDynamoDbLocal, DynamoDbLocal } from './engine/dynamodb-local';
import { createLocalFailureDestination, LocalFailureDestination, OnFailureRecord } from './destinations/failure-destination-writer';
import { FunctionHost } from './lambda/function-host';
import { Ledger, LedgerSummary } from './ledger/ledger';
import { Clock, MappingActivity, MappingEmulator } from './mapping/mapping-emulator';
import { StreamAudit } from './ledger/stream-audit';
import { SdkStreamSource, StreamSource } from './engine/stream-source';
import { ProvisionedTable, provisionTable } from './engine/table-provisioner';

export interface LocalRunnerOptions {
  /** The synthesized cloud assembly. Default: `cdk.out` in the current directory. */
  readonly cdkOut?: string;
  /** Stream-triggered tables to run, instead of reading them from `cdkOut`. */
  readonly tables?: StreamTriggeredTableDefinition[];
  /** A DynamoDB Local the user already runs (e.g. `http://localhost:8000`). Default: start the embedded jar. */
  readonly endpoint?: string;
  /** Where failure destinations are written. Default: `<cdkOut>/../.local-runner`. */
  readonly outDir?: string;
  /** Time as the mappings see it (record age, tumbling windows). Default: the system clock. */
  readonly clock?: Clock;
  /** Pause after an empty poll. Default 250 ms (AWS polls each shard about four times a second). */
  readonly pollIntervalMs?: number;
  /** Backoff between retries of a failing batch. Default 100 ms doubling up to 2 s. */
  readonly retryBackoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Every line a handler prints, as it arrives. */
  readonly onLogLine?: (line: string, tableId: string, stream: 'stdout' | 'stderr') => void;
  /** What each mapping does (invocations, retries, bisections, failure destinations). */
  readonly onActivity?: (activity: MappingActivity, tableId: string) => void;
  /** Wraps the Streams API (tests inject faults, such as an iterator expiring mid-run). */
  readonly wrapStreamSource?: (source: StreamSource) => StreamSource;
}

/** The end of a run: what the ledger says, per table and in total. */
export interface RunSummary extends LedgerSummary {
  readonly tables: ReadonlyArray<{ readonly id: string; readonly summary: LedgerSummary; readonly logLines: number }>;
  /** Items whose first deliveries did not follow write order (must be empty). */
  readonly outOfOrderItems: string[];
}

/** One stream-triggered table running locally. */
export class LocalTable {
  constructor(
    public readonly id: string,
    public readonly definition: StreamTriggeredTableDefinition,
    public readonly tableName: string,
    public readonly streamArn: string,
    public readonly client: DynamoDBClient,
    /** @internal */ public readonly emulator: MappingEmulator,
    /** @internal */ public readonly audit: StreamAudit,
    public readonly failureDestination: LocalFailureDestination | undefined,
    /** Every line the table's function printed, in order. */
    public readonly logLines: string[],
  ) {}

  /** Writes an item (PutItem); values are plain JavaScript, marshalled for you. */
  public async put(item: Record<string, unknown>): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall(item, { removeUndefinedValues: true }) }));
  }

  /** Sets (and removes) attributes of an item (UpdateItem). */
  public async update(key: Record<string, unknown>, set: Record<string, unknown>, remove: string[] = []): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.keys(set).map((name, i) => {
      names[`#s${i}`] = name;
      values[`:s${i}`] = set[name];
      return `#s${i} = :s${i}`;
    });
    const removes = remove.map((name, i) => {
      names[`#r${i}`] = name;
      return `#r${i}`;
    });
    const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim();
    await this.client.send(new UpdateItemCommand({
      TableName: this.tableName,
      Key: marshall(key),
      UpdateExpression: expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: sets.length ? marshall(values, { removeUndefinedValues: true }) : undefined,
    }));
  }

  /** Deletes an item (DeleteItem). */
  public async delete(key: Record<string, unknown>): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall(key) }));
  }

  /** The on-failure records written to this table's local failure destination, oldest first. */
  public async failureRecords(): Promise<OnFailureRecord[]> {
    return this.failureDestination ? this.failureDestination.readAll() : [];
  }
}

/**
 * Runs synthesized stream-triggered tables offline: DynamoDB Local for the tables and streams, the real
 * handler assets in their own Node.js processes, and an emulated event source mapping per table.
 *
 * ```ts
 * const runner = await LocalRunner.start({ cdkOut: 'cdk.out' });
 * await runner.table('Orders').put({ pk: 'order#1', status: 'NEW' });
 * await runner.waitForIdle();
 * const summary = await runner.summary(); // summary.lost === 0
 * await runner.stop();
 * ```
 */
export class LocalRunner {
  public static async start(options: LocalRunnerOptions = {}): Promise<LocalRunner> {
    const cdkOut = path.resolve(options.cdkOut ?? 'cdk.out');
    const definitions = options.tables ?? readAssembly(cdkOut);
    if (definitions.length === 0) {
      throw new Error(`no stream-triggered table found in ${cdkOut}: is it the assembly of an app that uses StreamTriggeredTable?`);
    }
    const dynamo = options.endpoint ? undefined : await startDynamoDbLocal();
    const runner = new LocalRunner(options, dynamo, options.endpoint ?? dynamo!.endpoint, cdkOut);
    try {
      for (const definition of definitions) await runner.add(definition);
      for (const table of runner.byId.values()) await table.emulator.start();
    } catch (e) {
      await runner.stop();
      throw e;
    }
    return runner;
  }

  /** The DynamoDB endpoint the tables live on (point your SDK or the AWS CLI at it). */
  public readonly endpoint: string;
  public readonly ledger = new Ledger();
  private readonly byId = new Map<string, LocalTable>();
  private readonly hosts: FunctionHost[] = [];
  private readonly dynamoClient: DynamoDBClient;
  private readonly source: StreamSource;
  /** The unwrapped Streams API: the audit stays independent of any fault injected into the mappings. */
  private readonly auditSource: StreamSource;
  private readonly outDir: string;
  private stopped = false;

  private constructor(private readonly options: LocalRunnerOptions, private readonly dynamo: DynamoDbLocal | undefined,
    endpoint: string, cdkOut: string) {
    this.endpoint = endpoint;
    // DynamoDB Local accepts any credentials (-sharedDb); the region only shows in ARNs.
    const clientConfig = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    this.dynamoClient = new DynamoDBClient(clientConfig);
    const sdkSource = new SdkStreamSource(new DynamoDBStreamsClient(clientConfig));
    this.source = options.wrapStreamSource ? options.wrapStreamSource(sdkSource) : sdkSource;
    this.auditSource = sdkSource;
    this.outDir = path.resolve(options.outDir ?? path.join(path.dirname(cdkOut), '.local-runner'));
  }

  /** The running tables. */
  public get tables(): LocalTable[] {
    return [...this.byId.values()];
  }

  /** A table by its construct path (`Stack/Orders`) or its last segment (`Orders`). */
  public table(id: string): LocalTable {
    const exact = this.byId.get(id);
    if (exact) return exact;
    const matches = this.tables.filter((t) => t.id.split('/').pop() === id);
    if (matches.length === 1) return matches[0];
    throw new Error(`no single table ${JSON.stringify(id)}; the tables are ${this.tables.map((t) => t.id).join(', ')}`);
  }

  /**
   * Waits until every record in every stream is disposed of (delivered, filtered, in a failure destination
   * or dropped) and nothing is queued or being invoked.
   */
  public async waitForIdle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const quiet = () => this.tables.every((t) => t.emulator.isQuiet());
    for (;;) {
      // The streams are read only once no mapping has anything queued or in flight: until then it is not idle anyway.
      if (quiet() && await this.undisposed() === 0 && quiet()) return;
      if (Date.now() > deadline) {
        throw new Error(`not idle after ${timeoutMs} ms: ${await this.undisposed()} records not yet disposed of`);
      }
      await sleep(50);
    }
  }

  /** Totals of the run, per table and overall; `lost` counts records in the streams that nothing disposed of. */
  public async summary(): Promise<RunSummary> {
    await Promise.all(this.tables.map((t) => t.audit.refresh()));
    const perTable = this.tables.map((t) => ({
      id: t.id, summary: this.ledger.summarize(t.audit.records), logLines: t.logLines.length,
    }));
    const total = this.ledger.summarize(this.tables.flatMap((t) => t.audit.records));
    return { ...total, tables: perTable, outOfOrderItems: this.ledger.outOfOrderItems() };
  }

  /** Stops the mappings, the function processes and the embedded DynamoDB Local. Idempotent. */
  public async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled(this.tables.map((t) => t.emulator.stop()));
    await Promise.allSettled(this.hosts.map((h) => h.stop()));
    this.dynamoClient.destroy();
    await this.dynamo?.stop();
  }

  private async undisposed(): Promise<number> {
    let pending = 0;
    for (const t of this.tables) {
      await t.audit.refresh();
      for (const r of t.audit.records) if (!this.ledger.isDisposed(r.streamArn, r.sequenceNumber)) pending++;
    }
    return pending;
  }

  private async add(definition: StreamTriggeredTableDefinition): Promise<void> {
    const region = definition.region ?? 'us-east-1';
    const account = definition.account ?? '000000000000';
    const tableName = definition.table.tableName ?? definition.id.replace(/[^a-zA-Z0-9_.-]+/g, '-');
    const provisioned = await provisionTable(this.dynamoClient, tableName, definition.table);

    const onLogLine = this.options.onLogLine;
    const logLines: string[] = [];
    const host = await FunctionHost.start({
      name: definition.handler.logicalId,
      codeDir: definition.handler.assetPath,
      inlineCode: definition.handler.inlineCode,
      handler: definition.handler.handler,
      environment: {
        ...this.resolveEnvironment(definition, provisioned),
        // A function that calls DynamoDB reaches the local one.
        AWS_ENDPOINT_URL_DYNAMODB: this.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB_STREAMS: this.endpoint,
      },
      timeoutSeconds: definition.handler.timeoutSeconds,
      memorySize: definition.handler.memorySize,
      region,
      account,
      onLogLine: (line, stream) => {
        logLines.push(line);
        onLogLine?.(line, definition.id, stream);
      },
    });
    this.hosts.push(host);

    const onFailure = definition.mapping.onFailure;
    const mappingUuid = `local-${definition.mapping.logicalId}`;
    const destination = onFailure ? createLocalFailureDestination({
      kind: onFailure.kind, rootDir: this.outDir, logicalId: onFailure.logicalId, mappingUuid, region, account,
    }) : undefined;

    const emulator = new MappingEmulator({
      mapping: definition.mapping,
      streamArn: provisioned.streamArn,
      source: this.source,
      invoke: (event) => host.invoke(event),
      functionArn: host.functionArn,
      region,
      ledger: this.ledger,
      destination,
      clock: this.options.clock,
      pollIntervalMs: this.options.pollIntervalMs,
      retryBackoff: this.options.retryBackoff,
      onActivity: (activity) => this.options.onActivity?.(activity, definition.id),
    });
    const audit = new StreamAudit(this.auditSource, provisioned.streamArn, (shardId) => emulator.auditStart(shardId));
    const local = new LocalTable(definition.id, definition, provisioned.tableName, provisioned.streamArn,
      this.dynamoClient, emulator, audit, destination, logLines);
    this.byId.set(definition.id, local);
  }

  /** Environment values that name this table in the template (Ref, GetAtt) become the local table's. */
  private resolveEnvironment(definition: StreamTriggeredTableDefinition, provisioned: ProvisionedTable): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(definition.handler.environment)) {
      let resolved = value;
      if (value.startsWith('{')) {
        try {
          const token = JSON.parse(value);
          if (token.Ref === definition.table.logicalId) resolved = provisioned.tableName;
          const att = token['Fn::GetAtt'];
          if (Array.isArray(att) && att[0] === definition.table.logicalId) {
            resolved = att[1] === 'StreamArn' ? provisioned.streamArn : att[1] === 'Arn' ? provisioned.tableArn : value;
          }
        } catch {
          // not a token: keep the value as it is
        }
      }
      out[key] = resolved;
    }
    return out;
  }
}
