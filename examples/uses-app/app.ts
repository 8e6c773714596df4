// What DynamoDB Streams are for, one stack per use, as a user would write them. Every function is the
// user's own plain CommonJS code, using the AWS SDK v3 of the Lambda runtime (nothing bundled).
//
// - UsesStorage:    the document archive bucket, shared with ArchiveExample (a cross-stack reference).
// - ReviewsExample: aggregation. Each review change updates its product's count, rating sum and average,
//                   exactly once despite re-delivery; the summaries table is itself stream-triggered,
//                   so its change log shows every summary update (a chained table). The reviews' stream
//                   has a second consumer: the change log of every review, next to the aggregation.
// - ArchiveExample: archive. The old image of every modified or deleted document goes to S3; a filter
//                   lets only MODIFY and REMOVE reach the function.
// - ChatExample:    notification. Each new chat message is published to SNS once per other member of
//                   its room, read from a plain rooms table; a filter lets only INSERT reach the function.
//
// (It imports from ../../src so that it runs from a clone; in your app: from 'cdk-stream-triggered-table'.)
// test/integ.uses-app.ts deploys the same stacks, without an environment, as an integration test.
import * as path from 'path';
import { App, Duration, Environment, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  AttributeCondition, ChangeEventName, StreamFilter, StreamHandler, StreamTriggeredTable,
} from '../../src';

/** A function from one folder of this app, with its own log group. */
function nodeFunction(scope: Construct, id: string, folder: string, environment: Record<string, string>): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(path.join(__dirname, folder)),
    timeout: Duration.seconds(30),
    environment,
    logGroup,
  });
}

/** The example's stacks, and what its integration test reads. */
export interface UsesExample {
  readonly stacks: Stack[];
  readonly reviews: StreamTriggeredTable;
  readonly productSummaries: StreamTriggeredTable;
  readonly documentArchive: s3.Bucket;
}

/** Adds the example's four stacks to `app`, in `env` (environment-agnostic without it). */
export function addUsesStacks(app: App, env?: Environment): UsesExample {
  // ---- UsesStorage: the archive bucket ----

  const storage = new Stack(app, 'UsesStorage', { env });
  const documentArchive = new s3.Bucket(storage, 'DocumentArchive', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // The archive is what outlives the documents: keep it when the stack goes.
    removalPolicy: RemovalPolicy.RETAIN,
  });

  // ---- ReviewsExample: aggregation ----

  const reviewsStack = new Stack(app, 'ReviewsExample', { env });

  // One item per product (sk "summary") plus, for a day or two, one marker per applied review change
  // (sk "applied#<eventID>", expiring through TTL). Its change log shows only the summaries.
  const productSummaries = new StreamTriggeredTable(reviewsStack, 'ProductSummaries', {
    partitionKey: { name: 'productId', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: 'expiresAt',
    removalPolicy: RemovalPolicy.DESTROY,
    handler: StreamHandler.bundled(),
    filters: [StreamFilter.key('sk', AttributeCondition.stringEquals(['summary']))],
  });

  const aggregateReviews = nodeFunction(reviewsStack, 'AggregateReviews', 'aggregate-reviews', {
    SUMMARY_TABLE: productSummaries.table.tableName,
  });
  // Exactly the calls it makes: a consistent read of the summary, then a transaction of two puts.
  productSummaries.table.grant(aggregateReviews, 'dynamodb:GetItem', 'dynamodb:PutItem');

  const reviews = new StreamTriggeredTable(reviewsStack, 'Reviews', {
    partitionKey: { name: 'productId', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'reviewId', type: dynamodb.AttributeType.STRING },
    // A changed rating is applied as new minus old, so the function needs both images.
    streamViewType: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    removalPolicy: RemovalPolicy.DESTROY,
    handler: StreamHandler.fromFunction(aggregateReviews),
  });
  // A second consumer of the same stream: the audit change log of every review, next to the aggregation,
  // with its own retries, failure bucket and alarms.
  reviews.addConsumer('ChangeLog', { handler: StreamHandler.bundled() });

  // ---- ArchiveExample: archive of old images ----

  const archiveStack = new Stack(app, 'ArchiveExample', { env });

  // The bucket lives in UsesStorage: CDK passes its name and ARN with an Export and Fn::ImportValue.
  const archiveOldImages = nodeFunction(archiveStack, 'ArchiveOldImages', 'archive-old-images', {
    ARCHIVE_BUCKET: documentArchive.bucketName,
  });
  documentArchive.grantPut(archiveOldImages, 'documents/*');

  new StreamTriggeredTable(archiveStack, 'Documents', {
    partitionKey: { name: 'docId', type: dynamodb.AttributeType.STRING },
    // The archive needs only what an item was before the change.
    streamViewType: dynamodb.StreamViewType.OLD_IMAGE,
    removalPolicy: RemovalPolicy.DESTROY,
    handler: StreamHandler.fromFunction(archiveOldImages),
    // An INSERT has no old image to keep.
    filters: [StreamFilter.eventName([ChangeEventName.MODIFY, ChangeEventName.REMOVE])],
  });

  // ---- ChatExample: notifications ----

  const chatStack = new Stack(app, 'ChatExample', { env });

  // A plain table, without a stream: { roomId, members: [...] }.
  const chatRooms = new dynamodb.TableV2(chatStack, 'ChatRooms', {
    partitionKey: { name: 'roomId', type: dynamodb.AttributeType.STRING },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const chatNotifications = new sns.Topic(chatStack, 'ChatNotifications', { enforceSSL: true });

  const notifyMembers = nodeFunction(chatStack, 'NotifyMembers', 'notify-members', {
    ROOMS_TABLE: chatRooms.tableName,
    NOTIFICATIONS_TOPIC_ARN: chatNotifications.topicArn,
  });
  chatRooms.grant(notifyMembers, 'dynamodb:GetItem');
  chatNotifications.grantPublish(notifyMembers);

  new StreamTriggeredTable(chatStack, 'ChatMessages', {
    partitionKey: { name: 'roomId', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sentAt', type: dynamodb.AttributeType.STRING },
    // Only the new message is needed.
    streamViewType: dynamodb.StreamViewType.NEW_IMAGE,
    removalPolicy: RemovalPolicy.DESTROY,
    handler: StreamHandler.fromFunction(notifyMembers),
    // Only new messages notify; edits and deletes do not.
    filters: [StreamFilter.eventName([ChangeEventName.INSERT])],
    // Two retries instead of ten: a message that cannot be delivered reaches the failure bucket quickly.
    // Offline, where SNS is not run, that is every message.
    retryAttempts: 2,
  });

  return { stacks: [storage, reviewsStack, archiveStack, chatStack], reviews, productSummaries, documentArchive };
}

if (require.main === module) {
  const app = new App();
  addUsesStacks(app, { account: '123456789012', region: 'eu-west-1' });
  app.synth();
}
