import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  DeleteItemCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { S3Client } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { AppModel, stableUuid } from './assembly/app-model';
import { constructPathsOf, readConstructPaths } from './assembly/construct-paths';
import type {
  BucketDefinition, FunctionDefinition, SkippedMapping, StreamMappingDefinition, TableDefinition,
} from './assembly/definitions';
import { SHARED_ASSEMBLY_VARIABLE } from './assembly/shared-assembly';
import { createLocalFailureDestination, LocalFailureDestination, OnFailureRecord } from './destinations/failure-destination-writer';
import { isConnectionFailure, probeDynamoDb } from './engine/dynamodb-endpoint';
import { startDynamoDbLocal, DynamoDbLocal } from './engine/dynamodb-local';
import { DynamoDbProxy, startDynamoDbProxy } from './engine/dynamodb-proxy';
import { LambdaEndpoint, startLambdaEndpoint } from './engine/lambda-endpoint';
import { s3Modules } from './engine/lazy-s3';
import { OfflineEndpoint, startOfflineEndpoint } from './engine/offline-endpoint';
import { LocalS3, startLocalS3 } from './engine/s3-local';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from './engine/shared-dynamodb';
import { SdkStreamSource, StreamSource } from './engine/stream-source';
import { provisionTable } from './engine/table-provisioner';
import { FunctionHost, InvokeResult } from './lambda/function-host';
import { sdkRuntimeModulesDir } from './lambda/sdk-runtime';
import { Ledger, LedgerSummary } from './ledger/ledger';
import { countReplayed } from './ledger/replay-accounting';
import { StreamAudit } from './ledger/stream-audit';
import { ArrivalClock } from './mapping/arrival-clock';
import { Doorbell } from './mapping/doorbell';
import { idlePollInterval } from './mapping/idle-poll-interval';
import { Clock, MappingActivity, MappingEmulator } from './mapping/mapping-emulator';
import { functionChange, mappingChange, tableChange } from './watch/assembly-changes';
import { plural } from './wording';

/** A CDK app (or any stage) that `LocalRunner.start({ app })` synthesizes: an `App` of aws-cdk-lib. */
export interface SynthesizableApp {
  /** Its construct tree (an aws-cdk-lib `App` has one): gives the resources their construct paths. */
  readonly node?: { findAll(): readonly unknown[] };
  synth(): { readonly directory: string };
}

export interface LocalRunnerOptions {
  /**
   * An app to synthesize in this process and run (an aws-cdk-lib `App`, or a `Stage`; for a stack, give
   * `stack.node.root`): no `cdk synth` before the tests. Default: read `cdkOut`.
   */
  readonly app?: SynthesizableApp;
  /**
   * The synthesized cloud assembly, when no `app` is given. Default: under the jest preset with an app in its
   * config, the assembly the preset synthesized for the jest run (environment variable
   * `CDK_STREAM_TRIGGERED_TABLE_ASSEMBLY`); else `cdk.out` in the current directory.
   */
  readonly cdkOut?: string;
  /**
   * A DynamoDB Local the user already runs (e.g. `http://localhost:8000`). Default: the one the jest preset
   * started for the jest run (environment variable `CDK_STREAM_TRIGGERED_TABLE_DYNAMODB_ENDPOINT`), else the
   * embedded jar, started for this runner.
   */
  readonly endpoint?: string;
  /**
   * Put before every table's name (the functions see the prefixed names), so that runs sharing one DynamoDB do
   * not see each other's tables. Default: under the jest preset, one of its own per runner (`r<pid>-<n>-`),
   * and its tables are deleted at `stop()`; otherwise none.
   */
  readonly tableNamePrefix?: string;
  /**
   * The runner's own folder: the local S3's objects (`s3/`) and queue / topic failure records (`destinations/`),
   * emptied at every start. Default: `<cdkOut>/../.local-runner`.
   */
  readonly outDir?: string;
  /**
   * Values for function environment variables, keyed `<function>.<VARIABLE>` (`<function>` is the function's
   * construct path, e.g. `OrdersExample/PaymentsHandler`, or `<stack>/<logicalId>`): what the runner cannot
   * resolve offline (an SSM parameter, a secret, a custom resource's attribute), or to override a value.
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * With `endpoint`: delete and recreate a table of the app's name that already exists there (its items are
   * lost). Default false: such a table is refused, and the runner starts nothing.
   */
  readonly resetTables?: boolean;
  /** Run the rest of the app when a mapping's function is not Node.js (its mapping is left out). Default false: refuse to start. */
  readonly skipUnsupportedFunctions?: boolean;
  /** Time as the mappings see it (record age, tumbling windows). Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Pause after an empty poll. Default 250 ms (AWS polls each shard about four times a second). A write through
   * the runner's `endpoint` (yours, the functions', `LocalTable`'s) is read at once, whatever the interval.
   */
  readonly pollIntervalMs?: number;
  /**
   * The longest pause of a reader whose shard has been empty for a while (writes through the runner's
   * `endpoint` wake it at once; `waitForIdle()` wakes every reader). Default 60,000 ms; 10,000 ms for a table
   * with TTL (DynamoDB Local's TTL deletes do not pass the endpoint); 1,000 ms with an `endpoint` of yours,
   * which other clients may write to directly.
   */
  readonly idlePollIntervalMs?: number;
  /** Backoff between retries of a failing batch. Default 100 ms doubling up to 2 s. */
  readonly retryBackoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Every line a function prints, as it arrives, with the function's construct path. */
  readonly onLogLine?: (line: string, functionId: string, stream: 'stdout' | 'stderr') => void;
  /** What each mapping does (invocations, retries, bisections, failure destinations), with the mapping's id. */
  readonly onActivity?: (activity: MappingActivity, mappingId: string) => void;
  /** What the runner leaves out, and why (a mapping whose source or function is not part of the app). */
  readonly onWarning?: (message: string) => void;
  /**
   * DynamoDB stopped answering (the embedded jar exited, or the endpoint went away): called once, after
   * which the mappings stop, `waitForIdle()` rejects with this message and `summary()` reports what was
   * known. Default: the message goes to `onWarning`.
   */
  readonly onEngineFailure?: (message: string) => void;
  /** Wraps the Streams API (tests inject faults, such as an iterator expiring mid-run). */
  readonly wrapStreamSource?: (source: StreamSource) => StreamSource;
}

