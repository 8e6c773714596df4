/**
 * The local S3 API behind the app's buckets: a real s3rver, reached by an SDK client configured the way a
 * function offline is (environment only, as Lambda configures it).
 */
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, ListObjectsV2Command, paginateListObjectsV2,
  PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { LocalS3, startLocalS3 } from '../local/engine/s3-local';

const BUCKET = 'orders-archive';
/** The environment a function gets offline (the runner adds AWS_ENDPOINT_URL_S3). */
const FUNCTION_ENVIRONMENT = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_SESSION_TOKEN: 'local' };

let directory: string;
let s3: LocalS3;
let savedEnv: NodeJS.ProcessEnv;
beforeEach(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'local-s3-'));
  s3 = await startLocalS3({ directory });
  await s3.createBucket(BUCKET);
  savedEnv = { ...process.env };
  Object.assign(process.env, FUNCTION_ENVIRONMENT, { AWS_ENDPOINT_URL_S3: s3.endpoint });
});
afterEach(async () => {
  process.env = savedEnv;
  await s3.stop();
  await fs.rm(directory, { recursive: true, force: true });
});

/** A client as a user's function creates it: no options, everything from the environment. */
function functionClient(): S3Client {
  return new S3Client({});
}

async function text(client: S3Client, key: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return object.Body!.transformToString('utf8');
}

test('exposes an IP endpoint and the credentials functions get offline', () => {
  expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(s3.directory).toBe(directory);
  expect(s3.credentials).toEqual({ accessKeyId: 'local', secretAccessKey: 'local' });
});

test('a function-configured client puts, gets and lists; the object is a file in the directory', async () => {
  const client = functionClient();
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'daily/2024-05-01.json', Body: '{"orders":3}', ContentType: 'application/json' }));
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'daily/2024-05-02.json', Body: '{"orders":5}' }));

  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'daily/2024-05-01.json' }));
  expect(object.ContentType).toBe('application/json');
  expect(await object.Body!.transformToString('utf8')).toBe('{"orders":3}');
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'daily/' }));
  expect(listed.Contents?.map((o) => o.Key)).toEqual(['daily/2024-05-01.json', 'daily/2024-05-02.json']);
  expect(listed.IsTruncated).toBe(false);

  // Path-style addressing: the bucket is a folder of the directory, the key's slashes are folders.
  expect(await fs.readFile(path.join(directory, BUCKET, 'daily', '2024-05-01.json._S3rver_object'), 'utf8')).toBe('{"orders":3}');
  expect((await fs.readdir(path.join(directory, BUCKET, 'daily'))).sort()).toEqual([
    '2024-05-01.json._S3rver_metadata.json', '2024-05-01.json._S3rver_object', '2024-05-01.json._S3rver_object.md5',
    '2024-05-02.json._S3rver_metadata.json', '2024-05-02.json._S3rver_object', '2024-05-02.json._S3rver_object.md5',
  ]);
});

test('an unknown access key is refused; s3rver does not verify SigV4 signatures, so the secret is not checked', async () => {
  const stranger = new S3Client({ credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'local' } });
  await expect(stranger.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'x', Body: 'x' }))).rejects.toMatchObject({
    name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 },
  });
  const wrongSecret = new S3Client({ credentials: { accessKeyId: 'local', secretAccessKey: 'not-the-secret' } });
  await wrongSecret.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'x', Body: 'x' }));
  expect(await text(functionClient(), 'x')).toBe('x');
});

test('a listing longer than a page continues with NextContinuationToken (s3rver\'s own DES tokens fail on OpenSSL 3)', async () => {
  const client = functionClient();
  const keys = ['a/1', 'a/2', 'a/3', 'a/4', 'a/5'];
  await Promise.all(keys.map((Key) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }))));

  const first = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'a/', MaxKeys: 2 }));
  expect(first).toMatchObject({ IsTruncated: true, KeyCount: 2, NextContinuationToken: expect.any(String) });
  const second = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'a/', MaxKeys: 2, ContinuationToken: first.NextContinuationToken }));
  expect(second.ContinuationToken).toBe(first.NextContinuationToken);
  expect(second.StartAfter).toBeUndefined();
  expect(second.Contents?.map((o) => o.Key)).toEqual(['a/3', 'a/4']);

  const pages = [];
  for await (const page of paginateListObjectsV2({ client, pageSize: 2 }, { Bucket: BUCKET, Prefix: 'a/' })) {
    pages.push((page.Contents ?? []).map((o) => o.Key));
  }
  expect(pages).toEqual([['a/1', 'a/2'], ['a/3', 'a/4'], ['a/5']]);

  await expect(client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'bm90IGEgdG9rZW4=' })))
    .rejects.toMatchObject({ name: 'InvalidArgument' });
});

