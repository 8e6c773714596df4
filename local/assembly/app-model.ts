import { createHash } from 'crypto';
import { existsSync, statSync } from 'fs';
import * as path from 'path';
import { AssemblyError, readCloudAssembly, StackTemplate } from './cloud-assembly';
import type {
  BucketDefinition, FailureDestinationDefinition, FunctionDefinition, KeyAttribute, MappingDefinition, SecondaryIndexDefinition,
  SkippedMapping, StreamMappingDefinition, TableDefinition,
} from './definitions';
import {
  CloudFormationTemplate, evaluateCondition, isResourceCreated, resolveString, resolveValue, TemplateContext, UnresolvableError,
} from './intrinsics';
import { attributeValue, defaultPhysicalName, explicitNameProperty, refValue, StackEnvironment } from './resource-attributes';

/** Where an environment-agnostic stack "is" offline (its ARNs and AWS_REGION). */
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT = '000000000000';

export interface AppModelOptions {
  /**
   * Values for environment variables the runner cannot resolve offline (an SSM parameter, a secret, a custom
   * resource's attribute), keyed `<function>.<VARIABLE>`, where `<function>` is the function's construct path
   * (`OrdersExample/PaymentsHandler`) or `<stack>/<logicalId>`. They also override resolvable values.
   */
  readonly environmentOverrides?: Readonly<Record<string, string>>;
  /** Leave out the mappings of functions the runner cannot host (not Node.js) instead of refusing to start. */
  readonly skipUnsupportedFunctions?: boolean;
  /**
   * Put before every table's name (explicit or generated), so that several runs share one DynamoDB without
   * seeing each other's tables; the functions' environment and every ARN carry the prefixed name. Default: none.
   */
  readonly tableNamePrefix?: string;
  /**
   * Construct paths by `<stackName>/<logicalId>`, for an assembly synthesized without path metadata (an app
   * synthesized in process: only the CDK CLI turns the metadata on). Default: the templates' `aws:cdk:path`.
   */
  readonly constructPaths?: ReadonlyMap<string, string>;
}

type Resource = NonNullable<CloudFormationTemplate['Resources']>[string];

const TABLE_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable']);

/** One stack with the context its intrinsics resolve in. */
class AppStack {
  readonly env: StackEnvironment;
  readonly stackId: string;
  readonly ctx: TemplateContext;
  private readonly physicalNames = new Map<string, string>();
  private readonly resolving = new Set<string>();

  constructor(readonly source: StackTemplate, private readonly app: AppModel) {
    this.env = {
      stackName: source.stackName,
      region: source.region ?? DEFAULT_REGION,
      account: source.account ?? DEFAULT_ACCOUNT,
      partition: 'aws',
      urlSuffix: 'amazonaws.com',
    };
    this.stackId = `arn:aws:cloudformation:${this.env.region}:${this.env.account}:stack/${source.stackName}/${stableUuid(source.stackName)}`;
    const stack = this;
    this.ctx = {
      stackName: this.env.stackName,
      stackId: this.stackId,
      region: this.env.region,
      account: this.env.account,
      partition: this.env.partition,
      urlSuffix: this.env.urlSuffix,
      template: source.template,
      get parameters() {
        return stack.parameterValues();
      },
      ref: (logicalId) => this.ref(logicalId),
      getAtt: (logicalId, attribute) => this.getAtt(logicalId, attribute),
      importValue: (name) => this.app.importValue(name),
    };
  }

  get resources(): Record<string, Resource> {
    return this.source.template.Resources ?? {};
  }

  /** Resources CloudFormation would create (a false Condition leaves one out), of the given types. */
  created(types: ReadonlySet<string> | string): Array<[string, Resource]> {
    const wanted = typeof types === 'string' ? new Set([types]) : types;
    return Object.entries(this.resources).filter(([id, r]) => wanted.has(r.Type) && isResourceCreated(id, this.ctx));
  }

  resolve(value: unknown): unknown {
    return resolveValue(value, this.ctx);
  }

