/**
 * The app's buckets offline: s3rver (an S3 API over the filesystem) on 127.0.0.1, reached by the runner and by
 * the functions with the same SDK calls as on AWS.
 *
 * The directory is a real view of the buckets (s3rver's filesystem store): one folder per bucket; an object's
 * bytes at `<bucket>/<key>._S3rver_object`, the key's `/` becoming folders, next to
 * `<key>._S3rver_metadata.json` (content type, user metadata) and `<key>._S3rver_object.md5` (its ETag).
 *
 * s3rver 3.7.1 (its last release, pinned) predates today's Node and SDK in two ways, mended here in its
 * controllers, once per process:
 * - ListObjectsV2 continuation tokens: s3rver encrypts them with DES, which OpenSSL 3 (Node 17 and later)
 *   refuses, so every truncated listing answered 500. Tokens here are the bucket and last key, base64-encoded.
 * - aws-chunked uploads: the SDK (since 3.729) sends a streamed body in aws-chunked framing with a checksum
 *   trailer, which s3rver would store verbatim. The framing is taken off before s3rver sees the body.
 */
import { promises as fs } from 'node:fs';
import { createServer, RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { requireResolvableS3Modules, s3Modules } from './lazy-s3';

export interface LocalS3Options {
  /** Where s3rver keeps objects (s3rver's filesystem store). */
  readonly directory: string;
  /** Port; default a free one chosen by the OS. */
  readonly port?: number;
}

export interface LocalS3 {
  /** e.g. http://127.0.0.1:40123 — an IP address, so the SDK addresses buckets path-style without forcePathStyle. */
  readonly endpoint: string;
  readonly directory: string;
  /** Credentials the server accepts (give them to every client and function). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  createBucket(name: string): Promise<void>;
  /**
   * True when the store's folders show that no object lies under `prefix` (a `/`-ended prefix of plain
   * characters) of an existing bucket, read without starting s3rver; false means: ask the S3 API.
   */
  isEmptyUnder(bucket: string, prefix: string): Promise<boolean>;
  /** Stops listening; objects stay in the directory. Safe to call more than once. */
  stop(): Promise<void>;
}

/** What functions offline get as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (DynamoDB Local accepts anything). */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const directory = path.resolve(options.directory);
  const where = `local S3 (s3rver) on 127.0.0.1:${options.port ?? '<a free port>'} with directory ${directory}`;
  // s3rver is loaded and made at the first request, not here: most test files never send one, and the endpoint
  // is still there for a function that calls S3 anyway (it gets S3's own answer, never AWS's). That it can be
  // loaded is checked now, so that a broken install fails the start rather than every request.
  requireResolvableS3Modules(where);
  let handler: RequestListener | undefined;
  const s3rverHandler = (): RequestListener => {
    if (handler) return handler;
    const s3rver = loadS3rver();
    // s3rver looks the access key up in its account registry (unknown ones get InvalidAccessKeyId); it does not
    // verify SigV4 signatures, so allowMismatchedSignatures would change nothing: registering the key is what counts.
    s3rver.AWSAccount.DUMMY_ACCOUNT.createKeyPair(LOCAL_CREDENTIALS.accessKeyId, LOCAL_CREDENTIALS.secretAccessKey);
    const app = new s3rver.S3rver({
      directory,
      silent: true,
      // Path-style only: a host name (say host.docker.internal) must not be read as a bucket name.
      vhostBuckets: false,
    });
    handler = app.getMiddleware();
    return handler;
  };

  // Our own HTTP server around s3rver's request handler (its documented getMiddleware): s3rver's run() never
  // settles when the port is taken, the error escaping as an uncaught exception instead.
  const httpServer = createServer((request, response) => {
    let handle: RequestListener;
    try {
      handle = s3rverHandler();
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`${where} could not start: ${(error as Error).message}`);
      return;
    }
    handle(request, response);
  });
  try {
    await fs.mkdir(directory, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? 0, '127.0.0.1', () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new Error(`${where} could not start: ${(error as Error | undefined)?.message ?? String(error)}`, { cause: error });
  }
  const port = (httpServer.address() as AddressInfo).port;

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    credentials: LOCAL_CREDENTIALS,
    async createBucket(name: string): Promise<void> {
      // Straight into the store, as s3rver's own configureBuckets does; the name becomes a folder, so it is checked.
      if (!isBucketName(name)) {
        throw new Error(`${JSON.stringify(name)} is not a valid S3 bucket name`);
      }
      // s3rver's store is its folders (its putBucket makes this one), so a bucket needs no s3rver yet.
      await fs.mkdir(path.join(directory, name), { recursive: true, mode: 0o755 });
    },
    async isEmptyUnder(bucket: string, prefix: string): Promise<boolean> {
      if (!isBucketName(bucket) || !/^([A-Za-z0-9._-]+\/)+$/.test(prefix) || prefix.split('/').includes('..')) return false;
      const exists = (folder: string) => fs.stat(folder).then((stat) => stat.isDirectory(), () => false);
      // A missing bucket is S3's NoSuchBucket to answer; a missing folder for the prefix holds no object.
      return await exists(path.join(directory, bucket)) && !await exists(path.join(directory, bucket, ...prefix.split('/')));
    },
    stop(): Promise<void> {
      stopped ??= new Promise<void>((resolve, reject) => {
        httpServer.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of clients that are done would hold close() up until they time out.
        httpServer.closeIdleConnections();
      });
      return stopped;
    },
  };
}