export interface MappingSummary {
  readonly id: string;
  readonly table: string;
  readonly function: string;
  /** False for a mapping the template disables: it reads nothing, and its stream's records are `notRead`. */
  readonly enabled: boolean;
  readonly summary: LedgerSummary;
}

/** The end of a run: what the ledger says, per mapping, per table and in total. */
export interface RunSummary extends LedgerSummary {
  /** One row per table with at least one mapping: its mappings' records added up. */
  readonly tables: ReadonlyArray<{ readonly id: string; readonly summary: LedgerSummary; readonly logLines: number }>;
  /** One row per mapping: every record of its stream is counted once for each mapping that reads it. */
  readonly mappings: readonly MappingSummary[];
  /** Items whose first deliveries did not follow write order (must be empty). */
  readonly outOfOrderItems: string[];
  /** The functions the mappings invoke, with how many lines each printed. */
  readonly functions: ReadonlyArray<{ readonly id: string; readonly logLines: number }>;
  /** Mappings of the app that were not run, and why. */
  readonly skipped: readonly SkippedMapping[];
  /** Set when DynamoDB stopped answering during the run: the streams were not read again for this summary. */
  readonly engineFailure?: string;
}

/**
 * A change line of the bundled change-log handler (`"message": "change"`), parsed: one per record it logged.
 * docs/change-log.md is the contract of its fields; fields not listed here are kept as printed.
 */
export interface ChangeLogLine {
  readonly message: 'change';
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventID: string;
  readonly sequenceNumber: string;
  readonly tableName?: string;
  /** The item's key attributes as plain values. */
  readonly keys: Record<string, unknown>;
  readonly newImage?: Record<string, unknown>;
  readonly oldImage?: Record<string, unknown>;
  /** For a MODIFY that carries both images: the top-level attributes it changed, sorted. */
  readonly changedAttributes?: string[];
  readonly ttlDelete?: boolean;
  readonly approximateCreationDateTime?: string;
  readonly ageMs?: number;
  readonly timestamp: string;
  readonly [field: string]: unknown;
}

/** A Lambda function of the app, running locally. */
export class LocalFunction {
  /** Every line the function printed, stdout and stderr interleaved as they arrived (Lambda sends both to the log group). */
  public readonly logLines: string[] = [];
  /** The lines it printed on stdout, in order (the bundled handler's change and summary lines, `console.log`). */
  public readonly stdout: string[] = [];
  /** The lines it printed on stderr, in order (warnings and errors, `console.error`, Node's own warnings). */
  public readonly stderr: string[] = [];
  /** @internal The tables whose mappings invoke it (their logLines get its lines too). */
  public readonly tables = new Set<LocalTable>();

  constructor(
    public readonly id: string,
    public readonly definition: FunctionDefinition,
    /** @internal */ public readonly host: FunctionHost,
  ) {}

  public get functionName(): string {
    return this.definition.functionName;
  }

  public get functionArn(): string {
    return this.definition.functionArn;
  }

  /**
   * Invokes the function once, synchronously, with `event` (as `aws lambda invoke` would): for example to
   * deliver a batch a second time, as an event source mapping may. A function error is a result with
   * status `error`, not a rejection.
   */
  public invoke(event: unknown): Promise<InvokeResult> {
    return this.host.invoke(event);
  }
}

/** One event source mapping: a table's stream feeding a function. */
export class LocalMapping {
  /** The function the mapping invokes. */
  public readonly function: LocalFunction;

  constructor(
    public readonly id: string,
    public readonly definition: StreamMappingDefinition,
    public readonly table: LocalTable,
    fn: LocalFunction,
    /** @internal */ public readonly emulator: MappingEmulator,
    /** @internal */ public readonly audit: StreamAudit,
    /** @internal */ public readonly ledgerKey: string,
    public readonly failureDestination: LocalFailureDestination | undefined,
  ) {
    this.function = fn;
  }

  /** The on-failure records this mapping wrote to its failure destination, oldest first. */
  public async failureRecords(): Promise<OnFailureRecord[]> {
    return this.failureDestination ? this.failureDestination.readAll() : [];
  }
}

/** A DynamoDB table of the app, on DynamoDB Local. */
export class LocalTable {
  /** The mappings that read this table's stream. */
  public readonly mappings: LocalMapping[] = [];
  /** Every line printed by the functions of this table's mappings (stdout and stderr), in the order they arrived. */
  public readonly logLines: string[] = [];
  /** @internal The stdout lines of those functions, in the order they arrived (only ever appended to). */
  public readonly stdoutLines: string[] = [];
  /** The change lines of `stdoutLines[0 .. parsedLines)`: each line is parsed once, by the first `changes()` after it. */
  private readonly parsedChanges: ChangeLogLine[] = [];
  private parsedLines = 0;

  constructor(
    public readonly id: string,
    public readonly definition: TableDefinition,
    /** The table's stream ARN as the functions see it (the stack's region and account); undefined without a stream. */
    public readonly streamArn: string | undefined,
    /** @internal DynamoDB Local's own ARN of the stream, for the Streams API. */
    public readonly localStreamArn: string | undefined,
    /** A client of the DynamoDB Local that holds the table. */
    public readonly client: DynamoDBClient,
  ) {}

