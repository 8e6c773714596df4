// Integration test (integ-runner): the whole-app example (examples/uses-app), its four stacks deployed
// without an environment. A review put into Reviews is aggregated by the app's own function into
// ProductSummaries, whose own stream-triggered change log prints the new summary.
// Snapshot: integ.uses-app.ts.snapshot/.
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies } from 'aws-cdk-lib';
import { addUsesStacks } from '../examples/uses-app/app';

const app = new App();
const uses = addUsesStacks(app);
// The example keeps its archive when the stack goes; the test leaves nothing behind (it writes no document).
RemovalPolicies.of(uses.documentArchive).destroy();

const integ = new IntegTest(app, 'UsesApp', { testCases: uses.stacks, diffAssets: false });

const put = integ.assertions.awsApiCall('DynamoDB', 'putItem', {
  TableName: uses.reviews.table.tableName,
  Item: { productId: { S: 'lamp' }, reviewId: { S: 'integ-r1' }, rating: { N: '4' } },
});
const summary = integ.assertions.awsApiCall('DynamoDB', 'getItem', {
  TableName: uses.productSummaries.table.tableName,
  Key: { productId: { S: 'lamp' }, sk: { S: 'summary' } },
  ConsistentRead: true,
}).expect(ExpectedResult.objectLike({ Item: Match.objectLike({ reviewCount: { N: '1' }, ratingSum: { N: '4' } }) }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(15) });
const summaryChangeLine = integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
  logGroupName: uses.productSummaries.logGroup!.logGroupName,
  filterPattern: '{ $.message = "change" && $.keys.productId = "lamp" && $.keys.sk = "summary" }',
}).expect(ExpectedResult.objectLike({ events: Match.arrayWith([Match.objectLike({ message: Match.objectLike({ eventName: 'INSERT' }) })]) }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(15) });

put.next(summary).next(summaryChangeLine);