/** S3's rules for new buckets: 3-63 characters, lower-case letters, digits, dots and hyphens, no `..`, not an IP. */
function isBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

// --- s3rver, which ships no types: the parts used here ---

interface S3rverInstance {
  getMiddleware(): RequestListener;
}

interface FilesystemStore {
  putBucket(name: string): Promise<unknown>;
  listObjects(bucket: string, options: object): Promise<{ objects: Array<{ key: string }>; isTruncated: boolean }>;
}

/** The parts of a Koa context that s3rver's controllers read. */
interface ControllerContext {
  query: Record<string, string | string[] | undefined>;
  readonly params: { readonly bucket: string };
  readonly headers: Record<string, string | string[] | undefined>;
  req: Readable;
  store: FilesystemStore;
  body: unknown;
}

type Controller = (ctx: ControllerContext) => Promise<void>;

interface S3rverModules {
  readonly S3rver: new (options: object) => S3rverInstance;
  readonly AWSAccount: { readonly DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void } };
  readonly S3Error: new (code: string, message: string, detail?: Record<string, string>) => Error;
}

let loaded: S3rverModules | undefined;

function loadS3rver(): S3rverModules {
  if (loaded) return loaded;
  const { S3rver, AWSAccount, S3Error, bucketController: buckets, objectController: objects } = s3Modules().s3rver;
  const modules = { S3rver, AWSAccount, S3Error } as S3rverModules;
  // The routes call these through the exports objects, so replacing an export changes what a request runs.
  const bucketController = buckets as Record<string, Controller>;
  const objectController = objects as Record<string, Controller>;
  for (const [controller, name] of [[bucketController, 'getBucket'], [objectController, 'putObject'], [objectController, 'uploadPart']] as const) {
    if (typeof controller[name] !== 'function') {
      throw new Error(`s3rver has no ${name} controller: this code is written against s3rver 3.7.1`);
    }
  }
  bucketController.getBucket = listObjectsV2WithTokens(bucketController.getBucket, modules);
  objectController.putObject = withoutAwsChunked(objectController.putObject, modules);
  objectController.uploadPart = withoutAwsChunked(objectController.uploadPart, modules);
  loaded = modules;
  return modules;
}

/**
 * ListObjectsV2 without s3rver's DES tokens: s3rver's own listing runs with truncation hidden from it (so it never
 * builds a token), then IsTruncated and NextContinuationToken are put back. The token carries the bucket and the
 * last key, which s3rver takes as StartAfter.
 */