  /** The construct path of a resource (without its trailing `/Resource`), or `<stack>/<logicalId>`. */
  pathOf(logicalId: string): string {
    const cdkPath = this.resources[logicalId]?.Metadata?.['aws:cdk:path'] ?? this.app.constructPath(this.env.stackName, logicalId);
    return typeof cdkPath === 'string' ? cdkPath.replace(/\/(Resource|Default)$/, '') : `${this.env.stackName}/${logicalId}`;
  }

  physicalName(logicalId: string): string {
    const known = this.physicalNames.get(logicalId);
    if (known !== undefined) return known;
    const resource = this.resource(logicalId);
    if (this.resolving.has(logicalId)) {
      throw new UnresolvableError({ Ref: logicalId }, `the name of ${logicalId} refers to itself`);
    }
    this.resolving.add(logicalId);
    try {
      const nameProperty = explicitNameProperty(resource.Type);
      const explicit = nameProperty ? resource.Properties?.[nameProperty] : undefined;
      const unprefixed = explicit !== undefined
        ? resolveString(explicit, this.ctx)
        : defaultPhysicalName(this.env, logicalId, resource.Type, resource.Properties);
      const name = TABLE_TYPES.has(resource.Type) ? `${this.app.tableNamePrefix}${unprefixed}` : unprefixed;
      this.physicalNames.set(logicalId, name);
      return name;
    } finally {
      this.resolving.delete(logicalId);
    }
  }

  private resource(logicalId: string): Resource {
    const resource = this.resources[logicalId];
    if (!resource) throw new UnresolvableError({ Ref: logicalId }, `stack ${this.env.stackName} has no resource ${logicalId}`);
    if (!isResourceCreated(logicalId, this.ctx)) {
      throw new UnresolvableError({ Ref: logicalId }, `${logicalId} is not created (its condition ${resource.Condition} is false)`);
    }
    return resource;
  }

  private ref(logicalId: string): unknown {
    const resource = this.resource(logicalId);
    switch (resource.Type) {
      case 'AWS::CloudFormation::Stack':
        return this.app.nestedStack(this, logicalId).stackId;
      case 'AWS::Lambda::Alias':
        return `${this.functionArnOf(resource.Properties?.FunctionName)}:${resolveString(resource.Properties?.Name, this.ctx)}`;
      case 'AWS::Lambda::Version':
        return `${this.functionArnOf(resource.Properties?.FunctionName)}:1`;
      case 'AWS::SQS::Queue':
        return this.app.localQueueUrl(refValue(this.env, resource.Type, this.physicalName(logicalId)));
      default:
        return refValue(this.env, resource.Type, this.physicalName(logicalId));
    }
  }

  private getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.resource(logicalId);
    const expression = { 'Fn::GetAtt': [logicalId, attribute] };
    if (resource.Type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) {
      return this.app.nestedStack(this, logicalId).output(attribute.slice('Outputs.'.length));
    }
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') {
      throw new UnresolvableError(expression, `${logicalId} is a custom resource: its attributes exist only once it has run in AWS`);
    }
    if (resource.Type === 'AWS::Lambda::Alias' || resource.Type === 'AWS::Lambda::Version') {
      if (attribute === 'Arn' || attribute === 'AliasArn' || attribute === 'FunctionArn') return this.ref(logicalId);
    }
    const physicalName = this.physicalName(logicalId);
    const streamLabel = TABLE_TYPES.has(resource.Type) ? this.app.streamLabelOf(this.env, physicalName) : undefined;
    const known = attributeValue(this.env, resource.Type, physicalName, attribute, { streamLabel });
    const value = resource.Type === 'AWS::SQS::Queue' && attribute === 'QueueUrl' ? this.app.localQueueUrl(known) : known;
    if (value === undefined) {
      throw new UnresolvableError(expression, TABLE_TYPES.has(resource.Type) && attribute === 'StreamArn'
        ? `table ${logicalId} has no stream offline (its template enables none)`
        : `the ${attribute} attribute of a ${resource.Type} is not known offline`);
    }
    return value;
  }

  private functionArnOf(functionName: unknown): string {
    const name = resolveString(functionName, this.ctx);
    return name.startsWith('arn:') ? name : `arn:${this.env.partition}:lambda:${this.env.region}:${this.env.account}:function:${name}`;
  }

  output(name: string): unknown {
    const output = this.source.template.Outputs?.[name];
    if (!output) throw new UnresolvableError({ 'Fn::GetAtt': [this.source.parent?.logicalId ?? this.env.stackName, `Outputs.${name}`] }, `stack ${this.env.stackName} has no output ${name}`);
    return this.resolve(output.Value);
  }

  private parameterValues(): Record<string, unknown> | undefined {
    const parent = this.source.parent;
    if (!parent) return undefined;
    const parentStack = this.app.stackOf(parent.stack);
    const given = parentStack.resources[parent.logicalId]?.Properties?.Parameters ?? {};
    return Object.fromEntries(Object.entries(given).map(([name, value]) => [name, parentStack.resolve(value)]));
  }
}

