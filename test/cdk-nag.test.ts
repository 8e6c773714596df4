import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { StreamTriggeredTable } from '../src';
import { defaults, everyOption, twoConsumers } from './configurations';

// cdk-nag AwsSolutions and Serverless packs: zero unacknowledged findings. Each acknowledgement below
// carries its reason, and the README lists the same ones for users to copy.

const REASONS = {
  failureObjectsPrefix: 'Lambda writes on-failure records under aws/lambda/<mapping-uuid>/<shard>/<date>/...; the keys '
    + 'are made by the service, so PutObject is scoped to the aws/lambda/ prefix of this one bucket (the mapping id '
    + 'cannot be named without a circular dependency: the mapping needs the permission to exist first).',
  accessLogs: 'The failure bucket is written only by the event source mapping and read by operators recovering records; '
    + 'pass FailureDestination.newBucket({ serverAccessLogsBucket }) to log access where policy requires it.',
  lambdaDlq: 'The function is invoked only by its event source mapping (synchronously), never asynchronously: a DLQ '
    + 'would never receive anything. Failed batches go to the mapping\'s on-failure destination instead.',
  tracing: 'The change-log handler calls no other service, so a trace shows only the invocation; X-Ray is off by '
    + 'default to avoid its cost and its Resource::* permission, and StreamHandler.bundled({ tracing }) turns it on.',
  xray: 'X-Ray tracing (turned on in this configuration) needs xray:PutTraceSegments and xray:PutTelemetryRecords, '
    + 'which do not support resource-level permissions.',
};

/** Runs both packs and returns the findings left after acknowledgements, as `rule @ construct path`. */
function unacknowledged(app: App): string[] {
  const findings: string[] = [];
  for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
    for (const v of pack.validateScope(app).violations) {
      for (const r of v.violatingResources) findings.push(`${v.ruleName} @ ${(r as any).constructPath ?? JSON.stringify(r)}`);
    }
  }
  return findings;
}

function build(configure: (stack: Stack) => StreamTriggeredTable): { app: App; construct: StreamTriggeredTable } {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, construct: configure(stack) };
}

const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });

describe('cdk-nag', () => {
  test('without acknowledgements, the defaults draw exactly the findings the README explains', () => {
    const { app } = build(defaults);
    expect(unacknowledged(app).map((f) => f.split(' @ ')[0]).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::<OrdersFailureBucket2F046CC3.Arn>/aws/lambda/*]',
      'AwsSolutions-S1',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaTracing',
    ]);
  });

  test('defaults: zero unacknowledged findings', () => {
    const { app, construct } = build(defaults);
    ack(construct.handlerFunction.role!, 'AwsSolutions-IAM5[Resource::<OrdersFailureBucket2F046CC3.Arn>/aws/lambda/*]', REASONS.failureObjectsPrefix);
    ack(construct.failureBucket!, 'AwsSolutions-S1', REASONS.accessLogs);
    ack(construct.handlerFunction, 'Serverless-LambdaDLQ', REASONS.lambdaDlq);
    ack(construct.handlerFunction, 'Serverless-LambdaTracing', REASONS.tracing);
    expect(unacknowledged(app)).toEqual([]);
  });

  test('every option set: zero unacknowledged findings', () => {
    const { app, construct } = build(everyOption);
    ack(construct.handlerFunction.role!, 'AwsSolutions-IAM5[Resource::<OrdersFailureBucket2F046CC3.Arn>/aws/lambda/*]', REASONS.failureObjectsPrefix);
    ack(construct.handlerFunction.role!, 'AwsSolutions-IAM5[Resource::*]', REASONS.xray);
    ack(construct.handlerFunction, 'Serverless-LambdaDLQ', REASONS.lambdaDlq);
    expect(unacknowledged(app)).toEqual([]);
  });

  test('two consumers: each draws the findings of one consumer, on its own resources', () => {
    const { app } = build(twoConsumers);
    expect(unacknowledged(app).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::<OrdersFailureBucket2F046CC3.Arn>/aws/lambda/*] @ Nag/Orders/HandlerRole/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<OrdersShipmentAuditFailureBucketF96667E3.Arn>/aws/lambda/*] @ Nag/Orders/ShipmentAudit/HandlerRole/DefaultPolicy/Resource',
      'AwsSolutions-S1 @ Nag/Orders/FailureBucket/Resource',
      'AwsSolutions-S1 @ Nag/Orders/ShipmentAudit/FailureBucket/Resource',
      'Serverless-LambdaDLQ @ Nag/Orders/Handler/Resource',
      'Serverless-LambdaDLQ @ Nag/Orders/ShipmentAudit/Handler/Resource',
      'Serverless-LambdaTracing @ Nag/Orders/Handler/Resource',
      'Serverless-LambdaTracing @ Nag/Orders/ShipmentAudit/Handler/Resource',
    ]);
  });

  test('two consumers: zero unacknowledged findings, with the same reasons for the added consumer', () => {
    const { app, construct } = build(twoConsumers);
    const [audit] = construct.consumers;
    ack(construct.handlerFunction.role!, 'AwsSolutions-IAM5[Resource::<OrdersFailureBucket2F046CC3.Arn>/aws/lambda/*]', REASONS.failureObjectsPrefix);
    ack(audit.handlerFunction.role!, 'AwsSolutions-IAM5[Resource::<OrdersShipmentAuditFailureBucketF96667E3.Arn>/aws/lambda/*]', REASONS.failureObjectsPrefix);
    for (const consumer of [construct, audit]) {
      ack(consumer.failureBucket!, 'AwsSolutions-S1', REASONS.accessLogs);
      ack(consumer.handlerFunction, 'Serverless-LambdaDLQ', REASONS.lambdaDlq);
      ack(consumer.handlerFunction, 'Serverless-LambdaTracing', REASONS.tracing);
    }
    expect(unacknowledged(app)).toEqual([]);
  });

  test('the IAM5 resource finding on the role is only the X-Ray statement', () => {
    const { construct } = build(everyOption);
    const stack = Stack.of(construct);
    const policy = stack.resolve((construct.handlerFunction.role!.node.findChild('DefaultPolicy').node.defaultChild as any).policyDocument);
    const starStatements = policy.Statement.filter((s: any) => s.Resource === '*');
    expect(starStatements).toEqual([{
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*',
    }]);
  });
});
