import { App, CfnElement, Annotations as CoreAnnotations, Duration, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import {
  ChangeEventName, FailureDestination, IStreamConsumer, StreamConsumer, StreamFilter, StreamHandler, StreamTriggeredTable,
} from '../src';
import { newStack, PK } from './helpers';

/** Failure records go only to a bucket of the stack's own account (bucket names can be taken over). */
const OWN_ACCOUNT = { StringEquals: { 's3:ResourceAccount': '123456789012' } };

const STREAM_WARNING = 'cdk-stream-triggered-table:moreThanTwoConsumers';

/** A function of the user's, as a projection or notification would be. */
const userFunction = (stack: Stack, id: string) => new lambda.Function(stack, id, {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
});

/** Resources of a type, by logical id. */
const resources = (template: Template, type: string): Record<string, any> => template.findResources(type);

/** The logical id of a construct's CloudFormation resource. */
const logicalId = (construct: IConstruct) => Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

describe('a table with a second consumer', () => {
  const stack = newStack();
  const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
  const projection = orders.addConsumer('Projection', {
    handler: StreamHandler.bundled({ logImages: false }),
    filters: [StreamFilter.eventName([ChangeEventName.INSERT, ChangeEventName.MODIFY])],
  });
  const template = Template.fromStack(stack);
  const tableId = template.getResourceId('AWS::DynamoDB::GlobalTable');
  const streamArn = { 'Fn::GetAtt': [tableId, 'StreamArn'] };

  test('adds a whole second consumer: function, log group, role, mapping, failure bucket, five alarms', () => {
    const counts = Object.values(template.toJSON().Resources as Record<string, { Type: string }>)
      .reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.Type]: (acc[r.Type] ?? 0) + 1 }), {});
    expect(counts).toEqual({
      'AWS::DynamoDB::GlobalTable': 1,
      'AWS::Logs::LogGroup': 2,
      'AWS::IAM::Role': 2,
      'AWS::IAM::Policy': 2,
      'AWS::Lambda::Function': 2,
      'AWS::S3::Bucket': 2,
      'AWS::S3::BucketPolicy': 2,
      'AWS::Lambda::EventSourceMapping': 2,
      'AWS::CloudWatch::Alarm': 10,
      // The saved change-log queries (free, on by default).
      'AWS::Logs::QueryDefinition': 8,
    });
  });

  test('the first consumer stays where it was; the added one lives under its id, with the same child ids', () => {
    expect(orders.handlerFunction.node.path).toBe('TestStack/Orders/Handler');
    expect(orders.eventSourceMapping.node.path).toBe('TestStack/Orders/EventSourceMapping');
    expect(projection.node.path).toBe('TestStack/Orders/Projection');
    expect(projection.handlerFunction.node.path).toBe('TestStack/Orders/Projection/Handler');
    expect(projection.logGroup?.node.path).toBe('TestStack/Orders/Projection/HandlerLogGroup');
    expect(projection.handlerFunction.role?.node.path).toBe('TestStack/Orders/Projection/HandlerRole');
    expect(projection.eventSourceMapping.node.path).toBe('TestStack/Orders/Projection/EventSourceMapping');
    expect(projection.failureBucket?.node.path).toBe('TestStack/Orders/Projection/FailureBucket');
    expect(projection.alarms.map((a) => a.node.path)).toEqual([
      'IteratorAgeAlarm', 'ErrorsAlarm', 'ThrottlesAlarm', 'FailureDestinationAlarm', 'DroppedRecordsAlarm',
    ].map((id) => `TestStack/Orders/Projection/${id}`));
    expect([projection.iteratorAgeAlarm, projection.errorsAlarm, projection.throttlesAlarm,
      projection.failureDestinationAlarm, projection.droppedRecordsAlarm]).toEqual(projection.alarms);
  });

  test('the table lists its added consumers, and each knows its table', () => {
    expect(orders.consumers).toEqual([projection]);
    expect(projection).toBeInstanceOf(StreamConsumer);
    expect(projection.table).toBe(orders);
    // The table's first consumer and an added one answer the same questions.
    const all: IStreamConsumer[] = [orders, ...orders.consumers];
    expect(all.map((c) => c.alarms.length)).toEqual([5, 5]);
  });

  test('the added mapping reads the same stream, with the same safe defaults and its own options', () => {
    const mapping = resources(template, 'AWS::Lambda::EventSourceMapping')[logicalId(projection.eventSourceMapping)];
    expect(mapping.Properties).toEqual({
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(projection.failureBucket!), 'Arn'] } } },
      Enabled: true,
      EventSourceArn: streamArn,
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT","MODIFY"]}' }] },
      FunctionName: { Ref: logicalId(projection.handlerFunction) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRecordAgeInSeconds: 21600,
      MaximumRetryAttempts: 10,
      MetricsConfig: { Metrics: ['EventCount'] },
      StartingPosition: 'TRIM_HORIZON',
    });
    expect(mapping.DependsOn).toEqual(expect.arrayContaining([logicalId(projection.handlerFunction.role!)]));
  });

  test('each role may write its own log group, read this stream and write its own failure bucket; nothing else', () => {
    const policies = resources(template, 'AWS::IAM::Policy');
    for (const consumer of [orders, projection] as IStreamConsumer[]) {
      const role = logicalId(consumer.handlerFunction.role!);
      const bucket = logicalId(consumer.failureBucket!);
      const [policy] = Object.values(policies).filter((p: any) => p.Properties.Roles[0].Ref === role);
      expect(policy.Properties.Roles).toEqual([{ Ref: role }]);
      expect(policy.Properties.PolicyDocument.Statement).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalId(consumer.logGroup!), 'Arn'] },
        },
        { Action: 'dynamodb:ListStreams', Effect: 'Allow', Resource: streamArn },
        { Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Effect: 'Allow', Resource: streamArn },
        { Action: 's3:ListBucket', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] }, Condition: OWN_ACCOUNT },
        { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/aws/lambda/*']] }, Condition: OWN_ACCOUNT },
      ]);
    }
  });

  test('a bundled consumer logs to its own log group, with retention, and takes its own handler options', () => {
    const fn = resources(template, 'AWS::Lambda::Function')[logicalId(projection.handlerFunction)];
    expect(fn.Properties.LoggingConfig).toEqual({
      LogFormat: 'JSON', ApplicationLogLevel: 'INFO', LogGroup: { Ref: logicalId(projection.logGroup!) },
    });
    expect(fn.Properties.Environment.Variables.CHANGE_LOG_IMAGES).toBe('false');
    expect(projection.logGroup).not.toBe(orders.logGroup);
    const group = resources(template, 'AWS::Logs::LogGroup')[logicalId(projection.logGroup!)];
    expect(group.Properties).toEqual({ RetentionInDays: 90 });
    expect(group.DeletionPolicy).toBe('Retain');
  });

  test('its alarms and metric helpers read its own function and mapping', () => {
    const fnRef = { Ref: logicalId(projection.handlerFunction) };
    const mappingRef = { Ref: logicalId(projection.eventSourceMapping) };
    const alarms = resources(template, 'AWS::CloudWatch::Alarm');
    const alarm = (a: IConstruct) => alarms[logicalId(a)].Properties;
    expect(alarm(projection.iteratorAgeAlarm!)).toMatchObject({ MetricName: 'IteratorAge', Threshold: 300000, Dimensions: [{ Name: 'FunctionName', Value: fnRef }] });
    expect(alarm(projection.errorsAlarm!)).toMatchObject({ MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: fnRef }] });
    expect(alarm(projection.throttlesAlarm!)).toMatchObject({ MetricName: 'Throttles', EvaluationPeriods: 3 });
    expect(alarm(projection.failureDestinationAlarm!)).toMatchObject({
      MetricName: 'OnFailureDestinationDeliveredEventCount', Dimensions: [{ Name: 'EventSourceMappingUUID', Value: mappingRef }],
    });
    expect(JSON.stringify(alarm(projection.droppedRecordsAlarm!).Metrics)).toContain(JSON.stringify(mappingRef));

    const resolve = (x: unknown) => stack.resolve(x);
    expect(resolve(projection.metricIteratorAge().dimensions)).toEqual({ FunctionName: fnRef });
    expect(projection.metricIteratorAge().statistic).toBe('Maximum');
    expect(resolve(projection.metricErrors().dimensions)).toEqual({ FunctionName: fnRef });
    expect(resolve(projection.metricThrottles().dimensions)).toEqual({ FunctionName: fnRef });
    expect(resolve(projection.metricDestinationDeliveryFailures().dimensions)).toEqual({ FunctionName: fnRef });
    for (const [metric, name] of [
      [projection.metricFailureDestinationDelivered(), 'OnFailureDestinationDeliveredEventCount'],
      [projection.metricDroppedEvents(), 'DroppedEventCount'],
      [projection.metricFilteredOutEvents(), 'FilteredOutEventCount'],
      [projection.metricPolledEvents(), 'PolledEventCount'],
    ] as const) {
      expect(metric.metricName).toBe(name);
      expect(resolve(metric.dimensions)).toEqual({ EventSourceMappingUUID: mappingRef });
    }
    expect(projection.metricDroppedOrLost().expression).toBe('FILL(dropped, 0) + FILL(undelivered, 0)');
  });

  test('logical ids are stable between synths', () => {
    const again = newStack();
    new StreamTriggeredTable(again, 'Orders', { partitionKey: PK }).addConsumer('Projection', {
      handler: StreamHandler.bundled({ logImages: false }),
      filters: [StreamFilter.eventName([ChangeEventName.INSERT, ChangeEventName.MODIFY])],
    });
    expect(Object.keys(Template.fromStack(again).toJSON().Resources)).toEqual(Object.keys(template.toJSON().Resources));
  });
});

describe('consumer options', () => {
  test('every mapping option reaches the added mapping and leaves the first one alone', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    const projection = orders.addConsumer('Projection', {
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 5000,
      maxBatchingWindow: Duration.seconds(10),
      parallelizationFactor: 4,
      retryAttempts: 3,
      maxRecordAge: Duration.hours(1),
      bisectBatchOnError: false,
      reportBatchItemFailures: false,
      tumblingWindow: Duration.seconds(60),
      filters: [StreamFilter.eventName([ChangeEventName.REMOVE])],
      filterEncryption: new kms.Key(stack, 'FilterKey'),
      enabled: false,
      mappingMetrics: false,
      failureDestinationAlarm: { enabled: false },
      droppedRecordsAlarm: { enabled: false },
    });
    const template = Template.fromStack(stack);
    const mappings = resources(template, 'AWS::Lambda::EventSourceMapping');
    const added = mappings[logicalId(projection.eventSourceMapping)].Properties;
    expect(added).toMatchObject({
      StartingPosition: 'LATEST',
      BatchSize: 5000,
      MaximumBatchingWindowInSeconds: 10,
      ParallelizationFactor: 4,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: false,
      TumblingWindowInSeconds: 60,
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["REMOVE"]}' }] },
      KmsKeyArn: { 'Fn::GetAtt': [template.getResourceId('AWS::KMS::Key'), 'Arn'] },
      Enabled: false,
    });
    expect(added.FunctionResponseTypes).toBeUndefined();
    expect(added.MetricsConfig).toBeUndefined();
    expect(projection.alarms).toHaveLength(3);
    expect(mappings[logicalId(orders.eventSourceMapping)].Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON', BatchSize: 100, MaximumRetryAttempts: 10, MetricsConfig: { Metrics: ['EventCount'] },
    });
    expect(orders.alarms).toHaveLength(5);
  });

  test('a function of your own: no log group created; its role gets this stream and the failure bucket', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    const projector = userFunction(stack, 'Projector');
    const projection = orders.addConsumer('Projection', { handler: StreamHandler.fromFunction(projector) });
    const template = Template.fromStack(stack);
    expect(projection.handlerFunction).toBe(projector);
    expect(projection.logGroup).toBeUndefined();
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    const streamArn = { 'Fn::GetAtt': [template.getResourceId('AWS::DynamoDB::GlobalTable'), 'StreamArn'] };
    const policy = resources(template, 'AWS::IAM::Policy')[logicalId(projector.role!.node.findChild('DefaultPolicy'))];
    expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      { Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Effect: 'Allow', Resource: streamArn },
      { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(projection.failureBucket!), 'Arn'] }, '/aws/lambda/*']] }, Condition: OWN_ACCOUNT },
    ]));
  });

  test('a shared failure destination: the first consumer\'s bucket, written by both, under their own mapping ids', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    const projection = orders.addConsumer('Projection', { failureDestination: FailureDestination.bucket(orders.failureBucket!) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    expect(projection.failureBucket).toBeUndefined();
    const bucketArn = { 'Fn::GetAtt': [logicalId(orders.failureBucket!), 'Arn'] };
    expect(resources(template, 'AWS::Lambda::EventSourceMapping')[logicalId(projection.eventSourceMapping)].Properties.DestinationConfig)
      .toEqual({ OnFailure: { Destination: bucketArn } });
    const policy = resources(template, 'AWS::IAM::Policy')[logicalId(projection.handlerFunction.role!.node.findChild('DefaultPolicy'))];
    expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: bucketArn, Condition: OWN_ACCOUNT },
      { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [bucketArn, '/aws/lambda/*']] }, Condition: OWN_ACCOUNT },
    ]));
    // The failure-destination alarm of each consumer still counts only its own mapping's records.
    expect(projection.failureDestinationAlarm).toBeDefined();
  });

  test('alarm actions and overrides are the consumer\'s own', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    const projection = orders.addConsumer('Projection', {
      alarmActions: [new cwActions.SnsAction(new sns.Topic(stack, 'Oncall'))],
      errorsAlarm: { threshold: 10 },
      throttlesAlarm: { enabled: false },
    });
    const template = Template.fromStack(stack);
    const alarms = resources(template, 'AWS::CloudWatch::Alarm');
    for (const alarm of projection.alarms) expect(alarms[logicalId(alarm)].Properties.AlarmActions).toEqual([{ Ref: template.getResourceId('AWS::SNS::Topic') }]);
    for (const alarm of orders.alarms) expect(alarms[logicalId(alarm)].Properties.AlarmActions).toBeUndefined();
    expect(alarms[logicalId(projection.errorsAlarm!)].Properties.Threshold).toBe(10);
    expect(alarms[logicalId(orders.errorsAlarm!)].Properties.Threshold).toBe(1);
    expect(projection.throttlesAlarm).toBeUndefined();
    expect(projection.alarms).toHaveLength(4);
  });

  test('createAlarms false turns off the consumer\'s alarms only', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    expect(orders.addConsumer('Projection', { createAlarms: false }).alarms).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  test('its log group and failure bucket follow the table\'s removal policy', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK, removalPolicy: RemovalPolicy.DESTROY });
    const projection = orders.addConsumer('Projection');
    const template = Template.fromStack(stack);
    expect(resources(template, 'AWS::Logs::LogGroup')[logicalId(projection.logGroup!)].DeletionPolicy).toBe('Delete');
    expect(resources(template, 'AWS::S3::Bucket')[logicalId(projection.failureBucket!)].DeletionPolicy).toBe('Delete');
  });

  test('a customer-key table lets the added consumer decrypt its stream too', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'TableKey');
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK, encryption: dynamodb.TableEncryptionV2.customerManagedKey(key) });
    const projection = orders.addConsumer('Projection');
    const template = Template.fromStack(stack);
    const policy = resources(template, 'AWS::IAM::Policy')[logicalId(projection.handlerFunction.role!.node.findChild('DefaultPolicy'))];
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
      Action: ['kms:Decrypt', 'kms:DescribeKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(key), 'Arn'] },
    });
  });

  test('an existing table: the consumer reads the existing stream', () => {
    const stack = newStack();
    const streamArn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing/stream/2026-01-01T00:00:00.000';
    const table = dynamodb.Table.fromTableAttributes(stack, 'Existing', { tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing', tableStreamArn: streamArn });
    const orders = new StreamTriggeredTable(stack, 'Orders', { existingTable: table });
    const projection = orders.addConsumer('Projection', { handler: StreamHandler.fromFunction(userFunction(stack, 'Projector')) });
    const template = Template.fromStack(stack);
    expect(resources(template, 'AWS::Lambda::EventSourceMapping')[logicalId(projection.eventSourceMapping)].Properties.EventSourceArn).toBe(streamArn);
    expect(resources(template, 'AWS::S3::Bucket')[logicalId(projection.failureBucket!)].DeletionPolicy).toBe('Retain');
  });

  test('a StreamConsumer can also be created directly, in another scope, and is listed by its table', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    const audit = new StreamConsumer(stack, 'Audit', { table: orders, batchSize: 20 });
    expect(orders.consumers).toEqual([audit]);
    expect(audit.eventSourceMapping.node.path).toBe('TestStack/Audit/EventSourceMapping');
    const template = Template.fromStack(stack);
    expect(resources(template, 'AWS::Lambda::EventSourceMapping')[logicalId(audit.eventSourceMapping)].Properties).toMatchObject({
      BatchSize: 20, EventSourceArn: { 'Fn::GetAtt': [template.getResourceId('AWS::DynamoDB::GlobalTable'), 'StreamArn'] },
    });
  });
});

describe('more than two consumers on one stream', () => {
  const warningsOn = (stack: Stack, path: string) => Annotations.fromStack(stack).findWarning(path, Match.anyValue())
    .map((w) => w.entry.data as string);
  const streamWarnings = (stack: Stack) => warningsOn(stack, '*').filter((w) => w.includes(STREAM_WARNING));

  test('two consumers: no warning', () => {
    const stack = newStack();
    new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK }).addConsumer('Projection');
    expect(streamWarnings(stack)).toEqual([]);
  });

  test('three, two of ours and a DynamoEventSource wired by hand: a warning on the table, with the reason and the way out', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    orders.addConsumer('Projection', { handler: StreamHandler.fromFunction(userFunction(stack, 'Projector')) });
    userFunction(stack, 'Notifier').addEventSource(new DynamoEventSource(orders.table, { startingPosition: lambda.StartingPosition.LATEST }));
    expect(warningsOn(stack, '/TestStack/Orders')).toEqual([
      '3 event source mappings read this table\'s stream (TestStack/Orders/EventSourceMapping, '
      + 'TestStack/Orders/Projection/EventSourceMapping, TestStack/Notifier/DynamoDBEventSource:TestStackOrdersTable4225C1F1): '
      + 'DynamoDB Streams throttles a shard read by more than two processes at once, so its consumers fall behind '
      + '(IteratorAge grows) and records can reach maxRecordAge unprocessed. Keep at most two: fan out through one '
      + 'consumer (its function calls or publishes to the others), or stream the table\'s changes to Kinesis Data '
      + 'Streams for DynamoDB, whose shards serve more readers. [ack: cdk-stream-triggered-table:moreThanTwoConsumers]',
    ]);
    expect(streamWarnings(stack)).toHaveLength(1);
  });

  test('three of ours: the same warning', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    orders.addConsumer('Projection');
    orders.addConsumer('Notification');
    expect(warningsOn(stack, '/TestStack/Orders')).toEqual([expect.stringMatching(/^3 event source mappings read this table's stream \(/)]);
  });

  test('a mapping in another stack of the app counts (its reference resolves to the same stream)', () => {
    const app = new App();
    const env = { account: '123456789012', region: 'eu-west-1' };
    const stack = new Stack(app, 'TestStack', { env });
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    orders.addConsumer('Projection');
    const other = new Stack(app, 'Notifications', { env });
    userFunction(other, 'Notifier').addEventSource(new DynamoEventSource(orders.table, { startingPosition: lambda.StartingPosition.LATEST }));
    expect(warningsOn(stack, '/TestStack/Orders')).toEqual([
      expect.stringContaining('(TestStack/Orders/EventSourceMapping, TestStack/Orders/Projection/EventSourceMapping, '
        + 'Notifications/Notifier/DynamoDBEventSource:TestStackOrdersTable4225C1F1)'),
    ]);
  });

  test('an L1 mapping on an existing table\'s stream ARN counts; mappings on other streams do not', () => {
    const stack = newStack();
    const streamArn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing/stream/x';
    const table = dynamodb.Table.fromTableAttributes(stack, 'Existing', { tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing', tableStreamArn: streamArn });
    const orders = new StreamTriggeredTable(stack, 'Orders', { existingTable: table });
    orders.addConsumer('Projection');
    new StreamTriggeredTable(stack, 'Payments', { partitionKey: PK }).addConsumer('Ledger');
    const raw = (id: string, arn: string) => new lambda.CfnEventSourceMapping(stack, id, {
      functionName: userFunction(stack, `${id}Fn`).functionName, eventSourceArn: arn, startingPosition: 'LATEST',
    });
    raw('OtherStream', 'arn:aws:dynamodb:eu-west-1:123456789012:table/other/stream/y');
    expect(streamWarnings(stack)).toEqual([]);
    raw('ByHand', streamArn);
    expect(warningsOn(stack, '/TestStack/Orders')).toEqual([expect.stringContaining(', TestStack/ByHand): ')]);
    expect(warningsOn(stack, '/TestStack/Payments')).toEqual([]);
  });

  test('tables of the same id in two stacks are told apart (their logical ids are the same)', () => {
    const app = new App();
    for (const name of ['Blue', 'Green']) {
      const stack = new Stack(app, name, { env: { account: '123456789012', region: 'eu-west-1' } });
      new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK }).addConsumer('Projection');
    }
    for (const name of ['Blue', 'Green']) expect(streamWarnings(app.node.findChild(name) as Stack)).toEqual([]);
  });

  test('a table in a stage is counted within its stage', () => {
    const app = new App();
    const stage = new Stage(app, 'Prod');
    const stack = new Stack(stage, 'Service', { env: { account: '123456789012', region: 'eu-west-1' } });
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    orders.addConsumer('Projection');
    orders.addConsumer('Notification');
    expect(warningsOn(stack, '/Prod/Service/Orders')).toEqual([expect.stringMatching(/^3 event source mappings read this table's stream/)]);
  });

  // aws-cdk-lib matches an acknowledgement against the scopes above a warning's construct, not the construct
  // itself, and this warning is added at synth: acknowledge it on the stack (or any scope above the table).
  test('the warning can be acknowledged on the stack', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    orders.addConsumer('Projection');
    orders.addConsumer('Notification');
    CoreAnnotations.of(stack).acknowledgeWarning(STREAM_WARNING, 'Notification is low volume');
    expect(streamWarnings(stack)).toEqual([]);
  });
});