/**
 * A whole CDK app, as the runner runs it: every table, bucket, function and event source mapping of every
 * stack (nested stacks and cross-stack references included), with the values CloudFormation would give
 * their references, using each stack's account and region.
 */
export class AppModel {
  static read(cdkOut: string, options: AppModelOptions = {}): AppModel {
    return new AppModel(readCloudAssembly(cdkOut), options);
  }

  private readonly stacks: AppStack[];
  private readonly byTemplate = new Map<StackTemplate, AppStack>();
  private readonly streamLabels = new Map<string, string>();
  private queueEndpoint?: string;
  private exportsByName?: Map<string, { stack: AppStack; value: unknown }>;
  private readonly importing = new Set<string>();

  private constructor(templates: StackTemplate[], private readonly options: AppModelOptions) {
    this.stacks = templates.map((t) => {
      const stack = new AppStack(t, this);
      this.byTemplate.set(t, stack);
      return stack;
    });
    for (const stack of this.stacks) {
      // Conditions are evaluated up front, so a condition that cannot be decided offline fails the start.
      for (const name of Object.keys(stack.source.template.Conditions ?? {})) {
        withContext(`condition ${name} of stack ${stack.env.stackName}`, () => evaluateCondition(name, stack.ctx));
      }
    }
  }

  /** The construct path of a resource given by `AppModelOptions.constructPaths`, if any. */
  constructPath(stackName: string, logicalId: string): string | undefined {
    return this.options.constructPaths?.get(`${stackName}/${logicalId}`);
  }

  /** What every table's name starts with (`AppModelOptions.tableNamePrefix`). */
  get tableNamePrefix(): string {
    return this.options.tableNamePrefix ?? '';
  }

  /** Every DynamoDB table of the app. Two tables with one name are refused (they would be one table offline). */
  tables(): TableDefinition[] {
    const tables: TableDefinition[] = [];
    for (const stack of this.stacks) {
      for (const [logicalId, resource] of stack.created(TABLE_TYPES)) {
        tables.push(withContext(`table ${stack.pathOf(logicalId)}`, () => readTable(stack, logicalId, resource, this.tableNamePrefix)));
      }
    }
    const byName = new Map<string, TableDefinition>();
    for (const table of tables) {
      const clash = byName.get(`${table.tableArn}`);
      if (clash) {
        throw new AssemblyError(`two tables are named ${table.tableName} in ${table.tableArn.split(':').slice(3, 5).join('/')}: ${clash.id} and ${table.id}; `
          + 'offline they would be one table. Give them different names (or leave TableName out).');
      }
      byName.set(table.tableArn, table);
    }
    return tables;
  }

  /** Every S3 bucket of the app. */
  buckets(): BucketDefinition[] {
    return this.stacks.flatMap((stack) => stack.created('AWS::S3::Bucket').map(([logicalId]) => {
      const bucketName = withContext(`bucket ${stack.pathOf(logicalId)}`, () => stack.physicalName(logicalId));
      return { id: stack.pathOf(logicalId), stackName: stack.env.stackName, logicalId, bucketName, bucketArn: `arn:${stack.env.partition}:s3:::${bucketName}` };
    }));
  }

