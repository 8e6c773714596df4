// Integration test (integ-runner): an existing table, your own function, an SQS queue for failed batches.
// A record the function rejects reaches the queue as AWS's on-failure record (shard and sequence numbers,
// no payload), and the failure-destination alarm goes to ALARM.
// Snapshot: integ.existing-table-own-function-queue.ts.snapshot/.
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { rejectPoisonCode, expectInAlarm } from './integ-helpers';
import { FailureDestination, StreamHandler, StreamTriggeredTable } from '../src';

const app = new App();
const stack = new Stack(app, 'StreamTriggeredTableIntegExistingTable');

// The table exists before the construct is used: it has a stream of new images, nothing else.
const existing = new dynamodb.Table(stack, 'ExistingOrders', {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  stream: dynamodb.StreamViewType.NEW_IMAGE,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  removalPolicy: RemovalPolicy.DESTROY,
});
const projector = new lambda.Function(stack, 'Projector', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: rejectPoisonCode(),
  memorySize: 512,
  timeout: Duration.seconds(60),
  tracing: lambda.Tracing.ACTIVE,
  logGroup: new logs.LogGroup(stack, 'ProjectorLogs', { retention: logs.RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY }),
});
const failedBatches = new sqs.Queue(stack, 'FailedBatches', {
  enforceSSL: true,
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  retentionPeriod: Duration.days(14),
});
const orders = new StreamTriggeredTable(stack, 'Orders', {
  existingTable: existing,
  streamViewType: dynamodb.StreamViewType.NEW_IMAGE,
  handler: StreamHandler.fromFunction(projector),
  failureDestination: FailureDestination.queue(failedBatches),
  retryAttempts: 2,
});

const integ = new IntegTest(app, 'ExistingTableOwnFunctionQueue', { testCases: [stack], diffAssets: false });

const put = integ.assertions.awsApiCall('DynamoDB', 'putItem', {
  TableName: existing.tableName,
  Item: { pk: { S: 'order#poison' }, poison: { BOOL: true } },
});
const queued = integ.assertions.awsApiCall('SQS', 'receiveMessage', { QueueUrl: failedBatches.queueUrl, WaitTimeSeconds: 20 })
  .expect(ExpectedResult.objectLike({
    Messages: Match.arrayWith([Match.objectLike({
      Body: Match.objectLike({
        requestContext: Match.objectLike({ condition: 'RetryAttemptsExhausted' }),
        DDBStreamBatchInfo: Match.objectLike({ batchSize: 1, streamArn: existing.tableStreamArn }),
      }),
    })]),
  }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(20) });
const alarmed = expectInAlarm(integ, orders.failureDestinationAlarm!);

put.next(queued).next(alarmed);
