import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  AttributeCondition, ChangeEventName, FailureDestination, HandlerLogLevel, StreamFilter, StreamHandler, StreamTriggeredTable,
} from '../src';
import { newStack, onlyResource, PK, synth } from './helpers';

describe('table options', () => {
  test('sort key, name, provisioned billing, customer key, no PITR, deletion protection, destroy, TTL, view type', () => {
    const { template } = synth({ partitionKey: PK }, (stack) => ({
      sortKey: { name: 'sk', type: dynamodb.AttributeType.NUMBER },
      tableName: 'orders',
      billing: dynamodb.Billing.provisioned({
        readCapacity: dynamodb.Capacity.fixed(5), writeCapacity: dynamodb.Capacity.autoscaled({ maxCapacity: 10 }),
      }),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(new kms.Key(stack, 'TableKey')),
      pointInTimeRecovery: false,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.DESTROY,
      timeToLiveAttribute: 'expiresAt',
      streamViewType: dynamodb.StreamViewType.KEYS_ONLY,
    }));
    const table = onlyResource(template, 'AWS::DynamoDB::GlobalTable');
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties).toMatchObject({
      TableName: 'orders',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PROVISIONED',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [expect.objectContaining({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      })],
    });
    expect(onlyResource(template, 'AWS::Logs::LogGroup').DeletionPolicy).toBe('Delete');
    expect(onlyResource(template, 'AWS::S3::Bucket').DeletionPolicy).toBe('Delete');
  });

  test('a customer-key table lets the function decrypt its stream', () => {
    const { template } = synth({ partitionKey: PK }, (stack) => ({
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(new kms.Key(stack, 'TableKey')),
    }));
    const statements = onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Action: ['kms:Decrypt', 'kms:DescribeKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [template.getResourceId('AWS::KMS::Key'), 'Arn'] },
    });
  });
});

describe('existing table with a bring-your-own function', () => {
  const build = () => synth({} as any, (stack) => {
    const table = dynamodb.Table.fromTableAttributes(stack, 'Existing', {
      tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing',
      tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing/stream/2026-01-01T00:00:00.000',
    });
    const fn = new lambda.Function(stack, 'Mine', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const queue = new sqs.Queue(stack, 'FailedBatches', { enforceSSL: true });
    return { existingTable: table, handler: StreamHandler.fromFunction(fn), failureDestination: FailureDestination.queue(queue) };
  });

  test('creates no table, log group or bucket; maps the existing stream to the given function', () => {
    const { template, construct } = build();
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(construct.logGroup).toBeUndefined();
    expect(construct.failureBucket).toBeUndefined();
    expect(construct.alarms).toHaveLength(5);
    const esm = onlyResource(template, 'AWS::Lambda::EventSourceMapping');
    expect(esm.Properties).toMatchObject({
      EventSourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing/stream/2026-01-01T00:00:00.000',
      FunctionName: { Ref: template.getResourceId('AWS::Lambda::Function') },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [template.getResourceId('AWS::SQS::Queue'), 'Arn'] } } },
    });
  });

  // aws-cdk-lib grants ListStreams on "*" for an imported table (acknowledged in the cdk-nag tests).
  test('grants the function stream read on that stream and SendMessage on the queue', () => {
    const { template } = build();
    const statements = onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement;
    const stream = 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing/stream/2026-01-01T00:00:00.000';
    expect(statements).toEqual(expect.arrayContaining([
      { Action: 'dynamodb:ListStreams', Effect: 'Allow', Resource: '*' },
      { Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Effect: 'Allow', Resource: stream },
      expect.objectContaining({ Action: expect.arrayContaining(['sqs:SendMessage']), Effect: 'Allow' }),
    ]));
  });
});

