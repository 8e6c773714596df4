/**
 * The code only an app with S3 needs: s3rver (the local S3) and the runner's S3 client. They are half of the
 * runner's code, so they are bundled into a file of their own and loaded on first use (`s3Modules()`): a test
 * file's runner on an app without buckets neither compiles nor initializes them.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- s3rver has no types; s3-local.ts types what it uses */
export { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';

export const s3rver = {
  S3rver: require('s3rver') as unknown,
  AWSAccount: require('s3rver/lib/models/account') as unknown,
  S3Error: require('s3rver/lib/models/error') as unknown,
  bucketController: require('s3rver/lib/controllers/bucket') as unknown,
  objectController: require('s3rver/lib/controllers/object') as unknown,
};
