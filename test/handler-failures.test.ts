/**
 * Partial batch failures: records are processed in order; the first one that cannot be read is logged
 * (ERROR, with eventID, sequenceNumber, reason), processing stops, and its SequenceNumber is returned so
 * that Lambda resends it and everything after it. A record without a usable SequenceNumber fails the
 * whole batch (the handler throws). Malformed records are hand-edited copies of recorded ones
 * (test/fixtures/malformed-records.json).
 */
import { DynamoDBRecord } from 'aws-lambda';
import { byMessage, event, handEdited, invoke, loadEvent, loadHandler, ours, single } from './fixtures/harness';

const { handler } = loadHandler();

/** The recorded NEW_AND_OLD_IMAGES batch with record `index` replaced by a malformed copy in its place. */
function batchWith(index: number, malformed: string): { records: DynamoDBRecord[]; bad: DynamoDBRecord } {
  const { Records } = loadEvent('stream-new-and-old-images.json');
  const bad = handEdited('malformed-records.json', malformed);
  if (bad?.dynamodb?.SequenceNumber !== undefined) {
    bad.dynamodb.SequenceNumber = Records[index].dynamodb!.SequenceNumber;
  }
  Records[index] = bad;
  return { records: Records, bad };
}

describe('a bad record stops the batch at itself', () => {
  test.each([
    ['first', 0, 'badNumberInNewImage', 'dynamodb.NewImage.quantity: N is not a valid number'],
    ['middle', 2, 'missingKeys', 'dynamodb.Keys is missing or empty'],
    ['last', 4, 'unknownTypeKey', 'dynamodb.NewImage.customer.address.city: unknown attribute type "X"'],
  ])('%s (record %i, %s)', async (_position, index, malformed, reason) => {
    const { records, bad } = batchWith(index, malformed);
    const run = await invoke(handler, event(records));

    expect(run.error).toBeUndefined();
    expect(run.result).toStrictEqual({ batchItemFailures: [{ itemIdentifier: bad.dynamodb!.SequenceNumber }] });

    // Records before it are logged (and will not be sent again); nothing after it is.
    expect(byMessage(run.printed, 'change').map((line) => line.sequenceNumber))
      .toStrictEqual(records.slice(0, index).map((r) => r.dynamodb!.SequenceNumber));

    const error = single(run.printed, 'record failed');
    expect(error.level).toBe('ERROR');
    expect(ours(error)).toStrictEqual({
      eventID: bad.eventID,
      sequenceNumber: bad.dynamodb!.SequenceNumber,
      eventName: bad.eventName,
      recordIndex: index,
      reason,
    });

    const summary = single(run.printed, 'batch');
    expect(summary.level).toBe('WARN');
    const { oldestAgeMs, ...rest } = ours(summary);
    const logged = records.slice(0, index);
    expect(rest).toStrictEqual({
      outcome: 'partial',
      records: 5,
      processed: index,
      failures: 1,
      eventNames: {
        INSERT: logged.filter((r) => r.eventName === 'INSERT').length,
        MODIFY: logged.filter((r) => r.eventName === 'MODIFY').length,
        REMOVE: logged.filter((r) => r.eventName === 'REMOVE').length,
      },
      ttlDeletes: 0,
      failedSequenceNumber: bad.dynamodb!.SequenceNumber,
    });
    expect(oldestAgeMs === undefined).toBe(index === 0);
    // The summary is printed last, after the error line.
    expect(run.printed.lines.map((line) => line.message)).toStrictEqual([
      ...Array<string>(index).fill('change'), 'record failed', 'batch',
    ]);
  });
});

describe('each kind of defect is reported with where it is, never with the value', () => {
  test.each([
    ['missingEventName', 'eventName is missing or not one of INSERT, MODIFY, REMOVE'],
    ['unknownEventName', 'eventName is missing or not one of INSERT, MODIFY, REMOVE'],
    ['missingKeys', 'dynamodb.Keys is missing or empty'],
    ['badNumberInKeys', 'dynamodb.Keys.sk: N is not a valid number'],
    ['badNumberInNewImage', 'dynamodb.NewImage.quantity: N is not a valid number'],
    ['badNumberInOldImage', 'dynamodb.OldImage.quantity: N is not a valid number'],
    ['unknownTypeKey', 'dynamodb.NewImage.customer.address.city: unknown attribute type "X"'],
    ['invalidBase64', 'dynamodb.NewImage.payload: binary must be base64 text'],
    ['badListElement', 'dynamodb.NewImage.lines[1][1]: N is not a valid number'],
    ['twoTypeKeys', 'dynamodb.NewImage.status: an attribute value must have exactly one type key, found 2'],
    ['badNumberSetMember', 'dynamodb.NewImage.scores[1]: N is not a valid number'],
    ['nullNotTrue', 'dynamodb.NewImage.deletedAt: NULL must be true'],
  ])('%s', async (malformed, reason) => {
    const bad = handEdited('malformed-records.json', malformed);
    const run = await invoke(handler, event([bad]));
    expect(run.result).toStrictEqual({ batchItemFailures: [{ itemIdentifier: bad.dynamodb!.SequenceNumber }] });
    const error = single(run.printed, 'record failed');
    expect(error.reason).toBe(reason);
    expect(error.sequenceNumber).toBe(bad.dynamodb!.SequenceNumber);
    expect(error.eventID).toBe(bad.eventID);
    expect(JSON.stringify(error)).not.toMatch(/abc|Paris|not base64|1\.2\.3|two/);
  });

  test('a redacted attribute is still validated', async () => {
    const { handler: redacting } = loadHandler({ CHANGE_LOG_REDACT: '["quantity"]' });
    const bad = handEdited('malformed-records.json', 'badNumberInNewImage');
    const run = await invoke(redacting, event([bad]));
    expect(run.result).toStrictEqual({ batchItemFailures: [{ itemIdentifier: bad.dynamodb!.SequenceNumber }] });
  });
});

