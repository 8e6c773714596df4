/**
 * The floor (c) of the handler benchmark: what any change log must at least do. One loop that unmarshalls
 * each record (keys and both images, with @aws-sdk/util-dynamodb) and writes one JSON line per record with
 * `process.stdout.write`. No logger, no summary line, no checks, no context fields.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';

type Image = Record<string, AttributeValue>;

export const handler = async (event: DynamoDBStreamEvent): Promise<void> => {
  for (const record of event.Records) {
    const ddb = record.dynamodb!;
    process.stdout.write(`${JSON.stringify({
      eventName: record.eventName,
      eventID: record.eventID,
      sequenceNumber: ddb.SequenceNumber,
      keys: unmarshall(ddb.Keys as Image),
      newImage: ddb.NewImage && unmarshall(ddb.NewImage as Image),
      oldImage: ddb.OldImage && unmarshall(ddb.OldImage as Image),
    })}\n`);
  }
};
