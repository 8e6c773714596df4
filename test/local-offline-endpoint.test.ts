/**
 * The endpoint behind a function's AWS_ENDPOINT_URL offline: every call to a service the runner does not
 * serve fails at once, in one attempt, with an error the SDK reads as the service sent it. First with the
 * real clients configured as a function is (environment only), then with requests crafted per protocol.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
// The SDK core (a dependency of every client) holds the RPC v2 CBOR protocol that no installed client uses.
/* eslint-disable import/no-extraneous-dependencies */
import { cbor, SmithyRpcV2CborProtocol } from '@smithy/core/cbor';
import { ServiceException } from '@smithy/core/client';
import { op, TypeRegistry } from '@smithy/core/schema';
/* eslint-enable import/no-extraneous-dependencies */
import { NOT_RUN_OFFLINE_CODE, OfflineCall, OfflineEndpoint, startOfflineEndpoint } from '../local/engine/offline-endpoint';

const SERVED = 'is not run offline: the local runner serves DynamoDB, DynamoDB Streams and S3; this call would have gone to AWS';

let offline: OfflineEndpoint;
const notified: OfflineCall[] = [];
beforeEach(async () => {
  notified.length = 0;
  offline = await startOfflineEndpoint({ onCall: (call) => notified.push(call) });
});
afterEach(async () => {
  await offline.stop();
});

describe('the SDK clients, configured as a function offline is', () => {
  let savedEnv: NodeJS.ProcessEnv;
  beforeEach(() => {
    savedEnv = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: offline.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    });
  });
  afterEach(() => {
    process.env = savedEnv;
  });

  /** The error a call rejects with, and how long it took. */
  async function failureOf(call: () => Promise<unknown>): Promise<{ error: any; elapsedMs: number }> {
    const started = performance.now();
    const outcome = await call().then(() => 'resolved', (error: unknown) => error);
    if (outcome === 'resolved') throw new Error('the call was expected to fail');
    return { error: outcome, elapsedMs: performance.now() - started };
  }

  test('SNS Publish, SQS SendMessage, EventBridge PutEvents and Lambda Invoke each fail at once, naming the call, in one attempt', async () => {
    const calls: Array<[service: string, operation: string, call: () => Promise<unknown>]> = [
      ['SNS', 'Publish', () => new SNSClient({}).send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders', Message: 'shipped' }))],
      // The SQS client sends a call to its queue URL's host (useQueueUrlAsEndpoint), not to AWS_ENDPOINT_URL:
      // offline, a queue URL must be on this endpoint.
      ['SQS', 'SendMessage', () => new SQSClient({}).send(new SendMessageCommand({ QueueUrl: `${offline.endpoint}/000000000000/orders`, MessageBody: 'shipped' }))],
      ['EventBridge', 'PutEvents', () => new EventBridgeClient({}).send(new PutEventsCommand({ Entries: [{ Source: 'orders', DetailType: 'shipped', Detail: '{}' }] }))],
      ['Lambda', 'Invoke', () => new LambdaClient({}).send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:notify' }))],
    ];
    for (const [service, operation, call] of calls) {
      const { error, elapsedMs } = await failureOf(call);
      expect({ name: error.name, message: error.message, fault: error.$fault, status: error.$metadata.httpStatusCode })
        .toEqual({ name: NOT_RUN_OFFLINE_CODE, message: `${service} ${operation} ${SERVED}`, fault: 'client', status: 400 });
      expect(error.$metadata.attempts).toBe(1);
      expect(elapsedMs).toBeLessThan(1_000);
      expect(offline.calls.filter((c) => c.service === service && c.operation === operation)).toHaveLength(1);
    }
    expect(offline.calls.map((c) => `${c.service} ${c.operation}`)).toEqual(calls.map(([service, operation]) => `${service} ${operation}`));
    expect(notified).toEqual(offline.calls);
  });

  test('restXml: the S3 client reads the answer (as CloudFront and Route 53 would)', async () => {
    const { error } = await failureOf(() => new S3Client({}).send(new GetObjectCommand({ Bucket: 'archive', Key: 'orders/1.json' })));
    expect({ name: error.name, message: error.message, attempts: error.$metadata.attempts })
      .toEqual({ name: NOT_RUN_OFFLINE_CODE, message: `S3 GET /archive/orders/1.json ${SERVED}`, attempts: 1 });
  });
});

