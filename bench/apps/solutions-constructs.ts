/**
 * Contender (c): AWS Solutions Constructs' DynamoDBStreamsToLambda with the same prebuilt handler and
 * function settings; the rest (table, mapping, SQS on-failure queue) is that construct's defaults.
 */
import { DynamoDBStreamsToLambda } from '@aws-solutions-constructs/aws-dynamodbstreams-lambda';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HANDLER_ASSET_DIR, HANDLER_SETTINGS, runApp } from './common';

runApp((stack, id) => new DynamoDBStreamsToLambda(stack, id, {
  lambdaFunctionProps: { ...HANDLER_SETTINGS, code: lambda.Code.fromAsset(HANDLER_ASSET_DIR) },
  dynamoTableProps: { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } },
}));