  public get tableName(): string {
    return this.definition.tableName;
  }

  public get tableArn(): string {
    return this.definition.tableArn;
  }

  /**
   * The change lines the bundled change-log handler printed for this table's records, parsed, in the order
   * printed (a record delivered twice, at least once, appears twice: deduplicate on `eventID`). Lines of other
   * functions, and other lines of the handler (`batch`, `record failed`), are not included.
   */
  public changes(): ChangeLogLine[] {
    for (; this.parsedLines < this.stdoutLines.length; this.parsedLines++) {
      const line = this.stdoutLines[this.parsedLines];
      if (!line.includes('"message":"change"')) continue;
      let parsed: ChangeLogLine;
      try {
        parsed = JSON.parse(line) as ChangeLogLine;
      } catch {
        continue; // not a log line of the handler
      }
      if (parsed.message === 'change' && (parsed.tableName === undefined || parsed.tableName === this.tableName)) this.parsedChanges.push(parsed);
    }
    return [...this.parsedChanges];
  }

  /** The failure destination of the table's first mapping. */
  public get failureDestination(): LocalFailureDestination | undefined {
    return this.mappings[0]?.failureDestination;
  }

  /** Writes an item (PutItem); values are plain JavaScript, marshalled for you. */
  public async put(item: Record<string, unknown>): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall(item, { removeUndefinedValues: true }) }));
  }

  /** Reads an item by its key (GetItem, strongly consistent), unmarshalled; undefined when there is none. */
  public async get(key: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key), ConsistentRead: true }));
    return out.Item ? unmarshall(out.Item) : undefined;
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

  /** The on-failure records written by this table's mappings, oldest first. */
  public async failureRecords(): Promise<OnFailureRecord[]> {
    const all = await Promise.all(this.mappings.map((m) => m.failureRecords()));
    return all.flat().sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  }
}

/** An S3 bucket of the app, on the local S3. */
export class LocalBucket {
  constructor(
    public readonly id: string,
    public readonly definition: BucketDefinition,
    private readonly localS3Client: () => S3Client,
  ) {}

  /** A client of the local S3 that holds the bucket. */
  public get client(): S3Client {
    return this.localS3Client();
  }

  public get bucketName(): string {
    return this.definition.bucketName;
  }

  /** The keys of the bucket's objects (under `prefix`), in key order. */
  public async keys(prefix?: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const list = new (s3Modules().ListObjectsV2Command)({ Bucket: this.bucketName, Prefix: prefix, ContinuationToken: token });
      const page = await this.client.send(list);
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** An object's body as text. */
  public async getText(key: string): Promise<string> {
    const out = await this.client.send(new (s3Modules().GetObjectCommand)({ Bucket: this.bucketName, Key: key }));
    return out.Body!.transformToString();
  }
}

/** The region of the runner's own clients (DynamoDB Local and the local S3 ignore it). */
const LOCAL_REGION = 'us-east-1';

/**
 * Runs a synthesized CDK app offline: every DynamoDB table on DynamoDB Local (with its indexes, TTL and
 * stream), every S3 bucket on a local S3, the real code of the functions that event source mappings
 * invoke in their own Node.js processes (their environment resolved, the AWS SDK at hand as on Lambda,
 * every SDK call kept on the machine), and each mapping emulated with the service's semantics.
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
  /**
   * Reads the app (synthesizing `app` first, if given), refuses what cannot run before anything starts,
   * then starts the engines (or joins the jest run's DynamoDB Local), creates every table and bucket, and
   * starts every mapping. Resolves once the mappings poll: a write after it is read.
   */
  public static async start(options: LocalRunnerOptions = {}): Promise<LocalRunner> {
    // The jest run's app, synthesized once by the preset, when the test names none.
    const sharedAssembly = options.app === undefined && options.cdkOut === undefined
      ? (process.env[SHARED_ASSEMBLY_VARIABLE] || undefined) : undefined;
    const cdkOut = options.app ? path.resolve(options.app.synth().directory) : path.resolve(options.cdkOut ?? sharedAssembly ?? 'cdk.out');
    const constructPaths = options.app ? constructPathsOf(options.app) : readConstructPaths(cdkOut);
    const sharedEndpoint = options.endpoint ? undefined : (process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE] || undefined);
    const externalEndpoint = options.endpoint ?? sharedEndpoint;
    // On a DynamoDB shared by the whole jest run, each runner has tables of its own, removed when it stops.
    const ownPrefix = options.tableNamePrefix === undefined && sharedEndpoint !== undefined ? nextRunnerPrefix() : undefined;
    // Everything that can be refused is read before anything starts.
    const { model, tables, buckets } = readApp(cdkOut, options, options.tableNamePrefix ?? ownPrefix, constructPaths);
    // An app synthesized here, or by the preset, lives in a folder shared by every test file: its runner folder is its own.
    const temporaryOutDir = options.outDir === undefined && (options.app !== undefined || sharedAssembly !== undefined);
    const outDir = path.resolve(options.outDir ?? (temporaryOutDir
      ? mkdtempSync(path.join(tmpdir(), 'local-runner-'))
      : path.join(path.dirname(cdkOut), '.local-runner')));
    // A run starts empty, as the tables do: objects and records of an earlier run would be taken for this one's.
    for (const owned of ['s3', 'destinations']) rmSync(path.join(outDir, owned), { recursive: true, force: true });

