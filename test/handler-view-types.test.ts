/**
 * The built handler on real records recorded from DynamoDB Local: every StreamViewType, each with an
 * INSERT, a MODIFY, a REMOVE, and a TTL delete. Every field of every line is checked.
 */
import { DynamoDBRecord } from 'aws-lambda';
import {
  ORDER_CHANGED_ATTRIBUTES,
  ORDER_INSERTED,
  ORDER_KEYS,
  ORDER_MODIFIED,
  SESSION_KEYS,
} from './fixtures/expected-items';
import { byMessage, event, handEdited, invoke, loadEvent, loadHandler, ours, single } from './fixtures/harness';

type ViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

const { handler } = loadHandler();

function session(record: DynamoDBRecord): Record<string, unknown> {
  // The expiry was "now - 1 hour" when recorded: read it from the record, it is logged as a number.
  const image = (record.dynamodb!.OldImage ?? record.dynamodb!.NewImage)!;
  return { ...SESSION_KEYS, token: 'secret-token', expiresAt: Number(image.expiresAt.N) };
}

/** The line we expect for a recorded record, field by field; `images` are the ones its view type carries. */
function expectedLine(record: DynamoDBRecord, tableName: string, images: Record<string, unknown>, ttlDelete = false) {
  const ddb = record.dynamodb!;
  return {
    eventName: record.eventName,
    eventID: record.eventID,
    sequenceNumber: ddb.SequenceNumber,
    tableName,
    keys: ddb.Keys!.pk.S === 'order#1' ? ORDER_KEYS : SESSION_KEYS,
    approximateCreationDateTime: new Date(ddb.ApproximateCreationDateTime! * 1000).toISOString(),
    sizeBytes: ddb.SizeBytes,
    streamViewType: ddb.StreamViewType,
    ttlDelete,
    ...images,
  };
}

/** What each view type carries for the five recorded records (INSERT, MODIFY, REMOVE of the order; INSERT, TTL REMOVE of the session). */
const CASES: Record<ViewType, (records: DynamoDBRecord[]) => Array<Record<string, unknown>>> = {
  KEYS_ONLY: () => [{}, {}, {}, {}, {}],
  NEW_IMAGE: (r) => [
    { newImage: ORDER_INSERTED },
    { newImage: ORDER_MODIFIED }, // no changedAttributes: there is no old image to compare with
    {},
    { newImage: session(r[3]) },
    {},
  ],
  OLD_IMAGE: (r) => [
    {},
    { oldImage: ORDER_INSERTED },
    { oldImage: ORDER_MODIFIED },
    {},
    { oldImage: session(r[4]) },
  ],
  NEW_AND_OLD_IMAGES: (r) => [
    { newImage: ORDER_INSERTED },
    { changedAttributes: ORDER_CHANGED_ATTRIBUTES, newImage: ORDER_MODIFIED, oldImage: ORDER_INSERTED },
    { oldImage: ORDER_MODIFIED },
    { newImage: session(r[3]) },
    { oldImage: session(r[4]) },
  ],
};

