// Integration test (integ-runner): your own function rejects a record (a poison record); after its retries
// the mapping sends it, with its payload, to the construct's failure bucket, and the failure-destination
// alarm goes to ALARM. Snapshot: integ.poison-record.ts.snapshot/.
import { AwsApiCall, ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { rejectPoisonCode, expectInAlarm } from './integ-helpers';
import { StreamHandler, StreamTriggeredTable } from '../src';

const app = new App();
const stack = new Stack(app, 'StreamTriggeredTableIntegPoisonRecord');

// Reports every record whose new image has `poison: true` as failed, every time.
const rejectPoison = new lambda.Function(stack, 'RejectPoison', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: rejectPoisonCode(),
  logGroup: new logs.LogGroup(stack, 'RejectPoisonLogs', { retention: logs.RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY }),
});
const payments = new StreamTriggeredTable(stack, 'Payments', {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  handler: StreamHandler.fromFunction(rejectPoison),
  // Two retries instead of ten: the record reaches the failure bucket within a minute.
  retryAttempts: 2,
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'PoisonRecord', { testCases: [stack], diffAssets: false });

const put = integ.assertions.awsApiCall('DynamoDB', 'putItem', {
  TableName: payments.table.tableName,
  Item: { pk: { S: 'payment#poison' }, poison: { BOOL: true } },
});
const listed = integ.assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: payments.failureBucket!.bucketName })
  .expect(ExpectedResult.objectLike({ KeyCount: 1 }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(20) }) as AwsApiCall;
// ListObjectsV2 is authorized by s3:ListBucket, which its name does not give the generated policy.
listed.waiterProvider!.addToRolePolicy({ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [payments.failureBucket!.bucketArn] });
const key = listed.getAttString('Contents.0.Key');
// The object is AWS's on-failure record; its payload is the invocation event, with the record itself.
const failureObject = integ.assertions.awsApiCall('S3', 'getObject', { Bucket: payments.failureBucket!.bucketName, Key: key })
  .expect(ExpectedResult.objectLike({
    Body: Match.objectLike({
      requestContext: Match.objectLike({ condition: 'RetryAttemptsExhausted' }),
      payload: Match.objectLike({
        Records: Match.arrayWith([Match.objectLike({ dynamodb: Match.objectLike({ Keys: { pk: { S: 'payment#poison' } } }) })]),
      }),
    }),
  }));
const alarmed = expectInAlarm(integ, payments.failureDestinationAlarm!);
// The bucket can only be deleted empty: remove the one object the test made.
const emptied = integ.assertions.awsApiCall('S3', 'deleteObject', { Bucket: payments.failureBucket!.bucketName, Key: key });

put.next(listed).next(failureObject).next(alarmed).next(emptied);