    const [dynamo, s3, offline] = await Promise.all([
      externalEndpoint ? Promise.resolve(undefined) : startDynamoDbLocal(),
      startLocalS3({ directory: path.join(outDir, 's3') }),
      startOfflineEndpoint(),
    ]);
    const engineEndpoint = externalEndpoint ?? dynamo!.endpoint;
    const doorbell = new Doorbell();
    const proxy = await startDynamoDbProxy(engineEndpoint, () => doorbell.ring());
    const runner = new LocalRunner(options, outDir, {
      dynamo,
      s3,
      offline,
      proxy,
      engineEndpoint,
      doorbell,
      ownedTablePrefix: ownPrefix,
      ownedOutDir: temporaryOutDir ? outDir : undefined,
    });
    try {
      if (externalEndpoint) await probeDynamoDb(runner.dynamoClient, externalEndpoint);
      model.setQueueEndpoint(offline.endpoint);
      await runner.provision(model, tables, buckets);
      await runner.startLambdaApi();
      if (runner.mappingList.length === 0) {
        throw new Error(`no event source mapping on a DynamoDB stream found in ${cdkOut}: is it the assembly of an app that uses StreamTriggeredTable?`
          + (runner.skipped.length ? ` (left out: ${runner.skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')})` : ''));
      }
      for (const mapping of runner.mappingList) await mapping.emulator.start();
    } catch (e) {
      await runner.stop();
      throw e;
    }
    return runner;
  }

  /**
   * The DynamoDB endpoint the tables live on (point your SDK or the AWS CLI at it): it passes every call to
   * DynamoDB Local and lets the mappings know at once of a write.
   */
  public readonly endpoint: string;
  /** The DynamoDB Local itself (yours with `endpoint`, the jest run's, or the embedded one): what errors name. */
  public readonly engineEndpoint: string;
  /** The local S3 endpoint the buckets live on. */
  public readonly s3Endpoint: string;
  public readonly ledger = new Ledger();
  /** Mappings of the app that are not run, and why. */
  public readonly skipped: SkippedMapping[] = [];
  private readonly tableList: LocalTable[] = [];
  private readonly bucketList: LocalBucket[] = [];
  private readonly functionList: LocalFunction[] = [];
  private readonly mappingList: LocalMapping[] = [];
  /** Straight to DynamoDB Local: the runner's own calls (tables, probes) need not wake the mappings. */
  private readonly dynamoClient: DynamoDBClient;
  /** Through `endpoint`: what `LocalTable` writes is read at once. */
  private readonly tableClient: DynamoDBClient;
  /** Made when first needed (a bucket, an S3 failure destination): see engine/s3-modules.ts. */
  private s3ClientInstance?: S3Client;
  private readonly source: StreamSource;
  /** The unwrapped Streams API: the audit stays independent of any fault injected into the mappings. */
  private readonly auditSource: StreamSource;
  private stopped = false;
  private engineFailure?: string;
  private lambdaApi?: LambdaEndpoint;
  private engineCheck?: Promise<void>;

  private constructor(
    private readonly options: LocalRunnerOptions,
    private readonly outDir: string,
    private readonly engines: {
      dynamo?: DynamoDbLocal;
      s3: LocalS3;
      offline: OfflineEndpoint;
      proxy: DynamoDbProxy;
      engineEndpoint: string;
      doorbell: Doorbell;
      /** Set when the runner named its tables on a shared DynamoDB: it deletes them at stop. */
      ownedTablePrefix?: string;
      /** Set when the runner's folder is a temporary one of its own: removed at stop. */
      ownedOutDir?: string;
    },
  ) {
    this.endpoint = engines.proxy.endpoint;
    this.engineEndpoint = engines.engineEndpoint;
    this.s3Endpoint = engines.s3.endpoint;
    const credentials = engines.s3.credentials;
    // DynamoDB Local runs with -sharedDb: any credentials and region see the same tables.
    const dynamoConfig = { endpoint: engines.engineEndpoint, region: LOCAL_REGION, credentials };
    this.dynamoClient = new DynamoDBClient(dynamoConfig);
    this.tableClient = new DynamoDBClient({ ...dynamoConfig, endpoint: this.endpoint });
    const sdkSource = new SdkStreamSource(new DynamoDBStreamsClient(dynamoConfig));
    this.source = options.wrapStreamSource ? options.wrapStreamSource(sdkSource) : sdkSource;
    this.auditSource = sdkSource;
  }

  /**
   * The Lambda Invoke API of the functions the mappings invoke (give it as AWS_ENDPOINT_URL_LAMBDA, e.g. to the
   * replay command): an invocation's stream records that it processed are counted in the ledger as replayed.
   */
  public get lambdaEndpoint(): string {
    return this.lambdaApi!.endpoint;
  }

  private s3Client(): S3Client {
    const { credentials } = this.engines.s3;
    this.s3ClientInstance ??= new (s3Modules().S3Client)({ endpoint: this.s3Endpoint, region: LOCAL_REGION, credentials, forcePathStyle: true });
    return this.s3ClientInstance;
  }

  /** Every table of the app. */
  public get tables(): LocalTable[] {
    return [...this.tableList];
  }

  /** Every bucket of the app. */
  public get buckets(): LocalBucket[] {
    return [...this.bucketList];
  }

  /** The functions the mappings invoke. */
  public get functions(): LocalFunction[] {
    return [...this.functionList];
  }

  /** The event source mappings that run. */
  public get mappings(): LocalMapping[] {
    return [...this.mappingList];
  }

  /**
   * A table by its construct path (`OrdersExample/Orders/Table`), the path of the StreamTriggeredTable that
   * owns it (`OrdersExample/Orders`), either path's trailing segments (`Orders`, `Orders/Table`), its logical id or its table name.
   */
  public table(id: string): LocalTable {
    return pick('table', id, this.tableList, (t) => [t.id, ...t.definition.aliases]);
  }

  /** A bucket by its construct path, trailing segments, logical id or bucket name. */
  public bucket(id: string): LocalBucket {
    return pick('bucket', id, this.bucketList, (b) => [b.id, b.definition.logicalId, b.bucketName]);
  }

  /** A function by its construct path, trailing segments (`Orders/Handler`), logical id or function name. */
  public function(id: string): LocalFunction {
    return pick('function', id, this.functionList, (f) => [f.id, f.definition.logicalId, f.functionName]);
  }

  /** A mapping by its id (the owning construct's path) or that path's trailing segments. */
  public mapping(id: string): LocalMapping {
    return pick('mapping', id, this.mappingList, (m) => [m.id]);
  }

  /**
   * Waits until every record in every mapped stream is disposed of by every mapping that reads it
   * (delivered, filtered, in a failure destination or dropped) and nothing is queued or being invoked.
   * Records that functions write into other tables of the app are waited for too.
   *
   * It returns as soon as that is so: each disposal wakes it, and the streams are read again only when no
   * mapping holds anything. On timeout it rejects with what is still pending, per mapping: how many records,
   * held where (queued, in flight, waiting for which retry) or not read yet.
   *
   * @param timeoutMs how long to wait. Default 30,000 ms (a test framework's own timeout should be longer).
   */
  public async waitForIdle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const quiet = () => this.mappingList.every((m) => m.emulator.isQuiet());
    // A write that did not come through `endpoint` is read now, not at the next idle poll.
    this.engines.doorbell.ring();
    const disposals = new Doorbell();
    const stopListening = this.ledger.onRelease(() => disposals.ring());
    try {
      for (;;) {
        if (this.engineFailure) throw new Error(this.engineFailure);
        const rings = disposals.count;
        // The streams are read only once no mapping has anything queued or in flight: until then it is not idle anyway.
        if (quiet()) {
          const undisposed = await this.engineCall(() => this.undisposed());
          if (undisposed.length === 0 && quiet()) return;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(await this.notIdleMessage(timeoutMs));
        // Woken by the next disposal; at the latest after 100 ms, for records no mapping has read yet.
        await disposals.wait(Math.min(left, 100), undefined, rings);
        // The lane that disposed of the records finishes its turn before the mappings are looked at.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      stopListening();
    }
  }

  /** What `waitForIdle` says on timeout: per mapping with records not disposed of, where they are. */
  private async notIdleMessage(timeoutMs: number): Promise<string> {
    const undisposed = await this.engineCall(() => this.undisposed());
    const lines: string[] = [];
    for (const m of this.mappingList) {
      const mine = undisposed.filter((u) => u.mapping === m);
      const where = m.emulator.describePending();
      if (mine.length === 0 && where.length === 0) continue;
      const held = mine.filter((u) => u.held).length;
      const unread = mine.length - held;
      const parts = [
        held ? `${plural(held, 'record')} held` : '',
        unread ? `${plural(unread, 'record')} not read from the stream yet${m.emulator.enabled ? '' : ' (the mapping is disabled)'}` : '',
      ].filter(Boolean).join(', ');
      lines.push(`  ${m.id} (table ${m.table.id} -> function ${m.function.id}): ${parts || 'busy'}${where.length ? `: ${where.join('; ')}` : ''}`);
    }
    const total = undisposed.length;
    return `not idle after ${timeoutMs} ms: ${plural(total, 'record')} not yet disposed of${lines.length ? `\n${lines.join('\n')}` : ''}`;
  }

  /** Totals of the run, per mapping, per table and overall; `lost` counts records in the streams that a mapping did not dispose of. */
  public async summary(): Promise<RunSummary> {
    // Once DynamoDB is gone, the streams cannot be read again: the summary is what the audits last saw.
    if (!this.engineFailure) {
      try {
        await this.engineCall(() => Promise.all(this.mappingList.map((m) => m.audit.refresh())));
      } catch (e) {
        if (!this.engineFailure) throw e;
      }
    }
    const mappings = this.mappingList.map((m) => ({
      id: m.id,
      table: m.table.id,
      function: m.function.id,
      enabled: m.emulator.enabled,
      summary: this.ledger.summarize(m.audit.records, [m.ledgerKey]),
    }));
    const tables = this.tableList.filter((t) => t.mappings.length > 0).map((t) => ({
      id: t.id,
      summary: this.ledger.summarize(t.mappings.flatMap((m) => m.audit.records), t.mappings.map((m) => m.ledgerKey)),
      logLines: t.logLines.length,
    }));
    const total = this.ledger.summarize(this.mappingList.flatMap((m) => m.audit.records), this.mappingList.map((m) => m.ledgerKey));
    const functions = this.functionList.map((f) => ({ id: f.id, logLines: f.logLines.length }));
    return {
      ...total,
      tables,
      mappings,
      functions,
      outOfOrderItems: this.ledger.outOfOrderItems(),
      skipped: [...this.skipped],
      ...(this.engineFailure ? { engineFailure: this.engineFailure } : {}),
    };
  }

  /** Stops the mappings, the function processes and the local engines. Idempotent. */
  public async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled(this.mappingList.map((m) => m.emulator.stop()));
    await Promise.allSettled(this.functionList.map((f) => f.host.stop()));
    if (this.engines.ownedTablePrefix !== undefined && !this.engineFailure) {
      // The jest run's DynamoDB outlives this runner: leave it as found.
      await Promise.allSettled(this.tableList.map((t) => this.dynamoClient.send(new DeleteTableCommand({ TableName: t.tableName }))));
    }
    this.dynamoClient.destroy();
    this.tableClient.destroy();
    this.s3ClientInstance?.destroy();
    await Promise.allSettled([this.engines.dynamo?.stop(), this.engines.s3.stop(), this.engines.offline.stop(), this.engines.proxy.stop(),
      this.lambdaApi?.stop()]);
    if (this.engines.ownedOutDir) rmSync(this.engines.ownedOutDir, { recursive: true, force: true });
  }

  // ---- Stopping in order, and reloading (the CLI's Ctrl-C and --watch) ----

  /**
   * Stops every mapping: no poll, invocation or failure-destination write starts after it, and what the
   * mappings held is pending at stop. The tables, functions and engines stay up, so that `summary()` can
   * still read the streams; `stop()` ends the rest. Idempotent.
   */
  public async stopMappings(): Promise<void> {
    await Promise.allSettled(this.mappingList.map((m) => m.emulator.stop()));
  }

  /**
   * Applies a new synthesis of the running app (`cdkOut`) without losing the tables' data: tables stay as
   * they are, with their items (a changed definition is reported, not applied); new tables and buckets are
   * created; a function whose code or settings changed gets new worker processes; a mapping whose options
   * or function changed is handed over to a new one that starts where the old one was (at the first record
   * it read and had not disposed of, so no record is lost; one in flight is delivered again); mappings no
   * longer in the app stop and leave the ledger. Everything is read and checked before anything changes.
   * @returns one line per change, empty when nothing changed
   */
  public async reload(cdkOut: string): Promise<string[]> {
    if (this.stopped) throw new Error('the runner is stopped');
    if (this.engineFailure) throw new Error(this.engineFailure);
    const { model, tables, buckets } = readApp(path.resolve(cdkOut), this.options, this.options.tableNamePrefix ?? this.engines.ownedTablePrefix);
    model.setQueueEndpoint(this.engines.offline.endpoint);
    const changes: string[] = [];

    for (const definition of tables) {
      const existing = this.tableList.find((t) => t.tableName === definition.tableName);
      if (existing) {
        // Kept with its stream: references to it resolve to the stream that exists.
        if (existing.streamArn) model.setStreamLabel(definition.tableArn, existing.streamArn.split('/stream/')[1]);
        const changed = tableChange(existing.definition, definition);
        if (changed) changes.push(`table ${existing.id}: ${changed} changed; kept as it was, with its items (restart the runner to apply it)`);
        continue;
      }
      await this.addTable(model, definition);
      changes.push(`new table ${definition.id} (${definition.tableName})`);
    }
    for (const definition of buckets) {
      if (this.bucketList.some((b) => b.bucketName === definition.bucketName)) continue;
      await this.addBucket(definition);
      changes.push(`new bucket ${definition.id} (${definition.bucketName})`);
    }

    const { mappings, skipped } = model.mappings(tables);
    for (const left of skipped.filter((s) => !this.skipped.some((k) => k.id === s.id))) {
      this.options.onWarning?.(`mapping ${left.id} is not run offline: ${left.reason}`);
    }
    this.skipped.splice(0, this.skipped.length, ...skipped);

    // Functions first: a new host checks its code (and starts no process), so a broken handler changes nothing.
    const functions = new Map<string, { fn: LocalFunction; replaces?: LocalFunction }>();
    const hosted: LocalFunction[] = [];
    try {
      for (const { handler } of mappings) {
        if (functions.has(handler.id)) continue;
        const current = this.functionList.find((f) => f.id === handler.id);
        const changed = current && functionChange(current.definition, handler);
        if (current && !changed) {
          functions.set(handler.id, { fn: current });
          continue;
        }
        const fn = await this.hostFunction(handler);
        hosted.push(fn);
        functions.set(handler.id, { fn, replaces: current });
        if (current) {
          fn.logLines.push(...current.logLines);
          fn.stdout.push(...current.stdout);
          fn.stderr.push(...current.stderr);
        }
        changes.push(current ? `function ${handler.id}: ${changed}; new worker processes` : `new function ${handler.id}`);
      }
    } catch (e) {
      for (const fn of hosted) {
        this.functionList.splice(this.functionList.indexOf(fn), 1);
        await fn.host.stop();
      }
      throw e;
    }

    const kept = new Set<LocalMapping>();
    for (const definition of mappings) {
      const table = this.tableList.find((t) => t.tableName === definition.table.tableName)!;
      if (!table.localStreamArn) {
        // A stream the template added to a table that runs without one: tables are not recreated under a run.
        changes.push(`mapping ${definition.id}: table ${table.id} runs without a stream until the runner restarts; not run`);
        continue;
      }
      const { fn } = functions.get(definition.handler.id)!;
      const old = this.mappingList.find((m) => m.id === definition.id && m.ledgerKey === `${definition.stackName}/${definition.mapping.logicalId}`);
      const optionsChanged = old && mappingChange(old.definition.mapping, definition.mapping);
      if (old && !optionsChanged && old.function === fn && old.table === table) {
        kept.add(old);
        continue;
      }
      // A stream of its own per new mapping: its readers' arrival times are those of the stamps it takes.
      const fresh = this.addMapping(definition, table, fn, new ArrivalClock(this.options.clock));
      if (old) {
        fresh.emulator.takeOver(await old.emulator.handOver());
        this.mappingList.splice(this.mappingList.indexOf(old), 1, fresh);
        old.table.mappings.splice(old.table.mappings.indexOf(old), 1);
        const rewired = old.function.id !== fn.id ? `function ${old.function.id} -> ${fn.id}` : undefined;
        const changed = [optionsChanged, rewired].filter(Boolean).join('; ');
        if (changed) changes.push(`mapping ${definition.id}: ${changed}; restarted where it was`);
      } else {
        this.mappingList.push(fresh);
        changes.push(`new mapping ${definition.id} -> function ${fn.id}`);
      }
      kept.add(fresh);
      await fresh.emulator.start();
    }
    for (const gone of this.mappingList.filter((m) => !kept.has(m))) {
      await gone.emulator.stop();
      this.mappingList.splice(this.mappingList.indexOf(gone), 1);
      gone.table.mappings.splice(gone.table.mappings.indexOf(gone), 1);
      changes.push(`mapping ${gone.id} is no longer in the app: stopped, and left out of the ledger`);
    }
    // Replaced and unused functions stop once no mapping invokes them; a new one takes the old one's place in the list.
    const retired: LocalFunction[] = [];
    for (const { fn, replaces } of functions.values()) {
      if (!replaces) continue;
      this.functionList.splice(this.functionList.indexOf(fn), 1);
      this.functionList.splice(this.functionList.indexOf(replaces), 1, fn);
      retired.push(replaces);
    }
    for (const unused of this.functionList.filter((f) => !this.mappingList.some((m) => m.function === f))) {
      this.functionList.splice(this.functionList.indexOf(unused), 1);
      retired.push(unused);
      changes.push(`function ${unused.id} is no longer invoked: stopped`);
    }
    await Promise.allSettled(retired.map((f) => f.host.stop()));
    return changes;
  }
  // ---- end of stopping in order and reloading ----

  /** Runs a call to DynamoDB; when it fails because DynamoDB is gone, that is said once, plainly. */
  private async engineCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (!isConnectionFailure(e)) throw e;
      await this.checkEngine();
      throw this.engineFailure ? new Error(this.engineFailure) : e;
    }
  }

  /** Probes DynamoDB (one probe at a time); if it does not answer, the run fails once with the reason. */
  private checkEngine(): Promise<void> {
    this.engineCheck ??= probeDynamoDb(this.dynamoClient, this.engineEndpoint)
      .catch((e: Error) => this.failEngine(`DynamoDB stopped answering during the run: ${e.message}`))
      .finally(() => {
        this.engineCheck = undefined;
      });
    return this.engineCheck;
  }

  private failEngine(message: string): void {
    if (this.engineFailure || this.stopped) return;
    this.engineFailure = message;
    (this.options.onEngineFailure ?? this.options.onWarning)?.(message);
    // Nothing can be read or checkpointed any more: the mappings stop polling a dead endpoint.
    for (const m of this.mappingList) void m.emulator.stop();
  }

  /** The records in the mapped streams that a mapping reading them has not disposed of yet. */
  private async undisposed(): Promise<Array<{ mapping: LocalMapping; sequenceNumber: string; held: boolean }>> {
    const found: Array<{ mapping: LocalMapping; sequenceNumber: string; held: boolean }> = [];
    for (const m of this.mappingList) {
      await m.audit.refresh();
      for (const r of m.audit.records) {
        if (this.ledger.isDisposed(r.streamArn, r.sequenceNumber)) continue;
        found.push({ mapping: m, sequenceNumber: r.sequenceNumber, held: this.ledger.get(r.streamArn, r.sequenceNumber)?.held === true });
      }
    }
    return found;
  }

  private async provision(model: AppModel, tables: TableDefinition[], buckets: BucketDefinition[]): Promise<void> {
    for (const definition of tables) await this.addTable(model, definition);
    for (const definition of buckets) await this.addBucket(definition);

    const { mappings, skipped } = model.mappings(tables);
    for (const s of skipped) {
      this.skipped.push(s);
      this.options.onWarning?.(`mapping ${s.id} is not run offline: ${s.reason}`);
    }
    const functions = new Map<string, LocalFunction>();
    const arrivals = new Map<string, ArrivalClock>();
    for (const definition of mappings) {
      const table = this.tableList.find((t) => t.definition === definition.table)!;
      const fn = functions.get(definition.handler.id) ?? await this.hostFunction(definition.handler);
      functions.set(definition.handler.id, fn);
      // One arrival clock per stream: every reader of it agrees on when a record was written.
      const arrival = arrivals.get(table.localStreamArn!) ?? new ArrivalClock(this.options.clock);
      arrivals.set(table.localStreamArn!, arrival);
      this.mappingList.push(this.addMapping(definition, table, fn, arrival));
    }
  }

  /** Creates the table on DynamoDB Local; references to its stream in the app resolve to the stream it got. */
  private async addTable(model: AppModel, definition: TableDefinition): Promise<void> {
    const provisioned = await provisionTable(this.dynamoClient, definition, {
      endpoint: this.engineEndpoint,
      replaceExisting: this.options.resetTables,
    });
    if (provisioned.streamLabel) model.setStreamLabel(definition.tableArn, provisioned.streamLabel);
    const streamArn = provisioned.streamLabel ? `${definition.tableArn}/stream/${provisioned.streamLabel}` : undefined;
    this.tableList.push(new LocalTable(definition.id, definition, streamArn, provisioned.localStreamArn, this.tableClient));
  }

  private async addBucket(definition: BucketDefinition): Promise<void> {
    await this.engines.s3.createBucket(definition.bucketName);
    this.bucketList.push(new LocalBucket(definition.id, definition, () => this.s3Client()));
  }

  /** Serves Invoke for the current functions (after a reload too), and counts what replays process. */
  private async startLambdaApi(): Promise<void> {
    this.lambdaApi = await startLambdaEndpoint({
      lookup: (name) => this.functionList.find((f) => f.functionName === name),
      onInvoked: (fn, event, result) => countReplayed(this.ledger, this.mappingList.filter((m) => m.function === fn).map((m) => ({
        ledgerKey: m.ledgerKey, eventSourceArn: m.table.streamArn!, reportBatchItemFailures: m.definition.mapping.reportBatchItemFailures,
      })), event, result),
    });
  }

  private async hostFunction(definition: FunctionDefinition): Promise<LocalFunction> {
    const { s3, offline } = this.engines;
    const host = await FunctionHost.start({
      name: definition.functionName,
      codeDir: definition.assetPath,
      inlineCode: definition.inlineCode,
      handler: definition.handler,
      environment: {
        ...definition.environment,
        // Every SDK call stays on this machine: DynamoDB and S3 reach the local ones, every other service
        // an endpoint that answers at once that it is not run offline.
        AWS_ENDPOINT_URL: offline.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: this.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB_STREAMS: this.engineEndpoint,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      },
      // As Lambda's NODE_PATH: the function's layers, then the runtime's AWS SDK, behind its own node_modules.
      nodePath: [...definition.layerModuleDirs, sdkRuntimeModulesDir()],
      timeoutSeconds: definition.timeoutSeconds,
      memorySize: definition.memorySize,
      region: definition.region,
      account: definition.account,
      onLogLine: (line, stream) => {
        fn.logLines.push(line);
        (stream === 'stdout' ? fn.stdout : fn.stderr).push(line);
        for (const table of fn.tables) {
          table.logLines.push(line);
          if (stream === 'stdout') table.stdoutLines.push(line);
        }
        this.options.onLogLine?.(line, definition.id, stream);
      },
    });
    const fn: LocalFunction = new LocalFunction(definition.id, definition, host);
    this.functionList.push(fn);
    return fn;
  }

  private addMapping(definition: StreamMappingDefinition, table: LocalTable, fn: LocalFunction, arrivals: ArrivalClock): LocalMapping {
    const mappingDefinition = definition.mapping;
    const ledgerKey = `${definition.stackName}/${mappingDefinition.logicalId}`;
    const onFailure = mappingDefinition.onFailure;
    // Lambda names failure objects after the mapping's UUID: a stable one here, so keys are the same every run.
    const mappingUuid = stableUuid(ledgerKey);
    const destination = onFailure ? createLocalFailureDestination(onFailure.kind === 's3'
      ? { kind: 's3', s3: { client: () => this.s3Client(), bucket: onFailure.bucketName!, local: this.engines.s3 }, mappingUuid }
      : {
        kind: onFailure.kind,
        rootDir: path.join(this.outDir, 'destinations'),
        logicalId: onFailure.logicalId,
        region: definition.region,
        account: definition.account,
      }) : undefined;

    const emulator = new MappingEmulator({
      mapping: mappingDefinition,
      streamArn: table.localStreamArn!,
      eventSourceArn: table.streamArn!,
      ledgerKey,
      arrivals,
      source: this.source,
      invoke: (event) => fn.host.invoke(event),
      functionArn: fn.functionArn,
      region: definition.region,
      ledger: this.ledger,
      destination,
      clock: this.options.clock,
      pollIntervalMs: this.options.pollIntervalMs,
      idlePollIntervalMs: this.options.idlePollIntervalMs ?? idlePollInterval(table.definition, this.options.endpoint !== undefined),
      doorbell: this.engines.doorbell,
      retryBackoff: this.options.retryBackoff,
      onActivity: (activity) => {
        // A failing Streams call may mean DynamoDB itself is gone: find out, rather than retry it forever.
        if (activity.type === 'error') void this.checkEngine();
        this.options.onActivity?.(activity, definition.id);
      },
    });
    const audit = new StreamAudit(this.auditSource, table.localStreamArn!, (shardId) => emulator.auditStart(shardId), { ledgerKey, arrivals });
    const mapping = new LocalMapping(definition.id, definition, table, fn, emulator, audit, ledgerKey, destination);
    table.mappings.push(mapping);
    fn.tables.add(table);
    return mapping;
  }
}

