'use strict';
// A user's own stream handler: accepts payments, rejects those with a negative amount. It reports the
// first rejected record as a batch item failure, so the records before it are not sent again.
exports.handler = async (event) => {
  for (const record of event.Records) {
    const image = record.dynamodb.NewImage;
    const amount = image && image.amount ? Number(image.amount.N) : 0;
    if (amount < 0) {
      console.log(JSON.stringify({ level: 'ERROR', message: 'rejected payment', paymentId: record.dynamodb.Keys.paymentId.S, amount }));
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] };
    }
    console.log(JSON.stringify({ level: 'INFO', message: 'accepted payment', eventName: record.eventName, paymentId: record.dynamodb.Keys.paymentId.S }));
  }
  return { batchItemFailures: [] };
};