function listObjectsV2WithTokens(original: Controller, { S3Error }: S3rverModules): Controller {
  return async function getBucket(ctx) {
    if (ctx.query['list-type'] !== '2') return original(ctx);
    const bucket = ctx.params.bucket;
    const token = ctx.query['continuation-token'];
    if (token !== undefined) {
      const startAfter = typeof token === 'string' ? keyFromToken(token, bucket) : undefined;
      if (startAfter === undefined) {
        throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
      }
      const { 'continuation-token': _, ...query } = ctx.query;
      ctx.query = { ...query, 'start-after': startAfter };
    }

    const store = ctx.store;
    let page: { isTruncated: boolean; lastKey?: string } = { isTruncated: false };
    ctx.store = Object.create(store, {
      listObjects: {
        value: async (...args: Parameters<FilesystemStore['listObjects']>) => {
          const result = await store.listObjects(...args);
          page = { isTruncated: result.isTruncated, lastKey: result.objects[result.objects.length - 1]?.key };
          return { ...result, isTruncated: false };
        },
      },
    });
    try {
      await original(ctx);
    } finally {
      delete (ctx as Partial<ControllerContext>).store; // back to the app's store, on the context's prototype
    }

    const result = (ctx.body as { ListBucketResult: Record<string, unknown> }).ListBucketResult;
    result.IsTruncated = page.isTruncated;
    if (page.isTruncated && page.lastKey !== undefined) {
      result.NextContinuationToken = tokenForKey(bucket, page.lastKey);
    }
    if (typeof token === 'string') {
      // As S3 answers a continued listing: the token echoed, no StartAfter.
      result.ContinuationToken = token;
      result.StartAfter = undefined;
    }
  };
}

function tokenForKey(bucket: string, key: string): string {
  return Buffer.from(JSON.stringify([bucket, key]), 'utf8').toString('base64');
}

function keyFromToken(token: string, bucket: string): string | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    return Array.isArray(decoded) && decoded.length === 2 && decoded[0] === bucket && typeof decoded[1] === 'string'
      ? decoded[1] : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the upload with its aws-chunked framing removed, as S3 stores it. */
function withoutAwsChunked(original: Controller, { S3Error }: S3rverModules): Controller {
  return async function upload(ctx) {
    const headers = ctx.headers;
    const contentSha256 = headers['x-amz-content-sha256'];
    if (typeof contentSha256 !== 'string' || !contentSha256.startsWith('STREAMING-')) return original(ctx);

    const body = decodeAwsChunked(await readBody(ctx.req));
    if (body === undefined) {
      throw new S3Error('IncompleteBody', 'The aws-chunked request body is malformed or cut short.');
    }
    const declared = headers['x-amz-decoded-content-length'];
    if (declared !== undefined && Number(declared) !== body.length) {
      throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the x-amz-decoded-content-length header.');
    }
    ctx.req = Readable.from([body]);
    headers['content-length'] = String(body.length);
    delete headers['x-amz-decoded-content-length'];
    // aws-chunked describes the request, not the object: S3 does not keep it as the object's Content-Encoding.
    const encodings = String(headers['content-encoding'] ?? '').split(',').map((e) => e.trim()).filter((e) => e && e !== 'aws-chunked');
    if (encodings.length > 0) headers['content-encoding'] = encodings.join(',');
    else delete headers['content-encoding'];
    return original(ctx);
  };
}

async function readBody(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/**
 * The payload of an aws-chunked body: chunks `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n`, ended by a
 * zero-size chunk and its trailers (`x-amz-checksum-...`), which are dropped: s3rver keeps no checksums.
 * Undefined when the framing is broken.
 */
function decodeAwsChunked(raw: Buffer): Buffer | undefined {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset, 'latin1');
    if (lineEnd < 0) return undefined;
    const sizeField = raw.toString('latin1', offset, lineEnd).split(';')[0];
    if (!/^[0-9a-fA-F]+$/.test(sizeField)) return undefined;
    const size = parseInt(sizeField, 16);
    offset = lineEnd + 2;
    if (size === 0) return Buffer.concat(chunks);
    const end = offset + size;
    if (end + 2 > raw.length || raw[end] !== 0x0d || raw[end + 1] !== 0x0a) return undefined;
    chunks.push(raw.subarray(offset, end));
    offset = end + 2;
  }
}
