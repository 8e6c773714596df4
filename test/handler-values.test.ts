/**
 * Values reach the log without loss: numbers beyond what a double holds, binary, sets, nested maps and
 * lists, NULL, BOOL, empty strings, awkward attribute names; and changedAttributes compares deeply.
 * Numbers are checked on the printed TEXT, because JSON.parse would round a number that was printed wrongly.
 */
import { DynamoDBRecord } from 'aws-lambda';
import { ORDER_CHANGED_ATTRIBUTES, ORDER_INSERTED } from './fixtures/expected-items';
import { event, handEdited, invoke, loadEvent, loadHandler, single } from './fixtures/harness';

const { handler } = loadHandler();

/** A recorded INSERT whose NewImage is replaced by `image` (DynamoDB JSON). */
function insertWith(image: Record<string, unknown>): DynamoDBRecord {
  const record = loadEvent('stream-new-and-old-images.json').Records[0];
  record.dynamodb!.NewImage = { pk: { S: 'order#1' }, sk: { N: '1' }, ...image } as never;
  return record;
}

async function newImageText(image: Record<string, unknown>): Promise<string> {
  const run = await invoke(handler, event([insertWith(image)]));
  expect(run.result).toStrictEqual({ batchItemFailures: [] });
  const index = run.printed.lines.findIndex((line) => line.message === 'change');
  return run.printed.texts[index];
}

describe('numbers', () => {
  test('recorded numbers beyond 2^53 and high-precision decimals are printed with every digit', async () => {
    const record = loadEvent('stream-new-and-old-images.json').Records[0];
    const run = await invoke(handler, event([record]));
    const text = run.printed.texts[run.printed.lines.findIndex((line) => line.message === 'change')];
    expect(text).toContain('"bigInteger":"12345678901234567890"');
    expect(text).toContain('"beyondSafeInteger":"9007199254740993"');
    expect(text).toContain('"highPrecision":"12345678901234567890123456789.123456789"');
    expect(text).toContain('"scores":[1,2.5,"12345678901234567890"]');
    expect(text).toContain('"price":19.99');
    expect(text).toContain('"discount":-0.5');
    expect(text).toContain('"lat":51.5074');
    expect(text).toContain('"lon":-0.1278');
  });

  // A JSON number when its printed text denotes exactly the stored value; otherwise a string of DynamoDB's digits.
  test.each([
    ['0', '0'],
    ['-7', '-7'],
    ['123456789012345', '123456789012345'], // 15 digits: always exact
    ['9007199254740991', '9007199254740991'], // 2^53 - 1
    ['9007199254740992', '9007199254740992'], // 2^53 itself is a double
    ['9007199254740993', '"9007199254740993"'], // 2^53 + 1 is not
    ['123456789012345678', '"123456789012345678"'],
    ['-12345678901234567890', '"-12345678901234567890"'],
    ['0.1', '0.1'],
    ['19.99', '19.99'],
    ['0.30000000000000004', '0.30000000000000004'],
    ['0.3000000000000000444', '"0.3000000000000000444"'], // 19 significant digits
    ['12345678901234567890123456789.123456789', '"12345678901234567890123456789.123456789"'],
    ['1E+2', '100'],
    ['1e-130', '1e-130'], // DynamoDB's smallest magnitude
    ['9.9999999999999999999999999999999999999E+125', '"9.9999999999999999999999999999999999999E+125"'], // its largest
    ['100000000000000000000000000000000000000', '1e+38'], // same value, shorter spelling
    ['-0.000001', '-0.000001'],
  ])('N %s is printed as %s', async (stored, printed) => {
    expect(await newImageText({ n: { N: stored } })).toContain(`"n":${printed}`);
    expect(await newImageText({ ns: { NS: [stored] } })).toContain(`"ns":[${printed}]`);
  });

  test('a number inside a list inside a map keeps its digits', async () => {
    const text = await newImageText({ m: { M: { l: { L: [{ N: '98765432109876543210' }] } } } });
    expect(text).toContain('"m":{"l":["98765432109876543210"]}');
  });
});