describe.each(Object.keys(CASES) as ViewType[])('%s stream', (viewType) => {
  const fileName = `stream-${viewType.toLowerCase().replace(/_/g, '-')}.json`;
  const tableName = `change-log-${viewType.toLowerCase().replace(/_/g, '-')}`;

  test('one change line per record, every field as expected', async () => {
    const { Records } = loadEvent(fileName);
    expect(Records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE', 'INSERT', 'REMOVE']);
    expect(Records.every((r) => r.dynamodb!.StreamViewType === viewType)).toBe(true);

    const before = Date.now();
    const run = await invoke(handler, event(Records));
    const after = Date.now();

    expect(run.error).toBeUndefined();
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    const changes = byMessage(run.printed, 'change');
    expect(changes).toHaveLength(5);
    const images = CASES[viewType](Records);
    changes.forEach((line, i) => {
      const record = Records[i];
      expect(line.level).toBe('INFO');
      expect(line.service).toBe('stream-triggered-table');
      const { ageMs, ...rest } = ours(line);
      expect(rest).toStrictEqual(expectedLine(record, tableName, images[i], i === 4));
      const created = record.dynamodb!.ApproximateCreationDateTime! * 1000;
      expect(ageMs).toBeGreaterThanOrEqual(before - created);
      expect(ageMs).toBeLessThanOrEqual(after - created);
    });
  });

  test('the TTL delete is marked, the user delete is not', async () => {
    const { Records } = loadEvent(fileName);
    expect(Records[4].userIdentity).toStrictEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(Records[2].userIdentity).toBeUndefined();
    const run = await invoke(handler, event(Records));
    expect(byMessage(run.printed, 'change').map((line) => [line.eventName, line.ttlDelete]))
      .toEqual([['INSERT', false], ['MODIFY', false], ['REMOVE', false], ['INSERT', false], ['REMOVE', true]]);
  });

  test('one summary line: counts per event name, TTL deletes, oldest age', async () => {
    const { Records } = loadEvent(fileName);
    const before = Date.now();
    const run = await invoke(handler, event(Records));
    const after = Date.now();
    // The summary is the last line, after every change line.
    expect(run.printed.lines.at(-1)?.message).toBe('batch');
    const summary = single(run.printed, 'batch');
    expect(summary.level).toBe('INFO');
    const { oldestAgeMs, ...rest } = ours(summary);
    expect(rest).toStrictEqual({
      outcome: 'ok',
      records: 5,
      processed: 5,
      failures: 0,
      eventNames: { INSERT: 2, MODIFY: 1, REMOVE: 2 },
      ttlDeletes: 1,
    });
    const oldest = Math.min(...Records.map((r) => r.dynamodb!.ApproximateCreationDateTime! * 1000));
    expect(oldestAgeMs).toBeGreaterThanOrEqual(before - oldest);
    expect(oldestAgeMs).toBeLessThanOrEqual(after - oldest);
  });
});

describe('keys', () => {
  test('a binary partition key is logged as base64', async () => {
    const { Records } = loadEvent('stream-binary-key.json');
    const run = await invoke(handler, event(Records));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    const changes = byMessage(run.printed, 'change');
    expect(changes.map((line) => line.keys)).toStrictEqual([{ id: '3q2+7w==' }, { id: '3q2+7w==' }]);
    // The recorder wrote the bytes DE AD BE EF; the log carries the delivered base64 unchanged.
    const loggedId = (changes[0].keys as { id: string }).id;
    expect(loggedId).toBe((Records[0].dynamodb!.Keys!.id as { B: string }).B);
    expect(Buffer.from(loggedId, 'base64')).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(changes[0].newImage).toStrictEqual({ id: '3q2+7w==', label: 'binary key' });
    expect(changes[1].oldImage).toStrictEqual({ id: '3q2+7w==', label: 'binary key' });
  });
});

describe('TTL identity', () => {
  test('PascalCase userIdentity (as DynamoDB Local sends it) is recognised too', async () => {
    const run = await invoke(handler, event([handEdited('edge-case-records.json', 'pascalCaseTtlIdentity')]));
    expect(single(run.printed, 'change').ttlDelete).toBe(true);
  });

  test('a REMOVE by another principal is not a TTL delete', async () => {
    const run = await invoke(handler, event([handEdited('edge-case-records.json', 'userDeleteWithIdentity')]));
    expect(single(run.printed, 'change').ttlDelete).toBe(false);
  });
});

describe('timestamps', () => {
  test('approximateCreationDateTime is ISO 8601 in UTC, ageMs is now minus it', async () => {
    const record = loadEvent('stream-keys-only.json').Records[0];
    record.dynamodb!.ApproximateCreationDateTime = 1714557600; // 2024-05-01T10:00:00Z
    const before = Date.now();
    const run = await invoke(handler, event([record]));
    const after = Date.now();
    const line = single(run.printed, 'change');
    expect(line.approximateCreationDateTime).toBe('2024-05-01T10:00:00.000Z');
    expect(line.ageMs).toBeGreaterThanOrEqual(before - 1714557600000);
    expect(line.ageMs).toBeLessThanOrEqual(after - 1714557600000);
  });
});

describe('Lambda context', () => {
  test('function name and request id are on every line', async () => {
    const context = {
      functionName: 'change-log',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:change-log',
      memoryLimitInMB: '256',
      awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    };
    const run = await invoke(handler, loadEvent('stream-keys-only.json'), context);
    expect(run.printed.lines).toHaveLength(6);
    for (const line of run.printed.lines) {
      expect(line.function_name).toBe('change-log');
      expect(line.function_request_id).toBe('c6af9ac6-7b61-11e6-9a41-93e812345678');
    }
  });
});