  /**
   * Where queue URLs point offline. The SQS client sends a call to its QueueUrl's host, whatever its
   * endpoint: a queue URL on the AWS host would take the call off the machine.
   */
  setQueueEndpoint(endpoint: string): void {
    this.queueEndpoint = endpoint.replace(/\/$/, '');
  }

  /** @internal A queue's URL on the local endpoint (`<endpoint>/<account>/<name>`), when there is one. */
  localQueueUrl(value: unknown): unknown {
    if (!this.queueEndpoint || typeof value !== 'string') return value;
    return value.replace(/^https:\/\/sqs\.[^/]+\//, `${this.queueEndpoint}/`);
  }

  /** Tells the model a table's stream label once the table exists, so `Fn::GetAtt [T, StreamArn]` resolves. */
  setStreamLabel(tableArn: string, label: string): void {
    this.streamLabels.set(tableArn, label);
  }

  /**
   * Every event source mapping on a DynamoDB stream of the app, with its function (environment resolved)
   * and failure destination. Call once the tables exist (see setStreamLabel). Mappings whose source or
   * function is not part of the app are returned in `skipped`.
   */
  mappings(tables: readonly TableDefinition[]): { mappings: StreamMappingDefinition[]; skipped: SkippedMapping[] } {
    const mappings: StreamMappingDefinition[] = [];
    const skipped: SkippedMapping[] = [];
    const functions = new Map<string, FunctionDefinition>();
    for (const stack of this.stacks) {
      for (const [logicalId, resource] of stack.created('AWS::Lambda::EventSourceMapping')) {
        const mappingPath = stack.pathOf(logicalId);
        const p = resource.Properties ?? {};
        const sourceArn = withContext(`event source mapping ${mappingPath}: EventSourceArn`, () => resolveString(p.EventSourceArn, stack.ctx));
        if (!/^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\//.test(sourceArn)) {
          skipped.push({ id: mappingPath, reason: `its source ${sourceArn} is not a DynamoDB stream (only DynamoDB streams are run offline)` });
          continue;
        }
        const tableArn = sourceArn.replace(/\/stream\/.*$/, '');
        const table = tables.find((t) => t.tableArn === tableArn);
        if (!table) {
          skipped.push({ id: mappingPath, reason: `it reads the stream of ${tableArn}, a table that is not part of the app` });
          continue;
        }
        if (!table.streamViewType) {
          skipped.push({ id: mappingPath, reason: `it reads the stream of table ${table.id}, whose template enables no stream` });
          continue;
        }
        const functionRef = withContext(`event source mapping ${mappingPath}: FunctionName`, () => resolveString(p.FunctionName, stack.ctx));
        const target = this.findFunction(functionRef);
        if (!target) {
          skipped.push({ id: mappingPath, reason: `its function ${functionRef} is not part of the app` });
          continue;
        }
        const key = `${target.stack.env.stackName}/${target.logicalId}`;
        let handler = functions.get(key);
        try {
          handler ??= this.readFunction(target.stack, target.logicalId);
        } catch (e) {
          if (!(e instanceof UnsupportedFunctionError) || !this.options.skipUnsupportedFunctions) throw e;
          skipped.push({ id: mappingPath, reason: `its function ${e.functionId} runs on ${e.runtime} (only Node.js functions are run offline)` });
          continue;
        }
        functions.set(key, handler);
        mappings.push({
          id: mappingOwner(stack, logicalId),
          stackName: stack.env.stackName,
          region: stack.env.region,
          account: stack.env.account,
          table,
          handler,
          mapping: withContext(`event source mapping ${mappingPath}`, () => this.readMapping(stack, logicalId, p)),
          alarmMetrics: alarmsUnder(stack, mappingOwner(stack, logicalId)),
        });
      }
    }
    // Two mappings owned by one construct (a function with two event sources) get their own paths as ids.
    const counts = new Map<string, number>();
    for (const m of mappings) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
    return {
      mappings: mappings.map((m) => ((counts.get(m.id) ?? 0) > 1 ? { ...m, id: `${m.id}/${m.mapping.logicalId}` } : m)),
      skipped,
    };
  }

  /**
   * Reads every mapping and function as `mappings()` will, with a placeholder for the stream labels that
   * only the created tables have: what cannot run offline is refused before any engine starts.
   */
  preflight(tables: readonly TableDefinition[]): void {
    const placeholders = tables.filter((t) => t.streamViewType && !this.streamLabels.has(t.tableArn));
    for (const t of placeholders) this.streamLabels.set(t.tableArn, 'preflight');
    try {
      this.mappings(tables);
    } finally {
      for (const t of placeholders) this.streamLabels.delete(t.tableArn);
    }
  }

  /** @internal */
  streamLabelOf(env: StackEnvironment, tableName: string): string | undefined {
    return this.streamLabels.get(`arn:${env.partition}:dynamodb:${env.region}:${env.account}:table/${tableName}`);
  }

  /** @internal */
  stackOf(template: StackTemplate): AppStack {
    return this.byTemplate.get(template)!;
  }

  /** @internal */
  nestedStack(parent: AppStack, logicalId: string): AppStack {
    const nested = this.stacks.find((s) => s.source.parent?.stack === parent.source && s.source.parent.logicalId === logicalId);
    if (!nested) throw new UnresolvableError({ Ref: logicalId }, `nested stack ${logicalId} of ${parent.env.stackName} has no template in the assembly`);
    return nested;
  }

  /** @internal */
  importValue(exportName: string): unknown {
    if (!this.exportsByName) {
      this.exportsByName = new Map();
      for (const stack of this.stacks) {
        for (const [outputName, output] of Object.entries(stack.source.template.Outputs ?? {})) {
          if (output.Export?.Name === undefined) continue;
          const name = withContext(`the export name of output ${outputName} of stack ${stack.env.stackName}`, () => resolveString(output.Export!.Name, stack.ctx));
          this.exportsByName.set(name, { stack, value: output.Value });
        }
      }
    }
    const found = this.exportsByName.get(exportName);
    if (!found) throw new UnresolvableError({ 'Fn::ImportValue': exportName }, `no stack of the app exports ${exportName}`);
    if (this.importing.has(exportName)) throw new UnresolvableError({ 'Fn::ImportValue': exportName }, 'the export refers to itself');
    this.importing.add(exportName);
    try {
      return found.stack.resolve(found.value);
    } finally {
      this.importing.delete(exportName);
    }
  }

  private findFunction(reference: string): { stack: AppStack; logicalId: string } | undefined {
    // A name, an ARN, or an ARN with a version or alias qualifier.
    const name = reference.startsWith('arn:') ? reference.split(':')[6] : reference.split(':')[0];
    const arnPrefix = reference.startsWith('arn:') ? reference.split(':').slice(0, 7).join(':') : undefined;
    for (const stack of this.stacks) {
      for (const [logicalId] of stack.created('AWS::Lambda::Function')) {
        if (stack.physicalName(logicalId) !== name) continue;
        if (arnPrefix && arnPrefix !== `arn:${stack.env.partition}:lambda:${stack.env.region}:${stack.env.account}:function:${name}`) continue;
        return { stack, logicalId };
      }
    }
    return undefined;
  }

  private readFunction(stack: AppStack, logicalId: string): FunctionDefinition {
    const resource = stack.resources[logicalId];
    const p = resource.Properties ?? {};
    const id = stack.pathOf(logicalId);
    const functionName = stack.physicalName(logicalId);
    const runtime = typeof p.Runtime === 'string' ? p.Runtime : p.PackageType === 'Image' ? 'a container image' : String(p.Runtime);
    const fail = (message: string): never => {
      throw new AssemblyError(`function ${id} (stack ${stack.env.stackName}): ${message}`);
    };
    if (!runtime.startsWith('nodejs')) {
      throw new UnsupportedFunctionError(id, runtime);
    }

    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries<unknown>(p.Environment?.Variables ?? {})) {
      const override = this.override(stack, logicalId, id, name);
      if (override !== undefined) {
        environment[name] = override;
        continue;
      }
      try {
        // Lambda takes a number or a boolean as its text, as CloudFormation passes it.
        const resolved = stack.resolve(value);
        environment[name] = typeof resolved === 'number' || typeof resolved === 'boolean' ? String(resolved) : resolveString(resolved, stack.ctx);
      } catch (e) {
        if (!(e instanceof UnresolvableError)) throw e;
        throw new UnresolvedEnvironmentError(stack.env.stackName, id, name, e);
      }
    }

    let assetPath: string | undefined;
    let inlineCode: string | undefined;
    if (p.Code?.ZipFile !== undefined) {
      inlineCode = withContext(`function ${id}: inline code`, () => resolveString(p.Code.ZipFile, stack.ctx));
    } else {
      const dir = assetDirectory(stack, resource, p.Code?.S3Key);
      if (!dir) fail('its code is not an asset of the assembly (code in an S3 bucket outside the app is not run offline)');
      if (!existsSync(dir!) || !statSync(dir!).isDirectory()) fail(`its code asset folder ${dir} is missing: run \`cdk synth\` again`);
      assetPath = dir;
    }

    const layerModuleDirs: string[] = [];
    for (const layer of p.Layers ?? []) {
      const layerId = typeof layer?.Ref === 'string' ? layer.Ref : undefined;
      const layerResource = layerId ? stack.resources[layerId] : undefined;
      if (!layerId || layerResource?.Type !== 'AWS::Lambda::LayerVersion') continue; // a layer outside the app: nothing to add
      const dir = assetDirectory(stack, layerResource, layerResource.Properties?.Content?.S3Key);
      if (dir) layerModuleDirs.push(path.join(dir, 'nodejs', 'node_modules'));
    }

    return {
      id,
      stackName: stack.env.stackName,
      logicalId,
      functionName,
      functionArn: `arn:${stack.env.partition}:lambda:${stack.env.region}:${stack.env.account}:function:${functionName}`,
      region: stack.env.region,
      account: stack.env.account,
      handler: typeof p.Handler === 'string' ? p.Handler : 'index.handler',
      runtime,
      timeoutSeconds: numberOr(stack.resolve(p.Timeout), 3),
      memorySize: numberOr(stack.resolve(p.MemorySize), 128),
      environment,
      assetPath,
      inlineCode,
      layerModuleDirs,
    };
  }