describe('requests crafted per protocol', () => {
  /** A SigV4 Authorization header whose credential scope names the service. */
  const signedFor = (signingName: string) => ({
    authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/${signingName}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd`,
  });

  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${offline.endpoint}${path}`, { method: 'POST', ...init });
  }

  /** The `message` of a JSON error body. */
  async function messageOf(response: Response): Promise<string> {
    return ((await response.json()) as { message: string }).message;
  }

  test('awsJson1_0 and awsJson1_1: the operation from X-Amz-Target, the service from the credential scope', async () => {
    const sqs = await send('/', {
      headers: { ...signedFor('sqs'), 'x-amz-target': 'AmazonSQS.SendMessage', 'content-type': 'application/x-amz-json-1.0' },
      body: '{"QueueUrl":"q","MessageBody":"m"}',
    });
    expect(sqs.status).toBe(400);
    expect(sqs.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(sqs.headers.get('x-amzn-errortype')).toBe(NOT_RUN_OFFLINE_CODE);
    expect(await sqs.json()).toEqual({ __type: NOT_RUN_OFFLINE_CODE, message: `SQS SendMessage ${SERVED}` });

    const states = await send('/', {
      headers: { ...signedFor('states'), 'x-amz-target': 'AWSStepFunctions.StartExecution', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(states.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await messageOf(states)).toBe(`Step Functions StartExecution ${SERVED}`);

    // Unsigned: the target's prefix stands for the service.
    const unsigned = await send('/', { headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(await messageOf(unsigned)).toBe(`AWSEvents PutEvents ${SERVED}`);
  });

  test('awsQuery: the operation from the form body (or a presigned URL), answered with an XML ErrorResponse', async () => {
    const sns = await send('/', {
      headers: { ...signedFor('sns'), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders&Message=shipped',
    });
    expect(sns.status).toBe(400);
    expect(sns.headers.get('content-type')).toBe('text/xml');
    const requestId = sns.headers.get('x-amzn-requestid');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await sns.text()).toBe(
      '<ErrorResponse><Error><Type>Sender</Type>'
      + `<Code>${NOT_RUN_OFFLINE_CODE}</Code><Message>SNS Publish ${SERVED}</Message>`
      + `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );

    const presigned = await send(`/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=${encodeURIComponent('local/20260101/us-east-1/sts/aws4_request')}`, { method: 'GET' });
    expect(await presigned.text()).toContain(`<Message>STS GetCallerIdentity ${SERVED}</Message>`);
  });

  test('restJson1: Lambda operations by method and path, any other path as it came; x-amzn-ErrorType and a JSON message', async () => {
    const lambda = (method: string, path: string) => send(path, { method, headers: signedFor('lambda') });
    const invoke = await lambda('POST', '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Anotify/invocations');
    expect(invoke.status).toBe(400);
    expect(invoke.headers.get('content-type')).toBe('application/json');
    expect(invoke.headers.get('x-amzn-errortype')).toBe(NOT_RUN_OFFLINE_CODE);
    expect(await invoke.json()).toEqual({ message: `Lambda Invoke ${SERVED}` });

    for (const [method, path, operation] of [
      ['GET', '/2015-03-31/functions/notify/configuration', 'GetFunctionConfiguration'],
      ['GET', '/2015-03-31/functions/?MaxItems=10', 'ListFunctions'],
      ['POST', '/2014-11-13/functions/notify/invoke-async/', 'InvokeAsync'],
      ['DELETE', '/2015-03-31/event-source-mappings/6b1c6e5a-0000-4000-8000-000000000000', 'DeleteEventSourceMapping'],
      ['PUT', '/2099-01-01/functions/notify/something-new', 'PUT /2099-01-01/functions/notify/something-new'],
    ]) {
      expect(await messageOf(await lambda(method, path))).toBe(`Lambda ${operation} ${SERVED}`);
    }
  });

  test('restXml: the method and path, XML-escaped', async () => {
    const s3 = await send('/archive/a&b<c>.json', { method: 'PUT', headers: signedFor('s3'), body: 'x' });
    expect(s3.headers.get('content-type')).toBe('text/xml');
    expect(await s3.text()).toContain(`<Message>S3 PUT /archive/a&amp;b%3Cc%3E.json ${SERVED}</Message>`);
  });

  test('Smithy RPC v2 CBOR: the operation from the path, a CBOR body that the SDK reads, with the smithy-protocol header', async () => {
    const rpcV2Cbor = async (operation: string) => {
      const response = await send(`/service/GraniteServiceVersion20100801/operation/${operation}`, {
        headers: { ...signedFor('monitoring'), 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', 'accept': 'application/cbor' },
        body: new Uint8Array(cbor.serialize({ Namespace: 'Orders' })),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      return { statusCode: response.status, headers: Object.fromEntries(response.headers.entries()), body };
    };
    const answer = await rpcV2Cbor('PutMetricData');
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['smithy-protocol']).toBe('rpc-v2-cbor');
    expect(answer.headers['content-type']).toBe('application/cbor');
    expect(cbor.deserialize(answer.body)).toEqual({ __type: NOT_RUN_OFFLINE_CODE, message: `CloudWatch PutMetricData ${SERVED}` });

    // No installed client speaks RPC v2 CBOR: its protocol reads the answer as a generated CloudWatch client
    // would, with the service's base exception registered for unknown codes.
    class CloudWatchServiceException extends ServiceException {}
    const syntheticNamespace = 'smithy.ts.sdk.synthetic.com.amazonaws.cloudwatch';
    const errors = new TypeRegistry(syntheticNamespace);
    errors.registerError([-3, syntheticNamespace, 'CloudWatchServiceException', 0, [], []], CloudWatchServiceException);
    const protocol = new SmithyRpcV2CborProtocol({ defaultNamespace: 'com.amazonaws.cloudwatch', errorTypeRegistries: [errors] });
    const putMetricData = op('com.amazonaws.cloudwatch', 'PutMetricData', 0, 'unit', 'unit');
    const error: any = await protocol.deserializeResponse(putMetricData, {} as any, answer).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(CloudWatchServiceException);
    expect({ name: error.name, message: error.message, fault: error.$fault, status: error.$metadata.httpStatusCode })
      .toEqual({ name: NOT_RUN_OFFLINE_CODE, message: `CloudWatch PutMetricData ${SERVED}`, fault: 'client', status: 400 });

    // A message over 255 bytes takes CBOR's two-byte length.
    const long = `Put${'Metric'.repeat(50)}`;
    expect(cbor.deserialize((await rpcV2Cbor(long)).body)).toEqual({ __type: NOT_RUN_OFFLINE_CODE, message: `CloudWatch ${long} ${SERVED}` });
  });

  test('signing names map to the usual service names; an unknown one is shown as it is', async () => {
    for (const [signingName, service] of [
      ['events', 'EventBridge'], ['secretsmanager', 'Secrets Manager'], ['ssm', 'SSM'], ['kinesis', 'Kinesis'], ['firehose', 'Firehose'],
      ['email', 'SES'], ['ses', 'SES'], ['logs', 'CloudWatch Logs'], ['cloudwatch', 'CloudWatch'], ['newservice', 'newservice'],
    ]) {
      const response = await send('/', { headers: { ...signedFor(signingName), 'x-amz-target': 'Service.DoThing', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
      expect(await messageOf(response)).toBe(`${service} DoThing ${SERVED}`);
    }
  });

  test('every call is recorded in order, with when it was answered, and passed to onCall', async () => {
    const before = Date.now();
    await send('/', { headers: { ...signedFor('sqs'), 'x-amz-target': 'AmazonSQS.ReceiveMessage', 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
    await send('/', { headers: { ...signedFor('sns'), 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListTopics' });
    expect(offline.calls.map(({ service, operation }) => ({ service, operation })))
      .toEqual([{ service: 'SQS', operation: 'ReceiveMessage' }, { service: 'SNS', operation: 'ListTopics' }]);
    expect(offline.calls[0].at).toBeGreaterThanOrEqual(before);
    expect(offline.calls[1].at).toBeGreaterThanOrEqual(offline.calls[0].at);
    expect(offline.calls[1].at).toBeLessThanOrEqual(Date.now());
    expect(notified).toEqual(offline.calls);
  });
});

test('stop() closes the endpoint (kept-alive connections too) and can be called again', async () => {
  // A kept-alive connection, as the SDK keeps them.
  await fetch(`${offline.endpoint}/`, { method: 'POST', headers: { 'x-amz-target': 'AmazonSQS.SendMessage' }, body: '{}' });
  await offline.stop();
  await offline.stop();
  await expect(fetch(`${offline.endpoint}/`, { method: 'POST', body: '{}' })).rejects.toThrow();
});