describe('other types', () => {
  test('binary is base64, sets are arrays, NULL is null, BOOL is a boolean, empty strings stay', async () => {
    const run = await invoke(handler, event([loadEvent('stream-new-and-old-images.json').Records[0]]));
    const image = single(run.printed, 'change').newImage as Record<string, unknown>;
    expect(image.payload).toBe('AAEC/f7/');
    expect(Buffer.from(image.payload as string, 'base64')).toEqual(Buffer.from([0, 1, 2, 253, 254, 255]));
    expect(image.emptyBinary).toBe('');
    expect(image.blobs).toStrictEqual(['aGVsbG8=', '/w==']);
    expect(image.tags).toStrictEqual(['blue', 'green', 'red']);
    expect(image.scores).toStrictEqual([1, 2.5, '12345678901234567890']);
    expect(image.deletedAt).toBeNull();
    expect(image.active).toBe(true);
    expect(image.gift).toBe(false);
    expect(image.note).toBe('');
    expect(image.lines).toStrictEqual([{ sku: 'A-1', qty: 2 }, ['nested', 1, null, false, ''], '']);
    expect(image.emptyList).toStrictEqual([]);
    expect(image.emptyMap).toStrictEqual({});
    expect(image).toStrictEqual(ORDER_INSERTED);
  });

  test('attributes named __proto__, constructor, toString or with dots are printed like any other', async () => {
    const run = await invoke(handler, event([handEdited('edge-case-records.json', 'awkwardAttributeNames')]));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    const index = run.printed.lines.findIndex((line) => line.message === 'change');
    const text = run.printed.texts[index];
    expect(text).toContain('"__proto__":"proto"');
    expect(text).toContain('"constructor":{"name":"ctor"}');
    expect(text).toContain('"toString":1');
    expect(text).toContain('"a.b":"dotted name"');
    const image = run.printed.lines[index].newImage as Record<string, unknown>;
    expect(new Set(Object.keys(image))).toEqual(new Set([...Object.keys(ORDER_INSERTED), '__proto__', 'constructor', 'toString', 'a.b']));
    // toEqual, not toStrictEqual: the latter compares `.constructor`, which is an attribute here.
    expect(image).toEqual({
      ...ORDER_INSERTED,
      ['__proto__']: 'proto',
      'constructor': { name: 'ctor' },
      'toString': 1,
      'a.b': 'dotted name',
    });
  });

  test('key attributes named constructor and __proto__ are printed too', async () => {
    const run = await invoke(handler, event([handEdited('edge-case-records.json', 'keysNamedConstructorAndProto')]));
    const index = run.printed.lines.findIndex((line) => line.message === 'change');
    expect(run.printed.texts[index]).toContain('"keys":{"constructor":"order#1","__proto__":1}');
    expect(run.printed.texts[index]).toContain('"newImage":{"constructor":"order#1","__proto__":1,');
  });
});

describe('changedAttributes', () => {
  test('names added, removed and changed at any depth, sorted', async () => {
    const record = loadEvent('stream-new-and-old-images.json').Records[1];
    const run = await invoke(handler, event([record]));
    // customer changed only at customer.address.city; note removed; shippedAt added; tags gained a member.
    expect(single(run.printed, 'change').changedAttributes).toStrictEqual(ORDER_CHANGED_ATTRIBUTES);
  });

  test('set order and number spelling are not changes', async () => {
    const record = handEdited('edge-case-records.json', 'reorderedSets');
    const run = await invoke(handler, event([record]));
    const line = single(run.printed, 'change');
    expect(line.changedAttributes).toStrictEqual(ORDER_CHANGED_ATTRIBUTES);
    // The image itself is printed as delivered: the set in its delivered order, 19.990 as the number 19.99.
    const image = line.newImage as Record<string, unknown>;
    expect(image.scores).toStrictEqual(['12345678901234567890', 2.5, 1]);
    expect(image.price).toBe(19.99);
  });

  test('a change of type is a change, even when the text is the same', async () => {
    const run = await invoke(handler, event([handEdited('edge-case-records.json', 'typeChange')]));
    expect(single(run.printed, 'change').changedAttributes)
      .toStrictEqual(['customer', 'gift', 'note', 'payload', 'quantity', 'shippedAt', 'status', 'tags']);
  });

  test('a MODIFY that changes a value deep in a list of maps names the top-level attribute only', async () => {
    const record = loadEvent('stream-new-and-old-images.json').Records[1];
    const old = JSON.parse(JSON.stringify(record.dynamodb!.NewImage));
    record.dynamodb!.OldImage = old;
    record.dynamodb!.NewImage!.customer.M!.phones.L![1].M!.number = { S: '+44 7700 900001' };
    const run = await invoke(handler, event([record]));
    expect(single(run.printed, 'change').changedAttributes).toStrictEqual(['customer']);
  });

  test('a MODIFY with identical images lists nothing', async () => {
    const record = loadEvent('stream-new-and-old-images.json').Records[1];
    record.dynamodb!.OldImage = JSON.parse(JSON.stringify(record.dynamodb!.NewImage));
    const run = await invoke(handler, event([record]));
    expect(single(run.printed, 'change').changedAttributes).toStrictEqual([]);
  });

  test('absent unless the MODIFY carries both images', async () => {
    const records = [
      ...loadEvent('stream-new-and-old-images.json').Records,
      loadEvent('stream-new-image.json').Records[1],
      loadEvent('stream-old-image.json').Records[1],
      loadEvent('stream-keys-only.json').Records[1],
    ];
    const run = await invoke(handler, event(records));
    const lines = run.printed.lines.filter((line) => line.message === 'change');
    expect(lines.map((line) => [line.eventName, line.streamViewType, 'changedAttributes' in line])).toEqual([
      ['INSERT', 'NEW_AND_OLD_IMAGES', false],
      ['MODIFY', 'NEW_AND_OLD_IMAGES', true],
      ['REMOVE', 'NEW_AND_OLD_IMAGES', false],
      ['INSERT', 'NEW_AND_OLD_IMAGES', false],
      ['REMOVE', 'NEW_AND_OLD_IMAGES', false],
      ['MODIFY', 'NEW_IMAGE', false],
      ['MODIFY', 'OLD_IMAGE', false],
      ['MODIFY', 'KEYS_ONLY', false],
    ]);
  });
});