  private override(stack: AppStack, logicalId: string, id: string, variable: string): string | undefined {
    const overrides = this.options.environmentOverrides ?? {};
    return overrides[`${id}.${variable}`] ?? overrides[`${stack.env.stackName}/${logicalId}.${variable}`];
  }

  private readMapping(stack: AppStack, logicalId: string, p: any): MappingDefinition {
    const value = (v: unknown) => stack.resolve(v);
    let onFailure: FailureDestinationDefinition | undefined;
    const destination = p.DestinationConfig?.OnFailure?.Destination;
    if (destination !== undefined) {
      const arn = resolveString(destination, stack.ctx);
      onFailure = this.failureDestination(arn);
    }
    const filters = (value(p.FilterCriteria?.Filters) ?? []) as Array<{ Pattern?: unknown }>;
    return {
      logicalId,
      startingPosition: String(value(p.StartingPosition) ?? 'TRIM_HORIZON'),
      batchSize: numberOr(value(p.BatchSize), 100),
      maxBatchingWindowSeconds: numberOr(value(p.MaximumBatchingWindowInSeconds), 0),
      maximumRetryAttempts: numberOr(value(p.MaximumRetryAttempts), -1),
      maximumRecordAgeSeconds: numberOr(value(p.MaximumRecordAgeInSeconds), -1),
      bisectBatchOnFunctionError: value(p.BisectBatchOnFunctionError) === true || value(p.BisectBatchOnFunctionError) === 'true',
      parallelizationFactor: numberOr(value(p.ParallelizationFactor), 1),
      tumblingWindowSeconds: numberOr(value(p.TumblingWindowInSeconds), 0),
      reportBatchItemFailures: ((value(p.FunctionResponseTypes) ?? []) as unknown[]).includes('ReportBatchItemFailures'),
      enabled: value(p.Enabled) !== false && value(p.Enabled) !== 'false',
      filterPatterns: filters.map((f, i) => {
        try {
          return JSON.parse(String(f.Pattern));
        } catch (e) {
          throw new AssemblyError(`filter ${i + 1} is not JSON (${(e as Error).message}): ${String(f.Pattern)}`);
        }
      }),
      onFailure,
    };
  }

