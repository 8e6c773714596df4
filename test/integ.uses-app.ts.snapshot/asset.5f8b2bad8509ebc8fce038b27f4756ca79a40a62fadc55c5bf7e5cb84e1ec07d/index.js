'use strict';
// Archives what a document was before each change: the old image of every modified or deleted item
// (the mapping's filter lets only MODIFY and REMOVE through) goes to S3 as its own object.
//
// The image is stored as the stream gives it, in DynamoDB JSON: it keeps sets, binaries and the exact
// numbers, and restoring a version is one PutItem with the object as its Item.
const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');

const ARCHIVE_BUCKET = process.env.ARCHIVE_BUCKET;

const s3 = new S3Client({});

exports.handler = async (event) => {
  for (const record of event.Records) {
    const { Keys, OldImage, ApproximateCreationDateTime, SequenceNumber } = record.dynamodb;
    const docId = Keys.docId.S;
    // Named after the record itself, so a re-delivered record overwrites its own copy: retries are safe.
    const key = `documents/${docId}/${ApproximateCreationDateTime}-${record.eventID}.json`;
    try {
      if (!OldImage) throw new Error('record has no OldImage: the stream view type must include old images');
      await s3.send(new PutObjectCommand({
        Bucket: ARCHIVE_BUCKET,
        Key: key,
        Body: JSON.stringify(OldImage),
        ContentType: 'application/json',
        Metadata: { 'event-name': record.eventName },
      }));
    } catch (error) {
      console.log(JSON.stringify({ level: 'ERROR', message: 'old image not archived', docId, key, error: error.message }));
      // The mapping resends from this record; the ones before it are archived.
      return { batchItemFailures: [{ itemIdentifier: SequenceNumber }] };
    }
    console.log(JSON.stringify({
      level: 'INFO', message: 'archived old image', eventName: record.eventName, docId, bucket: ARCHIVE_BUCKET, key,
    }));
  }
  return { batchItemFailures: [] };
};
