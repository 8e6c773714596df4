/**
 * Where a function's calls to every AWS service but DynamoDB, DynamoDB Streams and S3 go offline (its
 * `AWS_ENDPOINT_URL`): an HTTP server on 127.0.0.1 that answers each request at once with an error naming the
 * service and the operation, e.g. `SNS Publish is not run offline: ...`, so that nothing leaves the machine and
 * a function fails fast and readably instead of hanging on a network call or signing in to AWS.
 *
 * The answer is shaped for the protocol the request came in, so that the SDK's own deserializer reads it
 * (awsJson1_0/1_1, awsQuery, restJson1, restXml, Smithy RPC v2 CBOR), and it is a 400 with a code that no
 * retry strategy retries: the SDK makes one attempt.
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, LoopbackServer } from './loopback-server';

export interface OfflineCall {
  /** The service's usual name (`SNS`, `EventBridge`), else its SigV4 signing name. */
  readonly service: string;
  /** The API operation (`Publish`), else (a REST path not mapped) the method and path. */
  readonly operation: string;
  /** When it was answered (milliseconds since the epoch). */
  readonly at: number;
}

export interface OfflineEndpoint extends LoopbackServer {
  /** every call answered, in order */
  readonly calls: readonly OfflineCall[];
}

export interface OfflineEndpointOptions {
  /** Called after each call is answered. */
  readonly onCall?: (call: OfflineCall) => void;
}

/** The error code of every answer (the SDK error's `name`): not a throttling, transient or clock-skew code. */
export const NOT_RUN_OFFLINE_CODE = 'NotRunOfflineException';

export async function startOfflineEndpoint(options: OfflineEndpointOptions = {}): Promise<OfflineEndpoint> {
  const calls: OfflineCall[] = [];
  const server = createServer((req, res) => {
    readBody(req, isFormEncoded(req)).then((body) => {
      const request = recognize(req, body);
      const call: OfflineCall = { service: request.service, operation: request.operation, at: Date.now() };
      calls.push(call);
      answer(res, request, notRunOfflineMessage(call));
      return call;
    }).then(
      (call) => options.onCall?.(call),
      // A request cut off midway (or one that cannot be read): nobody waits for an answer.
      () => res.destroy(),
    );
  });
  return { ...await listenOnLoopback(server), calls };
}

function notRunOfflineMessage(call: OfflineCall): string {
  return `${call.service} ${call.operation} is not run offline: the local runner serves DynamoDB, DynamoDB Streams and S3; this call would have gone to AWS`;
}

// ---------------------------------------------------------------------------------------------------
// Which service, which operation, which protocol
// ---------------------------------------------------------------------------------------------------

type Protocol = 'awsJson' | 'awsQuery' | 'restJson' | 'restXml' | 'rpcv2Cbor';

interface RecognizedRequest {
  readonly protocol: Protocol;
  readonly service: string;
  readonly operation: string;
  /** awsJson: the request's `application/x-amz-json-1.x`, answered in kind. */
  readonly contentType?: string;
}

/** SigV4 signing names to the names people use; an unknown one is shown as it is. */
const SERVICE_NAMES = new Map(Object.entries({
  'sns': 'SNS',
  'sqs': 'SQS',
  'events': 'EventBridge',
  'scheduler': 'EventBridge Scheduler',
  'pipes': 'EventBridge Pipes',
  'lambda': 'Lambda',
  'states': 'Step Functions',
  'secretsmanager': 'Secrets Manager',
  'ssm': 'SSM',
  'kinesis': 'Kinesis',
  'firehose': 'Firehose',
  'ses': 'SES',
  'email': 'SES',
  'sts': 'STS',
  'cloudwatch': 'CloudWatch',
  'monitoring': 'CloudWatch',
  'logs': 'CloudWatch Logs',
  'kms': 'KMS',
  'iam': 'IAM',
  'dynamodb': 'DynamoDB',
  's3': 'S3',
  'execute-api': 'API Gateway',
  'apigateway': 'API Gateway',
  'appsync': 'AppSync',
  'cognito-idp': 'Cognito User Pools',
  'xray': 'X-Ray',
  'athena': 'Athena',
  'glue': 'Glue',
  'ecs': 'ECS',
  'ec2': 'EC2',
  'rds-data': 'RDS Data API',
  'bedrock': 'Bedrock',
  'cloudfront': 'CloudFront',
  'route53': 'Route 53',
  'appconfig': 'AppConfig',
}));