/** Reads the assembly and refuses what cannot run (before anything starts, or changes on a reload). */
function readApp(cdkOut: string, options: LocalRunnerOptions, tableNamePrefix: string | undefined,
  constructPaths?: ReadonlyMap<string, string>): { model: AppModel; tables: TableDefinition[]; buckets: BucketDefinition[] } {
  const model = AppModel.read(cdkOut, {
    environmentOverrides: options.environment,
    skipUnsupportedFunctions: options.skipUnsupportedFunctions,
    tableNamePrefix,
    constructPaths,
  });
  const tables = model.tables();
  const buckets = model.buckets();
  model.preflight(tables);
  return { model, tables, buckets };
}

let runnersStarted = 0;

/** A table name prefix no other runner of the jest run uses: the process (one per jest worker) and a count. */
function nextRunnerPrefix(): string {
  return `r${process.pid}-${++runnersStarted}-`;
}

/** The one item whose names include `id` exactly, else the one whose names end in `/<id>` (trailing path segments). */
function pick<T>(kind: string, id: string, items: readonly T[], names: (item: T) => string[]): T {
  const exact = items.filter((item) => names(item).includes(id));
  if (exact.length === 1) return exact[0];
  // A path's trailing segments name it too (`Orders/Handler` for `Stack/Orders/Handler`).
  const bySegment = exact.length ? exact : items.filter((item) => names(item).some((n) => n.endsWith(`/${id}`)));
  if (bySegment.length === 1) return bySegment[0];
  const all = items.map((item) => names(item)[0]).join(', ') || 'none';
  throw new Error(bySegment.length > 1
    ? `${bySegment.length} ${kind}s match ${JSON.stringify(id)}: ${bySegment.map((item) => names(item)[0]).join(', ')}; give the full construct path`
    : `no ${kind} ${JSON.stringify(id)}; the ${kind}s are ${all}`);
}