  private failureDestination(arn: string): FailureDestinationDefinition {
    for (const stack of this.stacks) {
      for (const [logicalId, resource] of stack.created(new Set(['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::SNS::Topic']))) {
        const name = stack.physicalName(logicalId);
        const candidate = resource.Type === 'AWS::S3::Bucket' ? `arn:${stack.env.partition}:s3:::${name}`
          : `arn:${stack.env.partition}:${resource.Type === 'AWS::SQS::Queue' ? 'sqs' : 'sns'}:${stack.env.region}:${stack.env.account}:${name}`;
        if (candidate !== arn) continue;
        const kind = resource.Type === 'AWS::S3::Bucket' ? 's3' : resource.Type === 'AWS::SQS::Queue' ? 'sqs' : 'sns';
        return { kind, logicalId, arn, bucketName: kind === 's3' ? name : undefined };
      }
    }
    // A destination outside the app: written locally all the same, named after the ARN's last part.
    const kind = arn.startsWith('arn:aws:s3:') ? 's3' : arn.includes(':sqs:') ? 'sqs' : 'sns';
    const last = arn.split(':').pop() ?? 'destination';
    return { kind, logicalId: last.replace(/[^A-Za-z0-9_.-]/g, '-'), arn, bucketName: kind === 's3' ? last : undefined };
  }
}

