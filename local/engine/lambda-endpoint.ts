/**
 * The Lambda Invoke API offline: an HTTP server on 127.0.0.1 that takes `POST
 * /2015-03-31/functions/<name or ARN>/invocations` as the SDK sends it (`aws lambda invoke`, the replay
 * command, any client pointed at it with AWS_ENDPOINT_URL_LAMBDA) and runs the runner's function.
 *
 * Answers as Lambda does: 200 with the handler's result as the body; a function error is a 200 too, with
 * `X-Amz-Function-Error: Unhandled` and `{"errorType", "errorMessage", "trace"}`; `InvocationType: Event` is
 * accepted with 202 and run in the background, `DryRun` with 204. A function the runner does not run is a 404
 * `ResourceNotFoundException`. Other Lambda operations answer 400, naming themselves as not run offline.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, LoopbackServer } from './loopback-server';
import type { InvokeResult } from '../lambda/function-host';

/** A function the endpoint can invoke. */
export interface InvokableFunction {
  readonly functionName: string;
  invoke(event: unknown): Promise<InvokeResult>;
}

export interface LambdaEndpointOptions {
  /** The function of a name (the last segment of an ARN, without qualifier), or undefined. */
  readonly lookup: (functionName: string) => InvokableFunction | undefined;
  /** After each synchronous invocation that ran, with the event and its result. */
  readonly onInvoked?: (fn: InvokableFunction, event: unknown, result: InvokeResult) => void;
}

/** `endpoint`: give it as AWS_ENDPOINT_URL_LAMBDA. */
export type LambdaEndpoint = LoopbackServer;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

export async function startLambdaEndpoint(options: LambdaEndpointOptions): Promise<LambdaEndpoint> {
  const server = createServer((req, res) => {
    readBody(req).then((body) => handle(options, req, body, res)).catch((e: Error) => {
      if (!res.headersSent) error(res, 500, 'ServiceException', e.message);
      else res.destroy();
    });
  });
  return listenOnLoopback(server);
}

async function handle(options: LambdaEndpointOptions, req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = req.method === 'POST' ? INVOKE_PATH.exec(url.pathname) : null;
  if (!match) {
    error(res, 400, 'NotRunOfflineException', `Lambda ${req.method} ${url.pathname} is not run offline: the local runner serves Invoke only`);
    return;
  }
  const identifier = decodeURIComponent(match[1]);
  const fn = options.lookup(functionNameOf(identifier));
  if (!fn) {
    error(res, 404, 'ResourceNotFoundException', `Function not found: ${identifier} (the local runner runs the functions of its mappings)`);
    return;
  }
  let event: unknown;
  try {
    event = body.length === 0 ? {} : JSON.parse(body);
  } catch {
    error(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    return;
  }
  const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (type === 'DryRun') {
    res.writeHead(204).end();
    return;
  }
  if (type === 'Event') {
    res.writeHead(202).end();
    void fn.invoke(event).catch(() => undefined);
    return;
  }
  const result = await fn.invoke(event);
  options.onInvoked?.(fn, event, result);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' };
  if (result.status === 'error') {
    headers['X-Amz-Function-Error'] = 'Unhandled';
    res.writeHead(200, headers).end(JSON.stringify({ errorType: result.errorType, errorMessage: result.errorMessage, trace: [] }));
    return;
  }
  res.writeHead(200, headers).end(JSON.stringify(result.payload ?? null));
}

/** `name`, `name:qualifier`, `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` or `<account>:function:<name>`. */
function functionNameOf(identifier: string): string {
  const parts = identifier.split(':');
  const at = parts.indexOf('function');
  return at >= 0 ? parts[at + 1] ?? '' : parts[0];
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': code })
    .end(JSON.stringify({ Type: 'User', message }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
