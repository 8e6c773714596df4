import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

/**
 * Reads a synthesized cloud assembly (cdk.out) and finds every DynamoDB stream that a Lambda event
 * source mapping reads: the table's own properties, the function's, the mapping's and the failure
 * destination's, straight from the templates.
 */

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface TableDefinition {
  readonly logicalId: string;
  readonly tableName?: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly streamViewType: string;
  readonly timeToLiveAttribute?: string;
}

export interface FunctionDefinition {
  readonly logicalId: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  /** Absolute path of the code asset directory, when the code is an asset. */
  readonly assetPath?: string;
  /** Inline code (Code.fromInline), when the code is inline. */
  readonly inlineCode?: string;
}

export type FailureDestinationKind = 's3' | 'sqs' | 'sns';

export interface FailureDestinationDefinition {
  readonly kind: FailureDestinationKind;
  readonly logicalId: string;
}

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

export interface StreamTriggeredTableDefinition {
  /** The construct path of the mapping's parent, e.g. `OrdersExample/Orders`. */
  readonly id: string;
  readonly stackName: string;
  /** The stack's region and account (from the assembly's environment), when they are concrete. */
  readonly region?: string;
  readonly account?: string;
  readonly table: TableDefinition;
  readonly handler: FunctionDefinition;
  readonly mapping: MappingDefinition;
  /** Alarms created next to the mapping (names of metrics they watch). */
  readonly alarmMetrics: string[];
}

type Resource = { Type: string; Properties?: any; Metadata?: Record<string, any> };

