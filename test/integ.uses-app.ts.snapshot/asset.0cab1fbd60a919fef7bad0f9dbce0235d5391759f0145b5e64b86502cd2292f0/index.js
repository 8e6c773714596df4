'use strict';
// Keeps, per product, reviewCount, ratingSum and averageRating in the ProductSummaries table, from the
// changes of the Reviews table: INSERT adds the review, MODIFY adds new minus old rating, REMOVE
// subtracts the review. Ratings are whole stars, 1 to 5.
//
// Idempotent: the mapping delivers a record at least once (and resends a batch from its first failed
// record). Each record is applied in one transaction that writes the new summary together with a marker
// item keyed by the record's eventID, on condition that the marker does not exist yet. A re-delivered
// record finds its marker, the whole transaction is cancelled, and the record counts as already applied.
const { setTimeout: sleep } = require('node:timers/promises');
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } = require('@aws-sdk/lib-dynamodb');

const SUMMARY_TABLE = process.env.SUMMARY_TABLE;
const SUMMARY_SK = 'summary';
// The stream keeps a record for 24 hours: a marker kept a day longer outlives every re-delivery.
const MARKER_LIFETIME_SECONDS = 48 * 60 * 60;
// Reviews of one product may sit on different shards, so two invocations can update one summary at
// once; the one whose transaction loses waits a random moment and reads the summary again.
const MAX_ATTEMPTS = 5;
const MAX_BACKOFF_MS = 100;

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

exports.handler = async (event) => {
  for (const record of event.Records) {
    try {
      await applyOnce(record);
    } catch (error) {
      console.log(JSON.stringify({
        level: 'ERROR', message: 'review change not applied', eventID: record.eventID, error: error.message,
      }));
      // The mapping resends from this record; the ones before it are applied.
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
};

async function applyOnce(record) {
  const productId = record.dynamodb.Keys.productId.S;
  const reviewId = record.dynamodb.Keys.reviewId.S;
  const change = summaryChange(record);
  const logged = { eventID: record.eventID, eventName: record.eventName, productId, reviewId };
  if (change.reviews === 0 && change.ratings === 0) {
    console.log(JSON.stringify({ level: 'INFO', message: 'rating unchanged, summary left as is', ...logged }));
    return;
  }

  for (let attempt = 1; ; attempt++) {
    const { Item: seen } = await documents.send(new GetCommand({
      TableName: SUMMARY_TABLE, Key: { productId, sk: SUMMARY_SK }, ConsistentRead: true,
    }));
    const reviewCount = (seen?.reviewCount ?? 0) + change.reviews;
    const ratingSum = (seen?.ratingSum ?? 0) + change.ratings;
    const summary = { productId, sk: SUMMARY_SK, reviewCount, ratingSum };
    if (reviewCount > 0) summary.averageRating = Math.round((ratingSum / reviewCount) * 100) / 100;

    try {
      await documents.send(new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: SUMMARY_TABLE,
              Item: {
                productId, sk: `applied#${record.eventID}`, reviewId, eventName: record.eventName,
                expiresAt: Math.floor(Date.now() / 1000) + MARKER_LIFETIME_SECONDS,
              },
              ConditionExpression: 'attribute_not_exists(sk)',
            },
          },
          {
            // Written only if nobody changed the summary since it was read.
            Put: seen ? {
              TableName: SUMMARY_TABLE,
              Item: summary,
              ConditionExpression: 'reviewCount = :seenCount AND ratingSum = :seenSum',
              ExpressionAttributeValues: { ':seenCount': seen.reviewCount, ':seenSum': seen.ratingSum },
            } : {
              TableName: SUMMARY_TABLE,
              Item: summary,
              ConditionExpression: 'attribute_not_exists(sk)',
            },
          },
        ],
      }));
      console.log(JSON.stringify({
        level: 'INFO', message: 'applied review change', ...logged, table: SUMMARY_TABLE,
        reviewCount, ratingSum, averageRating: summary.averageRating,
      }));
      return;
    } catch (error) {
      if (error.name !== 'TransactionCanceledException') throw error;
      // One reason per item, in order: [marker, summary].
      const [marker, summaryReason] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
      if (marker === 'ConditionalCheckFailed') {
        console.log(JSON.stringify({ level: 'INFO', message: 'review change already applied', ...logged }));
        return;
      }
      const lostARace = summaryReason === 'ConditionalCheckFailed'
        || marker === 'TransactionConflict' || summaryReason === 'TransactionConflict';
      if (!lostARace || attempt === MAX_ATTEMPTS) throw error;
      await sleep(Math.random() * MAX_BACKOFF_MS * attempt);
    }
  }
}

/** What one record changes in its product's summary. */
function summaryChange(record) {
  const { NewImage, OldImage } = record.dynamodb;
  switch (record.eventName) {
    case 'INSERT': return { reviews: 1, ratings: rating(NewImage) };
    case 'MODIFY': return { reviews: 0, ratings: rating(NewImage) - rating(OldImage) };
    case 'REMOVE': return { reviews: -1, ratings: -rating(OldImage) };
    default: throw new Error(`unknown eventName ${record.eventName}`);
  }
}

function rating(image) {
  const stars = Number(image?.rating?.N);
  if (!Number.isInteger(stars) || stars < 1 || stars > 5) {
    throw new Error(`rating must be a whole number from 1 to 5, got ${JSON.stringify(image?.rating)}`);
  }
  return stars;
}