/** Signing names of the restXml services, whose errors are XML (every other REST service speaks restJson1). */
const REST_XML_SERVICES = new Set(['s3', 'cloudfront', 'route53']);

function recognize(req: IncomingMessage, body: string): RecognizedRequest {
  const url = new URL(req.url ?? '/', 'http://offline');
  const signingName = signingNameOf(req, url);
  const named = (fallback: string | undefined) => SERVICE_NAMES.get(signingName ?? '') ?? signingName ?? fallback ?? 'AWS';

  if (header(req, 'smithy-protocol')?.toLowerCase() === 'rpc-v2-cbor') {
    // POST /service/<ServiceShape>/operation/<Operation>
    const [, service, operation] = /^\/service\/([^/]+)\/operation\/([^/]+)$/.exec(url.pathname) ?? [];
    return { protocol: 'rpcv2Cbor', service: named(service), operation: operation ?? `${req.method} ${url.pathname}` };
  }

  const target = header(req, 'x-amz-target');
  if (target) {
    // `AmazonSQS.SendMessage`, `AWSEvents.PutEvents`, `DynamoDB_20120810.PutItem`
    const dot = target.lastIndexOf('.');
    const contentType = header(req, 'content-type');
    return {
      protocol: 'awsJson',
      service: named(dot > 0 ? target.slice(0, dot) : undefined),
      operation: target.slice(dot + 1),
      contentType: contentType?.startsWith('application/x-amz-json') ? contentType : 'application/x-amz-json-1.0',
    };
  }

  const action = (isFormEncoded(req) ? new URLSearchParams(body).get('Action') : undefined) ?? url.searchParams.get('Action');
  if (action) {
    return { protocol: 'awsQuery', service: named(undefined), operation: action };
  }

  const operation = (signingName === 'lambda' ? lambdaOperation(req.method ?? 'GET', url.pathname) : undefined) ?? `${req.method} ${url.pathname}`;
  return { protocol: REST_XML_SERVICES.has(signingName ?? '') ? 'restXml' : 'restJson', service: named(undefined), operation };
}

/**
 * The service from the SigV4 credential scope, `<key>/<date>/<region>/<service>/aws4_request` (SigV4a has
 * no region), in the `Authorization` header or a presigned URL's `X-Amz-Credential`.
 */
function signingNameOf(req: IncomingMessage, url: URL): string | undefined {
  const credential = /Credential=([^,\s]+)/.exec(header(req, 'authorization') ?? '')?.[1] ?? url.searchParams.get('X-Amz-Credential');
  const scope = credential?.split('/') ?? [];
  return scope.length >= 4 && scope[scope.length - 1] === 'aws4_request' ? scope[scope.length - 2] : undefined;
}

/** Lambda's common REST operations (restJson1), by method and path as the SDK sends them. */
const LAMBDA_OPERATIONS: ReadonlyArray<{ readonly method: string; readonly path: RegExp; readonly operation: string }> = [
  ['POST', '/2015-03-31/functions/{FunctionName}/invocations', 'Invoke'],
  ['POST', '/2014-11-13/functions/{FunctionName}/invoke-async', 'InvokeAsync'],
  ['POST', '/2021-11-15/functions/{FunctionName}/response-streaming-invocations', 'InvokeWithResponseStream'],
  ['GET', '/2015-03-31/functions', 'ListFunctions'],
  ['POST', '/2015-03-31/functions', 'CreateFunction'],
  ['GET', '/2015-03-31/functions/{FunctionName}', 'GetFunction'],
  ['DELETE', '/2015-03-31/functions/{FunctionName}', 'DeleteFunction'],
  ['GET', '/2015-03-31/functions/{FunctionName}/configuration', 'GetFunctionConfiguration'],
  ['PUT', '/2015-03-31/functions/{FunctionName}/configuration', 'UpdateFunctionConfiguration'],
  ['PUT', '/2015-03-31/functions/{FunctionName}/code', 'UpdateFunctionCode'],
  ['POST', '/2015-03-31/functions/{FunctionName}/versions', 'PublishVersion'],
  ['GET', '/2015-03-31/functions/{FunctionName}/versions', 'ListVersionsByFunction'],
  ['GET', '/2015-03-31/functions/{FunctionName}/aliases', 'ListAliases'],
  ['GET', '/2015-03-31/functions/{FunctionName}/aliases/{Name}', 'GetAlias'],
  ['POST', '/2015-03-31/functions/{FunctionName}/policy', 'AddPermission'],
  ['GET', '/2015-03-31/functions/{FunctionName}/policy', 'GetPolicy'],
  ['PUT', '/2017-10-31/functions/{FunctionName}/concurrency', 'PutFunctionConcurrency'],
  ['GET', '/2015-03-31/event-source-mappings', 'ListEventSourceMappings'],
  ['POST', '/2015-03-31/event-source-mappings', 'CreateEventSourceMapping'],
  ['GET', '/2015-03-31/event-source-mappings/{UUID}', 'GetEventSourceMapping'],
  ['PUT', '/2015-03-31/event-source-mappings/{UUID}', 'UpdateEventSourceMapping'],
  ['DELETE', '/2015-03-31/event-source-mappings/{UUID}', 'DeleteEventSourceMapping'],
  ['GET', '/2016-08-19/account-settings', 'GetAccountSettings'],
].map(([method, template, operation]) => ({
  method,
  // A `{label}` is one URL-encoded path segment (a function ARN's colons arrive as %3A); a trailing slash is allowed.
  path: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
  operation,
}));

