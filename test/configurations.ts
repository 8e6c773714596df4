import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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

// The configurations that the snapshot and cdk-nag suites both check.

/** One line: the defaults. */
export function defaults(stack: Stack): StreamTriggeredTable {
  return new StreamTriggeredTable(stack, 'Orders', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
}

/** An existing table, a bring-your-own function, an SQS queue for failed batches. */
export function existingTableOwnFunctionQueue(stack: Stack): StreamTriggeredTable {
  const table = dynamodb.Table.fromTableAttributes(stack, 'ExistingOrders', {
    tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
    tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000',
  });
  const logGroup = new logs.LogGroup(stack, 'ProjectorLogs', { retention: logs.RetentionDays.ONE_MONTH });
  const fn = new lambda.Function(stack, 'Projector', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    memorySize: 512,
    timeout: Duration.seconds(60),
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
  });
  const queue = new sqs.Queue(stack, 'FailedBatches', {
    enforceSSL: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    retentionPeriod: Duration.days(14),
  });
  return new StreamTriggeredTable(stack, 'Orders', {
    existingTable: table,
    streamViewType: dynamodb.StreamViewType.NEW_IMAGE,
    handler: StreamHandler.fromFunction(fn),
    failureDestination: FailureDestination.queue(queue),
  });
}

/** Every option set. */
export function everyOption(stack: Stack): StreamTriggeredTable {
  const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
  const accessLogs = new s3.Bucket(stack, 'AccessLogs', {
    enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, encryption: s3.BucketEncryption.S3_MANAGED,
  });
  const oncall = new sns.Topic(stack, 'Oncall', { enforceSSL: true, masterKey: key });
  return new StreamTriggeredTable(stack, 'Orders', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    tableName: 'orders',
    billing: dynamodb.Billing.onDemand({ maxReadRequestUnits: 1000, maxWriteRequestUnits: 500 }),
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
    pointInTimeRecovery: true,
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    timeToLiveAttribute: 'expiresAt',
    streamViewType: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    handler: StreamHandler.bundled({
      logLevel: HandlerLogLevel.DEBUG,
      logImages: true,
      redactAttributes: ['email', 'address.street'],
      memorySize: 512,
      timeout: Duration.seconds(60),
      logRetention: logs.RetentionDays.ONE_YEAR,
      functionName: 'orders-change-log',
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: 10,
    }),
    startingPosition: lambda.StartingPosition.LATEST,
    batchSize: 500,
    maxBatchingWindow: Duration.seconds(5),
    parallelizationFactor: 2,
    retryAttempts: 5,
    maxRecordAge: Duration.hours(2),
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    tumblingWindow: Duration.seconds(30),
    filters: [
      StreamFilter.excludeTtlDeletes(),
      StreamFilter.eventName([ChangeEventName.MODIFY]).and(StreamFilter.newImage('status', AttributeCondition.stringEquals(['SHIPPED']))),
    ],
    filterEncryption: key,
    enabled: true,
    mappingMetrics: true,
    failureDestination: FailureDestination.newBucket({
      expiration: Duration.days(30), encryptionKey: key, serverAccessLogsBucket: accessLogs, bucketName: 'orders-failed-records',
    }),
    alarmActions: [new cwActions.SnsAction(oncall)],
    createAlarms: true,
    iteratorAgeAlarm: { threshold: 120_000, period: Duration.minutes(1), evaluationPeriods: 3, datapointsToAlarm: 2 },
    errorsAlarm: { threshold: 5 },
    throttlesAlarm: { evaluationPeriods: 1 },
    failureDestinationAlarm: { description: 'Orders reached the failure bucket' },
    droppedRecordsAlarm: { period: Duration.minutes(1) },
    createLogQueries: true,
    dashboard: true,
  });
}

/**
 * Two consumers on one stream: the change log of every order (the props' handler), and a shipment audit
 * added with addConsumer (its own bundled handler, filter, batching, log retention and failure bucket).
 */
export function twoConsumers(stack: Stack): StreamTriggeredTable {
  const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  orders.addConsumer('ShipmentAudit', {
    handler: StreamHandler.bundled({ logImages: false, logRetention: logs.RetentionDays.ONE_YEAR }),
    filters: [StreamFilter.eventName([ChangeEventName.MODIFY]).and(StreamFilter.newImage('status', AttributeCondition.stringEquals(['SHIPPED'])))],
    batchSize: 10,
    maxBatchingWindow: Duration.seconds(5),
  });
  return orders;
}
