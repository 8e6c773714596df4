/**
 * The runner's DynamoDB endpoint: a pass-through in front of DynamoDB Local that notices writes. Every request
 * (the functions', the tests' and the runner's own) is forwarded unchanged on a kept-alive connection; once
 * DynamoDB answered a write, `onWrite` is called, so the mappings read the new stream records at once instead
 * of at their next poll. The Streams API readers talk to DynamoDB Local directly.
 */
import * as http from 'node:http';
import { listenOnLoopback, LoopbackServer } from './loopback-server';

/** DynamoDB operations that can add stream records (X-Amz-Target `DynamoDB_20120810.<operation>`). */
const WRITES = new Set([
  'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems',
  'ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction',
]);

/** `endpoint`: give it to every client instead of the engine's own endpoint. */
export type DynamoDbProxy = LoopbackServer;

export async function startDynamoDbProxy(target: string, onWrite: () => void): Promise<DynamoDbProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((request, response) => {
    const operation = String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const forwarded = http.request({
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: request.headers,
      agent,
    }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
      answer.on('end', () => {
        if (WRITES.has(operation)) onWrite();
      });
    });
    // DynamoDB gone: the client sees a connection reset, as it would talking to DynamoDB itself.
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  server.keepAliveTimeout = 60_000;
  const listening = await listenOnLoopback(server);
  return {
    endpoint: listening.endpoint,
    stop: () => {
      agent.destroy();
      return listening.stop();
    },
  };
}
