// The example app: two stream-triggered tables, as a user would write them.
// (It imports from ../../src so that it runs from a clone; in your app: from 'cdk-stream-triggered-table'.)
import * as path from 'path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  AttributeCondition, FailureDestination, StreamFilter, StreamHandler, StreamTriggeredTable,
} from '../../src';

const app = new App();
const stack = new Stack(app, 'OrdersExample', { env: { account: '123456789012', region: 'eu-west-1' } });

// 1. The minimal example plus TTL, redaction and a filter: every order change is logged as one JSON
//    line, email addresses are masked, and scratch items (keys starting with "tmp#") are filtered out.
new StreamTriggeredTable(stack, 'Orders', {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  timeToLiveAttribute: 'expiresAt',
  removalPolicy: RemovalPolicy.DESTROY,
  handler: StreamHandler.bundled({ redactAttributes: ['email'] }),
  filters: [StreamFilter.key('pk', AttributeCondition.stringAnythingButPrefix('tmp#'))],
});

// 2. Bring your own function: it rejects payments with a negative amount (reporting them as batch item
//    failures), so those records end, with their payload, in the failure bucket after two retries.
const logGroup = new logs.LogGroup(stack, 'PaymentsHandlerLogs', {
  retention: logs.RetentionDays.ONE_MONTH,
  removalPolicy: RemovalPolicy.DESTROY,
});
const paymentsHandler = new lambda.Function(stack, 'PaymentsHandler', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: lambda.Code.fromAsset(path.join(__dirname, 'payments-handler')),
  memorySize: 256,
  timeout: Duration.seconds(30),
  logGroup,
});
new StreamTriggeredTable(stack, 'Payments', {
  partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING },
  removalPolicy: RemovalPolicy.DESTROY,
  handler: StreamHandler.fromFunction(paymentsHandler),
  retryAttempts: 2,
  failureDestination: FailureDestination.newBucket({ expiration: Duration.days(30) }),
});

app.synth();