/** Every stream-triggered table in the assembly, in template order. */
export function readAssembly(cdkOut: string): StreamTriggeredTableDefinition[] {
  const manifestFile = path.join(cdkOut, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new Error(`${cdkOut} is not a cloud assembly (no manifest.json): run \`cdk synth\` first`);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf-8'));
  const found: StreamTriggeredTableDefinition[] = [];
  for (const [stackName, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const template = JSON.parse(readFileSync(path.join(cdkOut, artifact.properties.templateFile), 'utf-8'));
    // "aws://123456789012/eu-west-1", or unknown-account / unknown-region for environment-agnostic stacks.
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    const concrete = (v: string | undefined) => (v && !v.startsWith('unknown-') ? v : undefined);
    found.push(...readTemplate(stackName, template, cdkOut).map((t) => ({ ...t, account: concrete(env?.[1]), region: concrete(env?.[2]) })));
  }
  return found;
}

function readTemplate(stackName: string, template: any, cdkOut: string): StreamTriggeredTableDefinition[] {
  const resources: Record<string, Resource> = template.Resources ?? {};
  const out: StreamTriggeredTableDefinition[] = [];
  for (const [mappingId, mapping] of Object.entries(resources)) {
    if (mapping.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const p = mapping.Properties ?? {};
    const tableId = getAttTarget(p.EventSourceArn, 'StreamArn');
    const table = tableId ? resources[tableId] : undefined;
    if (!tableId || !table || !['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'].includes(table.Type)) continue;
    const functionId = refTarget(p.FunctionName) ?? getAttTarget(p.FunctionName, 'Arn');
    const fn = functionId ? resources[functionId] : undefined;
    if (!functionId || !fn || fn.Type !== 'AWS::Lambda::Function') continue;

    // The construct path (the CLI adds it as metadata); without it, the mapping's logical id less its
    // "EventSourceMapping<hash>" suffix names the construct.
    const cdkPath: string | undefined = mapping.Metadata?.['aws:cdk:path'];
    const id = cdkPath ? cdkPath.split('/').slice(0, -2).join('/')
      : `${stackName}/${mappingId.replace(/EventSourceMapping[0-9A-F]{8}$/, '')}`;
    out.push({
      id,
      stackName,
      table: readTable(tableId, table),
      handler: readFunction(functionId, fn, cdkOut),
      mapping: readMapping(mappingId, p, resources),
      alarmMetrics: Object.entries(resources)
        .filter(([alarmId, r]) => r.Type === 'AWS::CloudWatch::Alarm' && (r.Metadata?.['aws:cdk:path']
          ? String(r.Metadata['aws:cdk:path']).startsWith(`${id}/`) : alarmId.startsWith(id.split('/').slice(1).join(''))))
        .map(([, r]) => r)
        .map((r) => r.Properties?.MetricName ?? 'DroppedEventCount+DestinationDeliveryFailures'),
    });
  }
  return out;
}

function readTable(logicalId: string, table: Resource): TableDefinition {
  const p = table.Properties ?? {};
  const types = new Map<string, string>((p.AttributeDefinitions ?? []).map((a: any) => [a.AttributeName, a.AttributeType]));
  const key = (kind: string): KeyAttribute | undefined => {
    const k = (p.KeySchema ?? []).find((s: any) => s.KeyType === kind);
    return k ? { name: k.AttributeName, type: types.get(k.AttributeName) as KeyAttribute['type'] } : undefined;
  };
  const partitionKey = key('HASH');
  if (!partitionKey) throw new Error(`table ${logicalId} has no partition key in its template`);
  const ttl = p.TimeToLiveSpecification;
  return {
    logicalId,
    tableName: typeof p.TableName === 'string' ? p.TableName : undefined,
    partitionKey,
    sortKey: key('RANGE'),
    streamViewType: p.StreamSpecification?.StreamViewType ?? 'NONE',
    timeToLiveAttribute: ttl?.Enabled ? ttl.AttributeName : undefined,
  };
}

function readFunction(logicalId: string, fn: Resource, cdkOut: string): FunctionDefinition {
  const p = fn.Properties ?? {};
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.Environment?.Variables ?? {})) {
    env[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  // The asset's folder: from the metadata the CDK CLI adds, else from the code's S3 key (<hash>.zip),
  // which names the staged folder asset.<hash> (apps synthesized in process carry no asset metadata).
  const keyHash = /^([0-9a-f]{64})\.zip$/.exec(typeof p.Code?.S3Key === 'string' ? p.Code.S3Key : '')?.[1];
  const staged = keyHash && existsSync(path.join(cdkOut, `asset.${keyHash}`)) ? `asset.${keyHash}` : undefined;
  const assetDir = fn.Metadata?.['aws:asset:path'] ?? staged;
  return {
    logicalId,
    handler: p.Handler ?? 'index.handler',
    runtime: p.Runtime ?? 'nodejs',
    timeoutSeconds: p.Timeout ?? 3,
    memorySize: p.MemorySize ?? 128,
    environment: env,
    assetPath: typeof assetDir === 'string' ? path.resolve(cdkOut, assetDir) : undefined,
    inlineCode: typeof p.Code?.ZipFile === 'string' ? p.Code.ZipFile : undefined,
  };
}

function readMapping(logicalId: string, p: any, resources: Record<string, Resource>): MappingDefinition {
  const destination = p.DestinationConfig?.OnFailure?.Destination;
  let onFailure: FailureDestinationDefinition | undefined;
  if (destination !== undefined) {
    const target = getAttTarget(destination, 'Arn') ?? refTarget(destination);
    const type = target ? resources[target]?.Type : undefined;
    const kind: FailureDestinationKind | undefined = type === 'AWS::S3::Bucket' ? 's3' : type === 'AWS::SQS::Queue' ? 'sqs'
      : type === 'AWS::SNS::Topic' ? 'sns' : undefined;
    if (kind && target) onFailure = { kind, logicalId: target };
  }
  return {
    logicalId,
    startingPosition: p.StartingPosition ?? 'TRIM_HORIZON',
    batchSize: p.BatchSize ?? 100,
    maxBatchingWindowSeconds: p.MaximumBatchingWindowInSeconds ?? 0,
    maximumRetryAttempts: p.MaximumRetryAttempts ?? -1,
    maximumRecordAgeSeconds: p.MaximumRecordAgeInSeconds ?? -1,
    bisectBatchOnFunctionError: p.BisectBatchOnFunctionError ?? false,
    parallelizationFactor: p.ParallelizationFactor ?? 1,
    tumblingWindowSeconds: p.TumblingWindowInSeconds ?? 0,
    reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
    enabled: p.Enabled ?? true,
    filterPatterns: (p.FilterCriteria?.Filters ?? []).map((f: any) => JSON.parse(f.Pattern)),
    onFailure,
  };
}

function getAttTarget(value: any, attribute: string): string | undefined {
  const att = value?.['Fn::GetAtt'];
  return Array.isArray(att) && att[1] === attribute ? att[0] : undefined;
}

function refTarget(value: any): string | undefined {
  return typeof value?.Ref === 'string' ? value.Ref : undefined;
}
