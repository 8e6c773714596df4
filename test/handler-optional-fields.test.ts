/**
 * The handler needs only a record's identity (SequenceNumber, eventName, Keys); every other member of a
 * stream record is optional in AWS's API reference. A record without one, or with a value that cannot be
 * right (a millisecond timestamp), is logged and succeeds, and its line names what is missing
 * (`absentFields`) or unusable (`implausibleFields`), as docs/change-log.md describes.
 *
 * Two sources: DynamoDB Streams events published by other projects (test/fixtures/public-events, their
 * sources and licences in its README), checked against values written out by hand; and the recorded
 * records of every view type, with each optional member removed or spoiled in turn.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBRecord } from 'aws-lambda';
import { byMessage, event, FIXTURES, invoke, loadEvent, loadHandler, ours, single } from './fixtures/harness';

const { handler } = loadHandler();

const PUBLIC_EVENTS = path.join(FIXTURES, 'public-events');

function publicEvent(fileName: string): DynamoDBRecord[] {
  return JSON.parse(fs.readFileSync(path.join(PUBLIC_EVENTS, fileName), 'utf8')).Records;
}

/** Runs one batch that must succeed as a whole: one change line per record, an `ok` summary. */
async function logAll(records: unknown[]): Promise<Array<Record<string, unknown>>> {
  const run = await invoke(handler, event(records));
  expect(run.error).toBeUndefined();
  expect(run.result).toStrictEqual({ batchItemFailures: [] });
  expect(byMessage(run.printed, 'record failed')).toHaveLength(0);
  const summary = single(run.printed, 'batch');
  expect(summary).toMatchObject({ level: 'INFO', outcome: 'ok', records: records.length, processed: records.length, failures: 0 });
  const changes = byMessage(run.printed, 'change');
  expect(changes).toHaveLength(records.length);
  return changes.map(ours);
}

/** The fields of a change line that do not depend on when the test runs. */
function timeless(line: Record<string, unknown>): Record<string, unknown> {
  const { ageMs, ...rest } = line;
  expect(typeof ageMs === 'number' || ageMs === undefined).toBe(true);
  return rest;
}

/**
 * The line of the developer guide's MODIFY record (no creation time), which Powertools' parser event repeats
 * (its eventSourceARN aside, which names no table in either).
 */
const DEVELOPER_GUIDE_MODIFY = {
  eventName: 'MODIFY',
  eventID: '2',
  sequenceNumber: '222',
  keys: { Id: 101 },
  changedAttributes: ['Message'],
  sizeBytes: 59,
  streamViewType: 'NEW_AND_OLD_IMAGES',
  ttlDelete: false,
  absentFields: ['dynamodb.ApproximateCreationDateTime'],
  newImage: { Message: 'This item has changed', Id: 101 },
  oldImage: { Message: 'New item!', Id: 101 },
};