/** A function the runner cannot host (not Node.js). */
export class UnsupportedFunctionError extends AssemblyError {
  constructor(readonly functionId: string, readonly runtime: string) {
    super(`function ${functionId} runs on ${runtime}; the local runner runs Node.js functions only (nodejs18.x and later). `
      + 'Start with --skip-unsupported (skipUnsupportedFunctions: true) to run the rest of the app without its mappings.');
    this.name = 'UnsupportedFunctionError';
  }
}

/** A function's environment variable that has no offline value: says where, what, and how to give one. */
export class UnresolvedEnvironmentError extends AssemblyError {
  constructor(readonly stackName: string, readonly functionId: string, readonly variable: string, cause: UnresolvableError) {
    super(`stack ${stackName}, function ${functionId}: environment variable ${variable} = ${JSON.stringify(cause.expression)} `
      + `cannot be resolved offline (${cause.reason}). Give it a value: --env ${functionId}.${variable}=<value> on the command line, `
      + `or environment: { '${functionId}.${variable}': '<value>' } in LocalRunner.start.`);
    this.name = 'UnresolvedEnvironmentError';
  }
}

function readTable(stack: AppStack, logicalId: string, resource: Resource, prefix: string): TableDefinition {
  const p = resource.Properties ?? {};
  const keySchema = stack.resolve(p.KeySchema) as Array<{ AttributeName: string; KeyType: string }> | undefined;
  const definitions = (stack.resolve(p.AttributeDefinitions) ?? []) as Array<{ AttributeName: string; AttributeType: string }>;
  const types = new Map(definitions.map((d) => [d.AttributeName, d.AttributeType as KeyAttribute['type']]));
  const key = (schema: typeof keySchema, kind: string): KeyAttribute | undefined => {
    const k = (schema ?? []).find((s) => s.KeyType === kind);
    if (!k) return undefined;
    const type = types.get(k.AttributeName);
    if (!type) throw new AssemblyError(`key attribute ${k.AttributeName} has no AttributeDefinition`);
    return { name: k.AttributeName, type };
  };
  const partitionKey = key(keySchema, 'HASH');
  if (!partitionKey) throw new AssemblyError('the template gives it no partition key (KeySchema HASH)');
  const indexes = (list: unknown): SecondaryIndexDefinition[] => ((stack.resolve(list) ?? []) as any[]).map((index) => ({
    indexName: index.IndexName,
    partitionKey: key(index.KeySchema, 'HASH')!,
    sortKey: key(index.KeySchema, 'RANGE'),
    projectionType: index.Projection?.ProjectionType ?? 'ALL',
    nonKeyAttributes: index.Projection?.NonKeyAttributes,
  }));
  const stream = stack.resolve(p.StreamSpecification) as { StreamViewType?: string; StreamEnabled?: boolean } | undefined;
  const ttl = stack.resolve(p.TimeToLiveSpecification) as { AttributeName?: string; Enabled?: boolean } | undefined;
  const tableName = stack.physicalName(logicalId);
  const id = stack.pathOf(logicalId);
  const owner = id.endsWith('/Table') ? id.slice(0, -'/Table'.length) : undefined;
  // The name as deployed is an alias too when a prefix keeps runs apart.
  const unprefixed = tableName.startsWith(prefix) ? tableName.slice(prefix.length) : tableName;
  return {
    id,
    aliases: [...new Set([...(owner ? [owner] : []), logicalId, tableName, unprefixed])],
    stackName: stack.env.stackName,
    logicalId,
    tableName,
    tableArn: `arn:${stack.env.partition}:dynamodb:${stack.env.region}:${stack.env.account}:table/${tableName}`,
    partitionKey,
    sortKey: key(keySchema, 'RANGE'),
    globalSecondaryIndexes: indexes(p.GlobalSecondaryIndexes),
    localSecondaryIndexes: indexes(p.LocalSecondaryIndexes),
    streamViewType: stream?.StreamViewType && stream.StreamEnabled !== false ? stream.StreamViewType : undefined,
    timeToLiveAttribute: ttl?.Enabled && ttl.AttributeName ? ttl.AttributeName : undefined,
  };
}

