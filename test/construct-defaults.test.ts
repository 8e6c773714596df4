import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { onlyResource, PK, synth } from './helpers';

/** Failure records go only to a bucket of the stack's own account (bucket names can be taken over). */
const OWN_ACCOUNT = { StringEquals: { 's3:ResourceAccount': '123456789012' } };

// What one line of `new StreamTriggeredTable(this, 'Orders', { partitionKey })` gives, default by default.
describe('StreamTriggeredTable defaults', () => {
  const { construct, template } = synth({ partitionKey: PK });

  test('creates exactly the documented resources', () => {
    const counts = Object.values(template.toJSON().Resources as Record<string, { Type: string }>)
      .reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.Type]: (acc[r.Type] ?? 0) + 1 }), {});
    expect(counts).toEqual({
      'AWS::DynamoDB::GlobalTable': 1,
      'AWS::Logs::LogGroup': 1,
      'AWS::IAM::Role': 1,
      'AWS::IAM::Policy': 1,
      'AWS::Lambda::Function': 1,
      'AWS::S3::Bucket': 1,
      'AWS::S3::BucketPolicy': 1,
      'AWS::Lambda::EventSourceMapping': 1,
      'AWS::CloudWatch::Alarm': 5,
      // The saved change-log queries (free, on by default).
      'AWS::Logs::QueryDefinition': 4,
    });
  });

  test('table: on-demand, NEW_AND_OLD_IMAGES stream, point-in-time recovery, retained, no TTL', () => {
    const table = onlyResource(template, 'AWS::DynamoDB::GlobalTable');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toEqual({
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      Replicas: [{
        DeletionProtectionEnabled: false,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        Region: 'eu-west-1',
      }],
      SSESpecification: { SSEEnabled: false }, // encrypted at rest with the AWS owned key
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  test('function: bundled asset, newest Node.js runtime, arm64, explicit memory and timeout, JSON logs to its own group', () => {
    const fn = onlyResource(template, 'AWS::Lambda::Function');
    expect(fn.Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 30,
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', LogGroup: { Ref: template.getResourceId('AWS::Logs::LogGroup') } },
      Environment: {
        Variables: {
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_SERVICE_NAME: 'stream-triggered-table',
          CHANGE_LOG_IMAGES: 'true',
          CHANGE_LOG_REDACT: '[]',
        },
      },
    });
    expect(fn.Properties.TracingConfig).toBeUndefined();
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('log group: three months retention, retained', () => {
    const group = onlyResource(template, 'AWS::Logs::LogGroup');
    expect(group.Properties).toEqual({ RetentionInDays: 90 });
    expect(group.DeletionPolicy).toBe('Retain');
  });

  test('mapping: TRIM_HORIZON, bounded retries and record age, bisect, partial failures, metrics, S3 destination', () => {
    const esm = onlyResource(template, 'AWS::Lambda::EventSourceMapping');
    expect(esm.Properties).toEqual({
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [template.getResourceId('AWS::S3::Bucket'), 'Arn'] } } },
      Enabled: true,
      EventSourceArn: { 'Fn::GetAtt': [template.getResourceId('AWS::DynamoDB::GlobalTable'), 'StreamArn'] },
      FunctionName: { Ref: template.getResourceId('AWS::Lambda::Function') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRecordAgeInSeconds: 21600,
      MaximumRetryAttempts: 10,
      MetricsConfig: { Metrics: ['EventCount'] },
      StartingPosition: 'TRIM_HORIZON',
    });
    // The mapping is created only once the role can read the stream and write the destination.
    expect(esm.DependsOn).toEqual(expect.arrayContaining([
      template.getResourceId('AWS::IAM::Policy'), template.getResourceId('AWS::IAM::Role'),
    ]));
  });

  test('role: only lambda may assume it, no managed policies', () => {
    const role = onlyResource(template, 'AWS::IAM::Role');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' },
    }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
  });

  test('policy: own log group, this stream, put objects under aws/lambda/ in the failure bucket, nothing else', () => {
    const policy = onlyResource(template, 'AWS::IAM::Policy');
    const tableId = template.getResourceId('AWS::DynamoDB::GlobalTable');
    const bucketId = template.getResourceId('AWS::S3::Bucket');
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [template.getResourceId('AWS::Logs::LogGroup'), 'Arn'] },
      },
      { Action: 'dynamodb:ListStreams', Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableId, 'StreamArn'] } },
      {
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      },
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] }, Condition: OWN_ACCOUNT },
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/aws/lambda/*']] },
        Condition: OWN_ACCOUNT,
      },
    ]);
  });

  test('failure bucket: encrypted, public access blocked, owner-enforced, 90-day lifecycle, retained', () => {
    const bucket = onlyResource(template, 'AWS::S3::Bucket');
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toEqual({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: {
        Rules: [{
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          ExpirationInDays: 90,
          Id: 'ExpireFailedRecords',
          Status: 'Enabled',
        }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      },
    });
  });

  test('failure bucket policy: denies plain HTTP and TLS older than 1.2', () => {
    const policy = onlyResource(template, 'AWS::S3::BucketPolicy');
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    ]));
    expect(statements.filter((s: any) => s.Effect === 'Allow')).toEqual([]);
  });

  test('alarms: five, with the documented thresholds, missing data not breaching, no actions', () => {
    const fnId = template.getResourceId('AWS::Lambda::Function');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 300000,
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors', Statistic: 'Sum', Threshold: 1, Period: 300, EvaluationPeriods: 1, TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles', Statistic: 'Sum', Threshold: 1, Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 3,
    });
    const esmId = template.getResourceId('AWS::Lambda::EventSourceMapping');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OnFailureDestinationDeliveredEventCount',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Threshold: 1,
      Period: 300,
      Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: esmId } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(dropped, 0) + FILL(undelivered, 0)', ReturnData: true }),
        Match.objectLike({
          Id: 'dropped',
          MetricStat: Match.objectLike({
            Metric: { Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: esmId } }], MetricName: 'DroppedEventCount', Namespace: 'AWS/Lambda' },
            Period: 300,
            Stat: 'Sum',
          }),
        }),
        Match.objectLike({
          Id: 'undelivered',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'DestinationDeliveryFailures', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }] }),
          }),
        }),
      ]),
    });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm as any).Properties.AlarmActions).toBeUndefined();
      expect((alarm as any).Properties.AlarmDescription).toEqual(expect.any(String));
    }
  });

  test('every created resource is reachable from a public property', () => {
    expect(construct.table.node.defaultChild).toBeDefined();
    expect(construct.tableStreamArn).toBe(construct.table.tableStreamArn);
    expect(construct.handlerFunction.node.path).toBe('TestStack/Orders/Handler');
    expect(construct.eventSourceMapping.node.path).toBe('TestStack/Orders/EventSourceMapping');
    expect(construct.failureBucket?.node.path).toBe('TestStack/Orders/FailureBucket');
    expect(construct.logGroup?.node.path).toBe('TestStack/Orders/HandlerLogGroup');
    expect(construct.handlerFunction.role?.node.path).toBe('TestStack/Orders/HandlerRole');
    expect(construct.alarms.map((a) => a.node.id)).toEqual([
      'IteratorAgeAlarm', 'ErrorsAlarm', 'ThrottlesAlarm', 'FailureDestinationAlarm', 'DroppedRecordsAlarm',
    ]);
    expect([construct.iteratorAgeAlarm, construct.errorsAlarm, construct.throttlesAlarm,
      construct.failureDestinationAlarm, construct.droppedRecordsAlarm]).toEqual(construct.alarms);
  });

  test('construct ids are stable (logical ids do not change between synths)', () => {
    const again = synth({ partitionKey: PK }).template;
    expect(Object.keys(again.toJSON().Resources)).toEqual(Object.keys(template.toJSON().Resources));
  });

  test('metric helpers read the right metrics', () => {
    // The construct's own stack: a second synth only to resolve a token would prove nothing more.
    const resolve = (x: unknown) => Stack.of(construct).resolve(x);
    expect(resolve(construct.metricIteratorAge())).toMatchObject({ metricName: 'IteratorAge', statistic: 'Maximum', namespace: 'AWS/Lambda' });
    expect(construct.metricErrors().metricName).toBe('Errors');
    expect(construct.metricThrottles().metricName).toBe('Throttles');
    expect(construct.metricDestinationDeliveryFailures().metricName).toBe('DestinationDeliveryFailures');
    for (const [metric, name] of [
      [construct.metricFailureDestinationDelivered(), 'OnFailureDestinationDeliveredEventCount'],
      [construct.metricDroppedEvents(), 'DroppedEventCount'],
      [construct.metricFilteredOutEvents(), 'FilteredOutEventCount'],
      [construct.metricPolledEvents(), 'PolledEventCount'],
    ] as const) {
      expect(metric.metricName).toBe(name);
      expect(Object.keys(metric.dimensions ?? {})).toEqual(['EventSourceMappingUUID']);
    }
    expect(construct.metricDroppedOrLost().expression).toBe('FILL(dropped, 0) + FILL(undelivered, 0)');
  });
});
