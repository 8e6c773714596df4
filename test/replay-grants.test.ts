/**
 * grantReplay: the least the replay command needs, per failure destination, and what cdk-nag says of it.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { newStack, PK } from './helpers';
import { FailureDestination, StreamTriggeredTable, StreamTriggeredTableProps } from '../src';

const OWN_ACCOUNT = { StringEquals: { 's3:ResourceAccount': '123456789012' } };

/** The statements of the operator role's policy after grantReplay. */
function replayStatements(props: Partial<StreamTriggeredTableProps> | ((stack: Stack) => Partial<StreamTriggeredTableProps>) = {}) {
  const stack = newStack();
  const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK, ...(typeof props === 'function' ? props(stack) : props) });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  orders.grantReplay(operator);
  const template = Template.fromStack(stack);
  const policy = Object.values(template.findResources('AWS::IAM::Policy'))
    .find((p: any) => p.Properties.Roles[0].Ref === stack.getLogicalId(operator.node.defaultChild as iam.CfnRole)) as any;
  return { stack, orders, template, statements: policy.Properties.PolicyDocument.Statement as any[] };
}

test('a new failure bucket: list it, read and delete under aws/lambda/, copy to replayed/aws/lambda/, invoke the function', () => {
  const { template, statements } = replayStatements();
  const bucketArn = { 'Fn::GetAtt': [template.getResourceId('AWS::S3::Bucket'), 'Arn'] };
  const functionArn = { 'Fn::GetAtt': [template.getResourceId('AWS::Lambda::Function'), 'Arn'] };
  expect(statements).toEqual([
    { Action: 's3:ListBucket', Condition: OWN_ACCOUNT, Effect: 'Allow', Resource: bucketArn },
    {
      Action: ['s3:GetObject', 's3:DeleteObject'],
      Condition: OWN_ACCOUNT,
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [bucketArn, '/aws/lambda/*']] },
    },
    { Action: 's3:PutObject', Condition: OWN_ACCOUNT, Effect: 'Allow', Resource: { 'Fn::Join': ['', [bucketArn, '/replayed/aws/lambda/*']] } },
    { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: functionArn },
  ]);
});

test('a bucket encrypted with a customer managed key: decrypt the objects and encrypt their copies with it', () => {
  const { template, statements } = replayStatements((stack) => ({
    failureDestination: FailureDestination.newBucket({ encryptionKey: new kms.Key(stack, 'BucketKey', { enableKeyRotation: true }) }),
  }));
  expect(statements).toContainEqual({
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [template.getResourceId('AWS::KMS::Key'), 'Arn'] },
  });
});

test('a queue: receive and delete its messages, read the stream back, invoke; nothing in S3', () => {
  const { template, statements } = replayStatements((stack) => ({ failureDestination: FailureDestination.queue(new sqs.Queue(stack, 'Failed')) }));
  const actions = statements.flatMap((s) => [s.Action].flat());
  expect(actions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility',
    'dynamodb:DescribeStream', 'dynamodb:GetShardIterator', 'dynamodb:GetRecords', 'lambda:InvokeFunction']));
  expect(actions.some((a: string) => a.startsWith('s3:'))).toBe(false);
  const streamArn = { 'Fn::GetAtt': [template.getResourceId('AWS::DynamoDB::GlobalTable'), 'StreamArn'] };
  expect(statements).toContainEqual({ Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Effect: 'Allow', Resource: streamArn });
});

test('an added consumer grants its own function and bucket only', () => {
  const stack = newStack();
  const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
  const audit = orders.addConsumer('Audit');
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  audit.grantReplay(operator);
  const text = JSON.stringify(stack.resolve((operator.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy).policyDocument));
  expect(text).toContain(stack.getLogicalId(audit.failureBucket!.node.defaultChild as any));
  expect(text).not.toContain(stack.getLogicalId(orders.failureBucket!.node.defaultChild as any));
  expect(text).toContain(stack.getLogicalId(audit.handlerFunction.node.defaultChild as any));
});

test('FailureDestination.none(): nothing to replay, refused', () => {
  const stack = newStack();
  const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK, failureDestination: FailureDestination.none(), droppedRecordsAlarm: { enabled: false } });
  expect(() => orders.grantReplay(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() })))
    .toThrow('grantReplay: the failure destination is FailureDestination.none(), so there is nothing to replay');
});

test('cdk-nag on the operator role: only the two object-prefix wildcards, which the service\'s key layout requires', () => {
  const { stack } = replayStatements();
  const findings = new AwsSolutionsChecks().validateScope(stack.node.root).violations
    .flatMap((v) => v.violatingResources.map((r: any) => `${v.ruleName} @ ${r.constructPath}`))
    .filter((f) => f.includes('/Operator/'));
  expect(findings.sort()).toEqual([
    'AwsSolutions-IAM5[Resource::<OrdersFailureBucket2F046CC3.Arn>/aws/lambda/*] @ TestStack/Operator/DefaultPolicy/Resource',
    'AwsSolutions-IAM5[Resource::<OrdersFailureBucket2F046CC3.Arn>/replayed/aws/lambda/*] @ TestStack/Operator/DefaultPolicy/Resource',
  ]);
});
