import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

/** The DynamoDB endpoint cannot be used: the message says which endpoint and what to do. */
export class DynamoEndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DynamoEndpointError';
  }
}

/**
 * Long enough for a DynamoDB Local that just started on a busy machine (its first request also warms the JVM
 * up); an endpoint where nothing listens fails at once anyway (connection refused).
 */
const PROBE_TIMEOUT_MS = 20_000;

/** Asks the endpoint for one table name: resolves when it answers as DynamoDB does, else says why not. */
export async function probeDynamoDb(client: DynamoDBClient, endpoint: string): Promise<void> {
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (e) {
    throw new DynamoEndpointError(describeEndpointFailure(e, endpoint));
  }
}

/** The socket error codes of an endpoint that is not there. */
const SOCKET_CODES = ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT'];

/** True for the errors of an endpoint that is not there (as opposed to one that refuses a request). */
export function isConnectionFailure(error: unknown): boolean {
  const code = errorCode(error);
  const name = (error as { name?: string })?.name;
  return (code !== undefined && SOCKET_CODES.includes(code)) || name === 'TimeoutError' || name === 'AbortError';
}

function describeEndpointFailure(error: unknown, endpoint: string): string {
  const code = errorCode(error);
  const name = (error as { name?: string })?.name;
  if (code === 'ECONNREFUSED') {
    return `cannot reach DynamoDB at ${endpoint}: the connection was refused. Is DynamoDB Local running there? `
      + '(Leave out --endpoint to start the embedded one.)';
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot reach DynamoDB at ${endpoint}: the host ${hostOf(endpoint)} is not known.`;
  }
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ETIMEDOUT') {
    return `DynamoDB at ${endpoint} did not answer within ${PROBE_TIMEOUT_MS / 1000} s: is the port right, and the server up?`;
  }
  if (code) return `cannot reach DynamoDB at ${endpoint}: ${code} (${(error as Error).message})`;
  // The SDK's deserialization errors run over several lines: the first says what came back.
  const message = String((error as Error)?.message ?? error).split('\n')[0];
  return `the endpoint ${endpoint} answered, but not as DynamoDB does (${name ?? 'error'}: ${message}): is it a DynamoDB Local?`;
}

const SOCKET_CODE_IN_MESSAGE = new RegExp(`\\b(${SOCKET_CODES.join('|')})\\b`);

/**
 * Node puts the socket's code on the error or on its cause (fetch, the SDK's HTTP handler). Under jest the
 * error comes from another realm, so the SDK wraps it ("AWS SDK error wrapper for Error: connect
 * ECONNREFUSED ...") and only the message still says it.
 */
function errorCode(error: unknown): string | undefined {
  const e = error as { code?: string; cause?: { code?: string }; errors?: Array<{ code?: string }>; message?: string } | undefined;
  return e?.code ?? e?.cause?.code ?? e?.errors?.find((inner) => inner.code)?.code ?? SOCKET_CODE_IN_MESSAGE.exec(String(e?.message ?? ''))?.[1];
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).hostname;
  } catch {
    return endpoint;
  }
}
