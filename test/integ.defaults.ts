// Integration test (integ-runner): the one-line defaults, deployed. An item put into the table appears as
// its change-log line in the bundled handler's log group. Snapshot: integ.defaults.ts.snapshot/.
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { StreamTriggeredTable } from '../src';

const app = new App();
const stack = new Stack(app, 'StreamTriggeredTableIntegDefaults');
const orders = new StreamTriggeredTable(stack, 'Orders', {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  // The only departure from the defaults: the test leaves nothing behind.
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'Defaults', { testCases: [stack], diffAssets: false });

const put = integ.assertions.awsApiCall('DynamoDB', 'putItem', {
  TableName: orders.table.tableName,
  Item: { pk: { S: 'order#integ-defaults' }, status: { S: 'NEW' } },
});
const changeLine = integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
  logGroupName: orders.logGroup!.logGroupName,
  filterPattern: '{ $.message = "change" && $.keys.pk = "order#integ-defaults" }',
}).expect(ExpectedResult.objectLike({
  events: Match.arrayWith([Match.objectLike({ message: Match.objectLike({ eventName: 'INSERT', keys: { pk: 'order#integ-defaults' } }) })]),
})).waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(15) });
put.next(changeLine);