describe('failure destinations', () => {
  test('SNS topic: publish granted, topic ARN as destination', () => {
    const { template } = synth({ partitionKey: PK }, (stack) => ({ failureDestination: FailureDestination.topic(new sns.Topic(stack, 'T')) }));
    expect(onlyResource(template, 'AWS::Lambda::EventSourceMapping').Properties.DestinationConfig)
      .toEqual({ OnFailure: { Destination: { Ref: template.getResourceId('AWS::SNS::Topic') } } });
    expect(onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement)
      .toContainEqual(expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: template.getResourceId('AWS::SNS::Topic') } }));
    template.resourceCountIs('AWS::S3::Bucket', 0);
  });

  test('existing bucket: list and put under aws/lambda/ only, plus encrypt with its key', () => {
    const { template } = synth({ partitionKey: PK }, (stack) => {
      const key = new kms.Key(stack, 'BucketKey');
      return { failureDestination: FailureDestination.bucket(new s3.Bucket(stack, 'Mine', { encryptionKey: key })) };
    });
    const statements = onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Action: 's3:ListBucket' }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 's3:PutObject' }));
    expect(statements).toContainEqual({
      Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: { 'Fn::GetAtt': [template.getResourceId('AWS::KMS::Key'), 'Arn'] },
    });
    expect(statements.some((s: any) => [s.Action].flat().some((a: string) => a === 's3:GetObject*' || a === 's3:DeleteObject*'))).toBe(false);
  });

  test('failure bucket writes are conditioned on the bucket\'s account (a taken-over bucket name gets nothing)', () => {
    const ownAccount = synth({ partitionKey: PK }).template;
    const own = onlyResource(ownAccount, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement
      .filter((s: any) => String(s.Action).startsWith('s3:'));
    expect(own.map((s: any) => [s.Action, s.Condition])).toEqual([
      ['s3:ListBucket', { StringEquals: { 's3:ResourceAccount': '123456789012' } }],
      ['s3:PutObject', { StringEquals: { 's3:ResourceAccount': '123456789012' } }],
    ]);
    // An imported bucket declared in another account: that account is the one expected to own it.
    const { template } = synth({ partitionKey: PK }, (stack) => ({
      failureDestination: FailureDestination.bucket(s3.Bucket.fromBucketAttributes(stack, 'Central', {
        bucketName: 'central-failed-records', account: '210987654321',
      })),
    }));
    const imported = onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement
      .filter((s: any) => String(s.Action).startsWith('s3:'));
    expect(imported.map((s: any) => s.Condition)).toEqual([
      { StringEquals: { 's3:ResourceAccount': '210987654321' } },
      { StringEquals: { 's3:ResourceAccount': '210987654321' } },
    ]);
  });

  test('new bucket options: expiration, KMS key, access logs, name', () => {
    const { template } = synth({ partitionKey: PK }, (stack) => ({
      failureDestination: FailureDestination.newBucket({
        expiration: Duration.days(30),
        encryptionKey: new kms.Key(stack, 'K'),
        serverAccessLogsBucket: new s3.Bucket(stack, 'AccessLogs'),
        bucketName: 'failed-orders',
      }),
    }));
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'failed-orders',
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true, ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'failed-stream-records/' }),
    });
  });

  test('none: no destination on the mapping; the dropped-records alarm remains', () => {
    const { template, construct } = synth({ partitionKey: PK, failureDestination: FailureDestination.none() });
    expect(onlyResource(template, 'AWS::Lambda::EventSourceMapping').Properties.DestinationConfig).toBeUndefined();
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(construct.droppedRecordsAlarm).toBeDefined();
  });
});

describe('mapping options', () => {
  test('every mapping option reaches the template', () => {
    const { template } = synth({ partitionKey: PK }, (stack) => ({
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 5000,
      maxBatchingWindow: Duration.seconds(10),
      parallelizationFactor: 4,
      retryAttempts: 3,
      maxRecordAge: Duration.hours(1),
      bisectBatchOnError: false,
      reportBatchItemFailures: false,
      tumblingWindow: Duration.seconds(60),
      filters: [StreamFilter.eventName([ChangeEventName.INSERT])],
      filterEncryption: new kms.Key(stack, 'FilterKey'),
      enabled: false,
    }));
    expect(onlyResource(template, 'AWS::Lambda::EventSourceMapping').Properties).toMatchObject({
      StartingPosition: 'LATEST',
      BatchSize: 5000,
      MaximumBatchingWindowInSeconds: 10,
      ParallelizationFactor: 4,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: false,
      TumblingWindowInSeconds: 60,
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
      KmsKeyArn: { 'Fn::GetAtt': [template.getResourceId('AWS::KMS::Key'), 'Arn'] },
      Enabled: false,
    });
    expect(onlyResource(template, 'AWS::Lambda::EventSourceMapping').Properties.FunctionResponseTypes).toBeUndefined();
  });

  test('mappingMetrics false removes MetricsConfig (with the alarms that need it turned off)', () => {
    const { template, construct } = synth({
      partitionKey: PK, mappingMetrics: false, failureDestinationAlarm: { enabled: false }, droppedRecordsAlarm: { enabled: false },
    });
    expect(onlyResource(template, 'AWS::Lambda::EventSourceMapping').Properties.MetricsConfig).toBeUndefined();
    expect(construct.alarms).toHaveLength(3);
  });

  test('filters synthesize as serialized patterns, in order', () => {
    const { template } = synth({
      partitionKey: PK,
      filters: [
        StreamFilter.eventName([ChangeEventName.MODIFY]).and(StreamFilter.newImage('status', AttributeCondition.stringEquals(['SHIPPED']))),
        StreamFilter.ttlDeletes(),
      ],
    });
    expect(onlyResource(template, 'AWS::Lambda::EventSourceMapping').Properties.FilterCriteria).toEqual({
      Filters: [
        { Pattern: '{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"status":{"S":["SHIPPED"]}}}}' },
        { Pattern: '{"eventName":["REMOVE"],"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}' },
      ],
    });
  });
});