describe('a batch in which nothing can be identified fails as a whole', () => {
  test.each([
    ['missingDynamodb', 1, 'the record has no dynamodb object'],
    ['missingSequenceNumber', 2, 'dynamodb.SequenceNumber is missing or not a decimal string'],
    ['invalidSequenceNumber', 3, 'dynamodb.SequenceNumber is missing or not a decimal string'],
    ['notAnObject', 0, 'the record is not an object'],
  ])('%s at record %i: logged, then thrown', async (malformed, index, reason) => {
    const { Records } = loadEvent('stream-new-and-old-images.json');
    const bad = handEdited('malformed-records.json', malformed);
    Records[index] = bad;
    const run = await invoke(handler, event(Records));

    expect(run.result).toBeUndefined();
    expect(run.error?.message).toBe(
      `a batch in which nothing can be identified fails as a whole: record ${index} has no usable SequenceNumber (${reason})`);
    const error = single(run.printed, 'record failed');
    expect(error.level).toBe('ERROR');
    expect(error.reason).toBe(reason);
    expect(error.recordIndex).toBe(index);
    expect('sequenceNumber' in error).toBe(false);
    expect(error.eventID).toBe(bad?.eventID); // absent when the record is not an object
    const summary = single(run.printed, 'batch');
    expect(summary.outcome).toBe('failed');
    expect(summary.processed).toBe(index);
    expect(summary.failures).toBe(1);
    expect('failedSequenceNumber' in summary).toBe(false);
    expect(byMessage(run.printed, 'change')).toHaveLength(index);
  });

  test.each([
    ['no Records', {}],
    ['Records is not an array', { Records: 'none' }],
    ['no event at all', null],
  ])('%s: logged, then thrown', async (_name, badEvent) => {
    const run = await invoke(handler, badEvent);
    expect(run.error?.message).toBe('a batch in which nothing can be identified fails as a whole: the event has no Records array');
    const error = single(run.printed, 'batch failed');
    expect(error.level).toBe('ERROR');
    expect(error.reason).toBe('the event has no Records array');
    expect(ours(single(run.printed, 'batch'))).toStrictEqual({
      outcome: 'failed', records: 0, processed: 0, failures: 1, eventNames: { INSERT: 0, MODIFY: 0, REMOVE: 0 }, ttlDeletes: 0,
    });
  });
});

describe('batches that succeed', () => {
  test('an empty batch: a summary with zero counts and no age', async () => {
    const run = await invoke(handler, event([]));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    expect(run.printed.lines).toHaveLength(1);
    expect(ours(single(run.printed, 'batch'))).toStrictEqual({
      outcome: 'ok', records: 0, processed: 0, failures: 0, eventNames: { INSERT: 0, MODIFY: 0, REMOVE: 0 }, ttlDeletes: 0,
    });
  });

  test('records from several streams in one call are all logged', async () => {
    const records = ['keys-only', 'new-image', 'old-image', 'new-and-old-images']
      .flatMap((name) => loadEvent(`stream-${name}.json`).Records);
    const run = await invoke(handler, event(records));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    expect(byMessage(run.printed, 'change')).toHaveLength(20);
    expect(ours(single(run.printed, 'batch'))).toMatchObject({
      outcome: 'ok', records: 20, processed: 20, failures: 0, eventNames: { INSERT: 8, MODIFY: 4, REMOVE: 8 }, ttlDeletes: 4,
    });
  });
});

describe('where lines go', () => {
  test('INFO lines to stdout, WARN and ERROR lines to stderr (Lambda captures both)', async () => {
    const { records } = batchWith(1, 'missingEventName');
    const run = await invoke(handler, event(records));
    expect(run.printed.lines.map((line, i) => `${line.level} ${run.printed.streams[i]}`))
      .toStrictEqual(['INFO stdout', 'ERROR stderr', 'WARN stderr']);
  });
});