describe('public events of other projects: every record is logged and succeeds', () => {
  test('every file in test/fixtures/public-events is listed in its README with a source and a licence', () => {
    const readme = fs.readFileSync(path.join(PUBLIC_EVENTS, 'README.md'), 'utf8');
    const files = fs.readdirSync(PUBLIC_EVENTS).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${file}\` |`));
      expect(row).toMatch(/\| (MIT-0|Apache-2\.0)[^|]*\|$/);
      expect(row).toMatch(/@ `[0-9a-f]{40}`/);
    }
  });

  test('the Lambda developer guide example: no ApproximateCreationDateTime, an ARN that names no table', async () => {
    const lines = await logAll(publicEvent('aws-lambda-developer-guide-dynamodb-record.json'));
    expect(lines.map(timeless)).toStrictEqual([
      {
        eventName: 'INSERT',
        eventID: '1',
        sequenceNumber: '111',
        keys: { Id: 101 },
        sizeBytes: 26,
        streamViewType: 'NEW_AND_OLD_IMAGES',
        ttlDelete: false,
        absentFields: ['dynamodb.ApproximateCreationDateTime'],
        newImage: { Message: 'New item!', Id: 101 },
      },
      DEVELOPER_GUIDE_MODIFY,
    ]);
    // No creation time, no age: neither on the lines nor in the summary.
    expect(lines.every((line) => !('ageMs' in line))).toBe(true);
  });

  test('Powertools for AWS Lambda (TypeScript) parser event: fractional epoch seconds, one record without a creation time', async () => {
    const lines = await logAll(publicEvent('powertools-typescript-dynamodb-base.json'));
    expect(lines.map(timeless)).toStrictEqual([
      {
        eventName: 'INSERT',
        eventID: '1',
        sequenceNumber: '111',
        keys: { Id: 101 },
        approximateCreationDateTime: '2023-09-06T10:45:55.000Z',
        sizeBytes: 26,
        streamViewType: 'NEW_IMAGE',
        ttlDelete: false,
        newImage: { Message: 'New item!', Id: 101 },
      },
      DEVELOPER_GUIDE_MODIFY,
    ]);
    expect(typeof lines[0].ageMs).toBe('number');
  });

  test('Powertools for AWS Lambda (TypeScript) batch sample: the same eventID twice, no creation time', async () => {
    const lines = await logAll(publicEvent('powertools-typescript-sampleDynamoDBStreamsEvent.json'));
    expect(lines.map((line) => [line.eventID, line.sequenceNumber, line.newImage, line.absentFields])).toStrictEqual([
      ['1', '3275880929', { Message: 'failure' }, ['dynamodb.ApproximateCreationDateTime']],
      ['1', '8640712661', { SomethingElse: 'success' }, ['dynamodb.ApproximateCreationDateTime']],
    ]);
  });

  test('aws-lambda-go: every attribute type, an empty string set, a service identity on an INSERT (not a TTL delete)', async () => {
    const lines = await logAll(publicEvent('aws-lambda-go-dynamodb-event.json'));
    expect(lines.map(timeless)[1]).toStrictEqual({
      eventName: 'INSERT',
      eventID: 'f07f8ca4b0b26cb9c4e5e77e42f274ee',
      sequenceNumber: '1405400000000002063282832',
      tableName: 'Example-Table',
      keys: { val: 'data', key: 'binary' },
      approximateCreationDateTime: '2016-12-02T01:27:00.000Z',
      sizeBytes: 54,
      streamViewType: 'NEW_AND_OLD_IMAGES',
      ttlDelete: false,
      newImage: {
        val: 'data',
        asdf1: 'AAEqQQ==',
        b2: 'test',
        asdf2: ['AAEqQQ==', 'QSoBAA==', 'AAEqQQ=='],
        key: 'binary',
        Binary: 'AAEqQQ==',
        Boolean: true,
        BinarySet: ['AAEqQQ==', 'AAEqQQ=='],
        List: ['Cookies', 'Coffee', 3.14159],
        Map: { Name: 'Joe', Age: 35 },
        FloatNumber: 123.45,
        IntegerNumber: 123,
        NumberSet: [1234, 567.8],
        Null: null,
        String: 'Hello',
        StringSet: ['Giraffe', 'Zebra'],
        EmptyStringSet: [],
      },
    });
    expect(lines[0].absentFields).toBeUndefined();
  });

  test('aws-lambda-java-libs: INSERT, MODIFY, REMOVE with every member present', async () => {
    const lines = await logAll(publicEvent('aws-lambda-java-libs-dynamo_event.json'));
    expect(lines.map((line) => [line.eventName, line.tableName, line.approximateCreationDateTime, line.ttlDelete, line.absentFields]))
      .toStrictEqual([
        ['INSERT', 'ExampleTableWithStream', '2015-04-09T00:00:00.000Z', false, undefined],
        ['MODIFY', 'ExampleTableWithStream', '2015-04-09T00:00:00.000Z', false, undefined],
        ['REMOVE', 'ExampleTableWithStream', '2015-04-09T00:00:00.000Z', false, undefined],
      ]);
    expect(lines[1].changedAttributes).toStrictEqual(['Message']);
  });
});

const VIEW_TYPE_FIXTURES = ['stream-keys-only.json', 'stream-new-image.json', 'stream-old-image.json', 'stream-new-and-old-images.json'];

/** Members of a record that AWS's API reference marks optional and the handler does not need. */
const OPTIONAL_MEMBERS: Array<[string, (record: DynamoDBRecord) => void]> = [
  ['eventID', (r) => delete r.eventID],
  ['eventVersion', (r) => delete r.eventVersion],
  ['eventSource', (r) => delete r.eventSource],
  ['awsRegion', (r) => delete r.awsRegion],
  ['eventSourceARN', (r) => delete r.eventSourceARN],
  ['userIdentity', (r) => delete r.userIdentity],
  ['dynamodb.ApproximateCreationDateTime', (r) => delete r.dynamodb!.ApproximateCreationDateTime],
  ['dynamodb.SizeBytes', (r) => delete r.dynamodb!.SizeBytes],
  ['dynamodb.StreamViewType', (r) => delete r.dynamodb!.StreamViewType],
  ['dynamodb.NewImage', (r) => delete r.dynamodb!.NewImage],
  ['dynamodb.OldImage', (r) => delete r.dynamodb!.OldImage],
];

/** Of the optional members, those the change line reports when they are missing. */
const REPORTED = ['eventID', 'dynamodb.ApproximateCreationDateTime', 'dynamodb.SizeBytes', 'dynamodb.StreamViewType'];