function lambdaOperation(method: string, pathname: string): string | undefined {
  return LAMBDA_OPERATIONS.find((o) => o.method === method && o.path.test(pathname))?.operation;
}

// ---------------------------------------------------------------------------------------------------
// The answer, in the request's protocol
// ---------------------------------------------------------------------------------------------------

function answer(res: ServerResponse, request: RecognizedRequest, message: string): void {
  const requestId = randomUUID();
  // 400: a client error, which the SDK neither retries nor mistakes for a throttle or an outage.
  res.statusCode = 400;
  res.setHeader('x-amzn-RequestId', requestId);
  switch (request.protocol) {
    case 'awsJson':
      res.setHeader('content-type', request.contentType!);
      res.setHeader('x-amzn-ErrorType', NOT_RUN_OFFLINE_CODE);
      res.end(JSON.stringify({ __type: NOT_RUN_OFFLINE_CODE, message }));
      return;
    case 'restJson':
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-amzn-ErrorType', NOT_RUN_OFFLINE_CODE);
      res.end(JSON.stringify({ message }));
      return;
    case 'awsQuery':
    case 'restXml':
      // awsQuery's error document; restXml deserializers read the same <Error> element.
      res.setHeader('content-type', 'text/xml');
      res.end(
        '<ErrorResponse><Error><Type>Sender</Type>'
        + `<Code>${NOT_RUN_OFFLINE_CODE}</Code><Message>${escapeXml(message)}</Message>`
        + `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    case 'rpcv2Cbor':
      // The SDK refuses an RPC v2 CBOR response without this header.
      res.setHeader('smithy-protocol', 'rpc-v2-cbor');
      res.setHeader('content-type', 'application/cbor');
      res.end(cborTextMap({ __type: NOT_RUN_OFFLINE_CODE, message }));
      return;
  }
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);
}

/** CBOR (RFC 8949) of a map from text to text: all that an RPC v2 CBOR error body holds. */
function cborTextMap(entries: Record<string, string>): Buffer {
  const parts = [cborHead(5, Object.keys(entries).length)];
  for (const text of Object.entries(entries).flat()) {
    const utf8 = Buffer.from(text, 'utf8');
    parts.push(cborHead(3, utf8.length), utf8);
  }
  return Buffer.concat(parts);
}

/** A data item's head: major type (3 text string, 5 map) in the top 3 bits, then its length in the shortest form. */
function cborHead(majorType: number, length: number): Buffer {
  const type = majorType * 32;
  if (length < 24) return Buffer.from([type + length]);
  if (length < 0x100) return Buffer.from([type + 24, length]);
  const head = Buffer.alloc(length < 0x10000 ? 3 : 5);
  if (length < 0x10000) head.writeUInt16BE(length, 1);
  else head.writeUInt32BE(length, 1);
  head[0] = type + (length < 0x10000 ? 25 : 26);
  return head;
}

// ---------------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------------

/** Enough of an awsQuery body to find its `Action` (the SDK writes it first). */
const MAX_KEPT_BODY_BYTES = 1024 * 1024;

function isFormEncoded(req: IncomingMessage): boolean {
  return header(req, 'content-type')?.startsWith('application/x-www-form-urlencoded') ?? false;
}

/**
 * The whole body is read before answering, kept only when `keep`: answering while the client still sends
 * would reset the connection, an error that the SDK retries.
 */
function readBody(req: IncomingMessage, keep: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    req.on('data', (chunk: Buffer) => {
      if (keep && kept < MAX_KEPT_BODY_BYTES) {
        chunks.push(chunk);
        kept += chunk.length;
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