test('a streamed upload (aws-chunked, checksum trailer) is stored as its bytes, without the framing', async () => {
  const client = functionClient();
  const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
  await client.send(new PutObjectCommand({
    Bucket: BUCKET, Key: 'streamed.bin', Body: Readable.from([bytes.subarray(0, 30_000), bytes.subarray(30_000)]), ContentLength: bytes.length,
  }));
  // (Buffer.equals: jest's toEqual walks a 70 kB buffer byte by byte, for seconds.)
  expect((await fs.readFile(path.join(directory, BUCKET, 'streamed.bin._S3rver_object'))).equals(bytes)).toBe(true);
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed.bin' }));
  expect(object.ContentEncoding).toBeUndefined();
  expect(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes)).toBe(true);

  // A content encoding of the object itself is kept; only aws-chunked (the request's) goes.
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'zipped', Body: Readable.from([Buffer.from('gz')]), ContentLength: 2, ContentEncoding: 'gzip' }));
  expect((await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'zipped' }))).ContentEncoding).toBe('gzip');
});

test('an aws-chunked body cut short is refused, not stored', async () => {
  // A raw request, since the SDK never sends a broken body (s3rver reads the access key, not the signature).
  const response = await fetch(`${s3.endpoint}/${BUCKET}/cut-short`, {
    method: 'PUT',
    headers: {
      'authorization': 'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
      'x-amz-date': new Date().toISOString(),
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '10',
    },
    body: 'a\r\nonly',
  });
  expect(response.status).toBe(400);
  expect(await response.text()).toContain('<Code>IncompleteBody</Code>');
  await expect(fs.stat(path.join(directory, BUCKET, 'cut-short._S3rver_object'))).rejects.toMatchObject({ code: 'ENOENT' });
});

test('a streamed multipart part is stored without the framing too', async () => {
  const client = functionClient();
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'multipart.txt' }));
  const part = await client.send(new UploadPartCommand({
    Bucket: BUCKET, Key: 'multipart.txt', UploadId, PartNumber: 1, Body: Readable.from([Buffer.from('one part, streamed')]), ContentLength: 18,
  }));
  await client.send(new CompleteMultipartUploadCommand({
    Bucket: BUCKET, Key: 'multipart.txt', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
  }));
  expect(await text(client, 'multipart.txt')).toBe('one part, streamed');
});

test('stop is idempotent, closes the port and leaves the objects on disk', async () => {
  const client = functionClient();
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'kept' }));
  const port = Number(new URL(s3.endpoint).port);
  await Promise.all([s3.stop(), s3.stop()]);
  await s3.stop();
  await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  expect(await fs.readFile(path.join(directory, BUCKET, 'kept.txt._S3rver_object'), 'utf8')).toBe('kept');

  // A new server on the same directory serves the same buckets.
  const again = await startLocalS3({ directory });
  try {
    process.env.AWS_ENDPOINT_URL_S3 = again.endpoint;
    expect(await text(functionClient(), 'kept.txt')).toBe('kept');
  } finally {
    await again.stop();
  }
});

test('a start failure names the port and the directory', async () => {
  const port = Number(new URL(s3.endpoint).port);
  await expect(startLocalS3({ directory, port })).rejects.toThrow(
    `local S3 (s3rver) on 127.0.0.1:${port} with directory ${directory} could not start: listen EADDRINUSE`);
  const file = path.join(directory, 'a-file');
  await fs.writeFile(file, '');
  await expect(startLocalS3({ directory: file })).rejects.toThrow(new RegExp(`with directory ${escape(file)} could not start: EEXIST`));
});

test('createBucket refuses names that are not bucket names (they become folders)', async () => {
  for (const name of ['..', 'ab', 'Upper-Case', 'a/b-c', 'a..b', '192.168.1.1', `a${'b'.repeat(63)}`]) {
    await expect(s3.createBucket(name)).rejects.toThrow('is not a valid S3 bucket name');
  }
  await s3.createBucket('failure-destination.local-1');
  expect((await fs.stat(path.join(directory, 'failure-destination.local-1'))).isDirectory()).toBe(true);
});

test('buckets are folders of s3rver\'s store: made before s3rver runs or after, it serves them', async () => {
  const client = functionClient();
  // The beforeEach bucket was made before the first request, which starts s3rver...
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'first.txt', Body: 'first' }));
  // ...and one made while it runs (as a reload of the app adds one) is served too.
  await s3.createBucket('made-later');
  await client.send(new PutObjectCommand({ Bucket: 'made-later', Key: 'a.txt', Body: 'a' }));
  const listed = await client.send(new ListObjectsV2Command({ Bucket: 'made-later' }));
  expect(listed.Contents?.map((o) => o.Key)).toEqual(['a.txt']);
  expect(await text(client, 'first.txt')).toBe('first');
});

test('isEmptyUnder: true only for a prefix with no object of an existing bucket, read from the folders', async () => {
  const prefix = 'aws/lambda/7b1c4b2e-0000-4000-8000-000000000001/';
  expect(await s3.isEmptyUnder(BUCKET, prefix)).toBe(true);
  const client = functionClient();
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}shard-1/2024/05/01/x`, Body: '{}' }));
  expect(await s3.isEmptyUnder(BUCKET, prefix)).toBe(false);
  expect(await s3.isEmptyUnder(BUCKET, 'aws/lambda/another/')).toBe(true);
  // Not known to be empty (the S3 API is asked): a bucket that is not there, a prefix that is not a folder's.
  expect(await s3.isEmptyUnder('no-such-bucket', prefix)).toBe(false);
  for (const odd of ['aws/lambda', '', '../', 'a/../b/', 'a b/']) expect(await s3.isEmptyUnder(BUCKET, odd)).toBe(false);
});

function connect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

function escape(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