describe.each(VIEW_TYPE_FIXTURES)('%s: every record with and without each optional member', (fixture) => {
  test('with every member: nothing is reported absent or implausible', async () => {
    const lines = await logAll(loadEvent(fixture).Records);
    for (const line of lines) {
      expect(line.absentFields).toBeUndefined();
      expect(line.implausibleFields).toBeUndefined();
    }
  });

  test.each(OPTIONAL_MEMBERS)('without %s', async (member, remove) => {
    const complete = await logAll(loadEvent(fixture).Records);
    const records = loadEvent(fixture).Records;
    records.forEach(remove);
    const lines = await logAll(records);
    lines.forEach((line, i) => {
      const expected = { ...timeless(complete[i]) };
      if (REPORTED.includes(member)) {
        expected.absentFields = [member];
      }
      const field = {
        'eventID': 'eventID',
        'eventSourceARN': 'tableName',
        'dynamodb.NewImage': 'newImage',
        'dynamodb.OldImage': 'oldImage',
        'dynamodb.SizeBytes': 'sizeBytes',
        'dynamodb.StreamViewType': 'streamViewType',
        'dynamodb.ApproximateCreationDateTime': 'approximateCreationDateTime',
      }[member];
      if (field) delete expected[field];
      if (member === 'userIdentity') expected.ttlDelete = false; // a TTL delete is known by its identity only
      if (member === 'dynamodb.NewImage' || member === 'dynamodb.OldImage') delete expected.changedAttributes;
      expect(timeless(line)).toStrictEqual(expected);
      if (member === 'dynamodb.ApproximateCreationDateTime') expect(line.ageMs).toBeUndefined();
    });
  });
});

describe('implausible values are logged as such, and the record succeeds', () => {
  const spoilt: Array<[string, string, (record: DynamoDBRecord) => void]> = [
    ['a millisecond timestamp', 'dynamodb.ApproximateCreationDateTime', (r) => { r.dynamodb!.ApproximateCreationDateTime! *= 1000; }],
    ['a negative timestamp', 'dynamodb.ApproximateCreationDateTime', (r) => { r.dynamodb!.ApproximateCreationDateTime = -1; }],
    ['a timestamp as text', 'dynamodb.ApproximateCreationDateTime', (r) => { (r.dynamodb as Record<string, unknown>).ApproximateCreationDateTime = '1700000000'; }],
    ['a fractional size', 'dynamodb.SizeBytes', (r) => { r.dynamodb!.SizeBytes = 1.5; }],
    ['a negative size', 'dynamodb.SizeBytes', (r) => { r.dynamodb!.SizeBytes = -1; }],
    ['an unknown view type', 'dynamodb.StreamViewType', (r) => { (r.dynamodb as Record<string, unknown>).StreamViewType = 'ALL'; }],
    ['an empty eventID', 'eventID', (r) => { r.eventID = ''; }],
    ['a numeric eventID', 'eventID', (r) => { (r as Record<string, unknown>).eventID = 7; }],
  ];

  test.each(spoilt)('%s', async (_what, member, spoil) => {
    const records = loadEvent('stream-new-and-old-images.json').Records;
    records.forEach(spoil);
    const lines = await logAll(records);
    for (const line of lines) {
      expect(line.implausibleFields).toStrictEqual([member]);
      expect(line.absentFields).toBeUndefined();
    }
    if (member === 'dynamodb.ApproximateCreationDateTime') {
      // Never a date in the year 54567, never a negative age.
      expect(lines.every((line) => !('approximateCreationDateTime' in line) && !('ageMs' in line))).toBe(true);
    }
  });

  test('the summary takes its oldest age from the records that have one', async () => {
    const records = loadEvent('stream-new-and-old-images.json').Records;
    records[0].dynamodb!.ApproximateCreationDateTime! *= 1000;
    const run = await invoke(handler, event(records));
    const ages = byMessage(run.printed, 'change').map((line) => line.ageMs).filter((age) => age !== undefined) as number[];
    expect(ages).toHaveLength(4);
    expect(single(run.printed, 'batch').oldestAgeMs).toBe(Math.max(...ages));
  });

  test('several problems on one record are all named, absent and implausible apart', async () => {
    const record = loadEvent('stream-new-image.json').Records[0];
    delete record.eventID;
    delete record.dynamodb!.StreamViewType;
    record.dynamodb!.SizeBytes = -3;
    const [line] = await logAll([record]);
    expect(line.absentFields).toStrictEqual(['eventID', 'dynamodb.StreamViewType']);
    expect(line.implausibleFields).toStrictEqual(['dynamodb.SizeBytes']);
  });
});