/** The asset folder of a function's code or a layer's content: from the CLI's metadata, else from the S3 key `<hash>.zip`. */
function assetDirectory(stack: AppStack, resource: Resource, s3Key: unknown): string | undefined {
  const fromMetadata = resource.Metadata?.['aws:asset:path'];
  if (typeof fromMetadata === 'string') return path.resolve(stack.source.assemblyDir, fromMetadata);
  let key: string | undefined;
  try {
    key = s3Key === undefined ? undefined : resolveString(s3Key, stack.ctx);
  } catch {
    key = undefined;
  }
  const hash = /([0-9a-f]{64})\.zip$/.exec(key ?? '')?.[1];
  return hash ? path.join(stack.source.assemblyDir, `asset.${hash}`) : undefined;
}

/** The construct that owns a mapping: the mapping's path less `EventSourceMapping` (or the event source's id). */
function mappingOwner(stack: AppStack, logicalId: string): string {
  const cdkPath = stack.resources[logicalId]?.Metadata?.['aws:cdk:path'];
  if (typeof cdkPath === 'string') return cdkPath.split('/').slice(0, -2).join('/');
  return `${stack.env.stackName}/${logicalId.replace(/EventSourceMapping[0-9A-F]{8}$/, '')}`;
}

function alarmsUnder(stack: AppStack, owner: string): string[] {
  return stack.created('AWS::CloudWatch::Alarm')
    .filter(([alarmId]) => stack.pathOf(alarmId).startsWith(`${owner}/`))
    .map(([, alarm]) => alarm.Properties?.MetricName ?? 'DroppedEventCount+DestinationDeliveryFailures');
}

function numberOr(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : fallback;
}

/** Runs `f`, prefixing an error that does not say where it happened with `where`. */
function withContext<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UnresolvedEnvironmentError || e instanceof UnsupportedFunctionError) throw e;
    if (e instanceof UnresolvableError || e instanceof AssemblyError) throw new AssemblyError(`${where}: ${e.message}`);
    throw e;
  }
}

/** A UUID-shaped id derived from a name, so stack ids are the same on every run. */
export function stableUuid(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
