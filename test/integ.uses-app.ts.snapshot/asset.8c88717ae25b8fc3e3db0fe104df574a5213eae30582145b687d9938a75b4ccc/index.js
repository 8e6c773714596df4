'use strict';
// Tells the other members of a chat room about each new message (the mapping's filter lets only INSERT
// through): one SNS message per member, with the recipient as a message attribute so that each member's
// subscription can filter on it.
//
// Errors are not caught: a failed call fails the batch, which Lambda retries (bisecting it) and then
// sends to the failure bucket. Notifications are therefore at least once: a retried message notifies
// again the members already notified, so subscribers drop duplicates by (roomId, sentAt, recipient).
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand } = require('@aws-sdk/lib-dynamodb');
const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');

const ROOMS_TABLE = process.env.ROOMS_TABLE;
const NOTIFICATIONS_TOPIC_ARN = process.env.NOTIFICATIONS_TOPIC_ARN;

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sns = new SNSClient({});

exports.handler = async (event) => {
  for (const record of event.Records) {
    const { Keys, NewImage } = record.dynamodb;
    const roomId = Keys.roomId.S;
    const sentAt = Keys.sentAt.S;
    const senderId = NewImage.senderId?.S;
    const text = NewImage.text?.S ?? '';

    const { Item: room } = await documents.send(new GetCommand({ TableName: ROOMS_TABLE, Key: { roomId } }));
    // members is a list or a string set (which the document client reads as a Set).
    const recipients = [...(room?.members ?? [])].filter((member) => member !== senderId);
    if (recipients.length === 0) {
      console.log(JSON.stringify({
        level: room ? 'INFO' : 'WARN', message: room ? 'no other member to notify' : 'room not found',
        roomId, sentAt, table: ROOMS_TABLE,
      }));
      continue;
    }

    for (const recipient of recipients) {
      const { MessageId } = await sns.send(new PublishCommand({
        TopicArn: NOTIFICATIONS_TOPIC_ARN,
        Message: JSON.stringify({ roomId, sentAt, senderId, recipient, text }),
        MessageAttributes: { recipient: { DataType: 'String', StringValue: recipient } },
      }));
      console.log(JSON.stringify({
        level: 'INFO', message: 'notified member', roomId, sentAt, recipient, topicArn: NOTIFICATIONS_TOPIC_ARN, messageId: MessageId,
      }));
    }
  }
  return { batchItemFailures: [] };
};