describe('bundled handler options', () => {
  test('log level, images, redaction, memory, timeout, retention, name, tracing, runtime, concurrency', () => {
    const { template } = synth({
      partitionKey: PK,
      handler: StreamHandler.bundled({
        logLevel: HandlerLogLevel.DEBUG,
        logImages: false,
        redactAttributes: ['email', 'address.street'],
        memorySize: 512,
        timeout: Duration.minutes(2),
        logRetention: logs.RetentionDays.ONE_YEAR,
        functionName: 'orders-change-log',
        tracing: lambda.Tracing.ACTIVE,
        runtime: lambda.Runtime.NODEJS_22_X,
        reservedConcurrentExecutions: 5,
      }),
    });
    expect(onlyResource(template, 'AWS::Lambda::Function').Properties).toMatchObject({
      FunctionName: 'orders-change-log',
      MemorySize: 512,
      Timeout: 120,
      Runtime: 'nodejs22.x',
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: 5,
      // Lambda filters JSON application logs at this level: it follows logLevel so DEBUG lines survive.
      LoggingConfig: expect.objectContaining({ ApplicationLogLevel: 'DEBUG' }),
      Environment: {
        Variables: {
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          CHANGE_LOG_IMAGES: 'false',
          CHANGE_LOG_REDACT: '["email","address.street"]',
        },
      },
    });
    expect(onlyResource(template, 'AWS::Logs::LogGroup').Properties.RetentionInDays).toBe(365);
  });
});

describe('alarm options', () => {
  test('actions apply to every alarm; thresholds, periods and datapoints can be overridden', () => {
    const { template } = synth({ partitionKey: PK }, (stack) => ({
      alarmActions: [new cwActions.SnsAction(new sns.Topic(stack, 'Oncall'))],
      iteratorAgeAlarm: { threshold: 60_000, period: Duration.minutes(5), evaluationPeriods: 3, datapointsToAlarm: 2, description: 'lag' },
      errorsAlarm: { threshold: 10 },
    }));
    const topicRef = { Ref: template.getResourceId('AWS::SNS::Topic') };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge', Threshold: 60000, Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2, AlarmDescription: 'lag',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Threshold: 10 });
  });

  test('each alarm can be turned off on its own', () => {
    for (const name of ['iteratorAgeAlarm', 'errorsAlarm', 'throttlesAlarm', 'failureDestinationAlarm', 'droppedRecordsAlarm'] as const) {
      const { construct, template } = synth({ partitionKey: PK, [name]: { enabled: false } });
      expect(construct[name]).toBeUndefined();
      expect(construct.alarms).toHaveLength(4);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    }
  });

  test('createAlarms false turns every alarm off, even with mappingMetrics false', () => {
    const { construct, template } = synth({ partitionKey: PK, createAlarms: false, mappingMetrics: false });
    expect(construct.alarms).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('an alarm accepts an action added later through its public property', () => {
    const stack = newStack();
    const construct = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    expect(construct.errorsAlarm).toBeInstanceOf(cloudwatch.Alarm);
    construct.errorsAlarm!.addAlarmAction(new cwActions.SnsAction(new sns.Topic(stack, 'Later')));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors', AlarmActions: [{ Ref: template.getResourceId('AWS::SNS::Topic') }],
    });
  });
});
