/** What the runner runs, read from the templates with every reference resolved. */

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface SecondaryIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly projectionType: string;
  readonly nonKeyAttributes?: string[];
}

export interface TableDefinition {
  /** The construct path of the table (`OrdersExample/Orders/Table`), or `<stack>/<logicalId>` without path metadata. */
  readonly id: string;
  /** Other names `runner.table()` accepts: the owning construct's path, the logical id, the table name. */
  readonly aliases: readonly string[];
  readonly stackName: string;
  readonly logicalId: string;
  readonly tableName: string;
  /** With the stack's region and account. */
  readonly tableArn: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly SecondaryIndexDefinition[];
  readonly localSecondaryIndexes: readonly SecondaryIndexDefinition[];
  /** Undefined when the template enables no stream. */
  readonly streamViewType?: string;
  readonly timeToLiveAttribute?: string;
}

export interface BucketDefinition {
  readonly id: string;
  readonly stackName: string;
  readonly logicalId: string;
  readonly bucketName: string;
  readonly bucketArn: string;
}

export interface FunctionDefinition {
  /** The construct path of the function (`OrdersExample/PaymentsHandler`). */
  readonly id: string;
  readonly stackName: string;
  readonly logicalId: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly region: string;
  readonly account: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** Resolved: every intrinsic replaced by its offline value. */
  readonly environment: Record<string, string>;
  /** Absolute path of the code asset directory, when the code is an asset. */
  readonly assetPath?: string;
  /** Inline code (Code.fromInline), when the code is inline. */
  readonly inlineCode?: string;
  /** `<layer>/nodejs/node_modules` of the app's own layers, in the function's layer order (Lambda's NODE_PATH has them). */
  readonly layerModuleDirs: readonly string[];
}

export type FailureDestinationKind = 's3' | 'sqs' | 'sns';

export interface FailureDestinationDefinition {
  readonly kind: FailureDestinationKind;
  readonly logicalId: string;
  readonly arn: string;
  /** For S3: the bucket's name (a bucket of the app, served by the local S3). */
  readonly bucketName?: string;
}

/** The event source mapping's settings, with AWS's defaults where the template leaves one out. */
export interface MappingDefinition {
  readonly logicalId: string;
  readonly startingPosition: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number;
  readonly bisectBatchOnFunctionError: boolean;
  readonly parallelizationFactor: number;
  readonly tumblingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
  readonly filterPatterns: unknown[];
  readonly onFailure?: FailureDestinationDefinition;
}

/** One event source mapping on a table's stream, with its table and function. */
export interface StreamMappingDefinition {
  /** The construct that owns the mapping (`OrdersExample/Orders` for a StreamTriggeredTable). */
  readonly id: string;
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly table: TableDefinition;
  readonly handler: FunctionDefinition;
  readonly mapping: MappingDefinition;
  /** Metrics of the alarms created next to the mapping (under the same construct). */
  readonly alarmMetrics: string[];
}

/** A mapping the runner does not run, and why (a source outside the app, a function it cannot host). */
export interface SkippedMapping {
  readonly id: string;
  readonly reason: string;
}
