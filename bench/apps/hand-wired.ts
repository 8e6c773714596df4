/**
 * StreamTriggeredTable's default resources written by hand with aws-cdk-lib: the same construct ids,
 * properties, policy statements (in the same order) and alarms, so the template is the same one
 * (test/__snapshots__/snapshot.test.ts.snap, "defaults"). Only the function is left to the caller.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Creates the function with the given role and log group, under the id `Handler`. */
export type FunctionFactory = (scope: Construct, id: string, role: iam.IRole, logGroup: logs.ILogGroup) => lambda.Function;

export function handWiredTable(parent: Construct, id: string, createFunction: FunctionFactory): void {
  const scope = new Construct(parent, id);
  const table = new dynamodb.TableV2(scope, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    encryption: dynamodb.TableEncryptionV2.dynamoOwnedKey(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: false,
    removalPolicy: RemovalPolicy.RETAIN,
    dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  });

  const logGroup = new logs.LogGroup(scope, 'HandlerLogGroup', {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, 'HandlerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'Execution role of the stream-triggered change-log handler',
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  const fn = createFunction(scope, 'Handler', role, logGroup);

  const bucket = new s3.Bucket(scope, 'FailureBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{
      id: 'ExpireFailedRecords',
      expiration: Duration.days(90),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    }],
  });

  table.grantStreamRead(fn);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('aws/lambda/*')] }));

  const mapping = new lambda.EventSourceMapping(scope, 'EventSourceMapping', {
    target: fn,
    eventSourceArn: table.tableStreamArn!,
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: 100,
    retryAttempts: 10,
    maxRecordAge: Duration.hours(6),
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    enabled: true,
    // The S3 destination without S3OnFailureDestination's read-write grant (the statements are above).
    onFailure: { bind: () => ({ destination: bucket.bucketArn }) },
    metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
  });
  mapping.node.addDependency(role);

  const mappingMetric = (metricName: string) => new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { EventSourceMappingUUID: mapping.eventSourceMappingId },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
  });
  const alarm = (alarmId: string, metric: cloudwatch.IMetric, evaluationPeriods: number, threshold: number, alarmDescription: string) =>
    new cloudwatch.Alarm(scope, alarmId, {
      metric,
      threshold,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription,
    });
  alarm('IteratorAgeAlarm', fn.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }), 5, 300_000,
    'Stream processing lags: the newest record of the last batch was older than the threshold '
    + 'for every period. Records older than maxRecordAge go to the failure destination unprocessed.');
  alarm('ErrorsAlarm', fn.metricErrors({ period: Duration.minutes(5) }), 1, 1,
    'The stream handler failed (threw, timed out or ran out of memory). Its shard is retried and '
    + 'blocked until the batch succeeds or its retries run out.');
  alarm('ThrottlesAlarm', fn.metricThrottles({ period: Duration.minutes(5) }), 3, 1,
    'The stream handler was throttled for 15 minutes: processing falls behind. Check concurrency limits.');
  alarm('FailureDestinationAlarm', mappingMetric('OnFailureDestinationDeliveredEventCount'), 1, 1,
    'Records reached the failure destination (retries or age ran out). Recover them as the README explains.');
  alarm('DroppedRecordsAlarm', new cloudwatch.MathExpression({
    expression: 'FILL(dropped, 0) + FILL(undelivered, 0)',
    usingMetrics: {
      dropped: mappingMetric('DroppedEventCount'),
      undelivered: fn.metric('DestinationDeliveryFailures', { statistic: cloudwatch.Stats.SUM }),
    },
    label: 'Records dropped or lost',
    period: Duration.minutes(5),
  }), 1, 1,
  'Records were dropped by the mapping or could not be delivered to the failure destination: '
    + 'they are lost unless read back from the stream within 24 hours.');
}
