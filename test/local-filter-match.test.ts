import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { compilePattern, compilePatterns, matchesAnyPattern, matchesPattern } from '../local/mapping/filter-match';
import { validateFilterPattern } from '../src/filter-validation';
import * as keysOnlyFixture from './fixtures/stream-keys-only.json';
import * as newAndOldFixture from './fixtures/stream-new-and-old-images.json';
import * as newImageFixture from './fixtures/stream-new-image.json';
import * as oldImageFixture from './fixtures/stream-old-image.json';

// Records as Lambda delivers them from a NEW_AND_OLD_IMAGES stream (AWS-style ids and ARNs), one per kind of change.
const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-05-01T00:00:00.000';

function record(eventName: string, seq: string, dynamodbPart: Record<string, unknown>, extra: Record<string, unknown> = {}, view = 'NEW_AND_OLD_IMAGES') {
  return {
    eventID: `c4ca4238a0b923820dcc509a6f75849${seq.slice(-1)}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1714550400 + Number(seq.slice(-1)),
      ...dynamodbPart,
      SequenceNumber: seq,
      StreamViewType: view,
    },
    eventSourceARN: STREAM_ARN,
    ...extra,
  };
}

const orderKeys = { pk: { S: 'ORDER#1' }, sk: { N: '1' } };
const pendingOrder = {
  ...orderKeys,
  status: { S: 'PENDING' },
  total: { N: '25.50' },
  tags: { SS: ['gift', 'priority'] },
  scores: { NS: ['1', '2.5'] },
  active: { BOOL: true },
  note: { S: '' },
  deletedAt: { NULL: true },
  customer: { M: { name: { S: 'Ada Lovelace' }, email: { S: 'ada@Example.com' }, address: { M: { city: { S: 'Paris' } } } } },
  lines: {
    L: [
      { M: { sku: { S: 'A-1' }, qty: { N: '2' } } },
      { M: { sku: { S: 'B-2' }, qty: { N: '1' } } },
      { M: { sku: { S: 'C-3' } } },
    ],
  },
  matrix: { L: [{ L: [{ S: 'deep' }] }] },
};
const shippedOrder = {
  ...orderKeys,
  status: { S: 'SHIPPED' },
  total: { N: '25.50' },
  tags: { SS: ['gift'] },
  active: { BOOL: false },
  shippedAt: { S: '2024-05-01T10:00:00Z' },
  customer: { M: { name: { S: 'Ada Lovelace' }, address: { M: { city: { S: 'London' } } } } },
};
const session = { pk: { S: 'SESSION#7' }, sk: { N: '0' }, expiresAt: { N: '1714550000' }, token: { S: 'secret' } };

const RECORDS = {
  insert: record('INSERT', '111000000000000000001', { Keys: orderKeys, NewImage: pendingOrder, SizeBytes: 180 }),
  modify: record('MODIFY', '111000000000000000002', { Keys: orderKeys, NewImage: shippedOrder, OldImage: pendingOrder, SizeBytes: 290 }),
  remove: record('REMOVE', '111000000000000000003', { Keys: orderKeys, OldImage: shippedOrder, SizeBytes: 110 }),
  ttlRemove: record('REMOVE', '111000000000000000004', { Keys: { pk: session.pk, sk: session.sk }, OldImage: session, SizeBytes: 60 },
    { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } }),
  // From a KEYS_ONLY stream: keys only, and a lower-case key to tell prefix from equals-ignore-case prefix.
  keysOnlyInsert: record('INSERT', '111000000000000000005', { Keys: { pk: { S: 'order#9' }, sk: { N: '3' } }, SizeBytes: 20 }, {}, 'KEYS_ONLY'),
};

type Name = keyof typeof RECORDS;
const ALL = Object.keys(RECORDS) as Name[];
const but = (...names: Name[]) => ALL.filter((n) => !names.includes(n));

function matching(pattern: unknown): Name[] {
  return ALL.filter((name) => matchesPattern(pattern, RECORDS[name]));
}

const newImage = (attrs: Record<string, unknown>) => ({ dynamodb: { NewImage: attrs } });
const oldImage = (attrs: Record<string, unknown>) => ({ dynamodb: { OldImage: attrs } });
const keys = (attrs: Record<string, unknown>) => ({ dynamodb: { Keys: attrs } });

// Each row names exactly the records that must match: every other record must not, so each row is a positive and a negative test.
const CASES: Array<[string, unknown, Name[]]> = [
  // exact values, OR within an array, AND across keys
  ['eventName exact', { eventName: ['INSERT'] }, ['insert', 'keysOnlyInsert']],
  ['array of values ORs', { eventName: ['MODIFY', 'REMOVE'] }, ['modify', 'remove', 'ttlRemove']],
  ['strings are case-sensitive', { eventName: ['insert'] }, []],
  ['keys AND together', { eventName: ['REMOVE'], dynamodb: { Keys: { pk: { S: ['ORDER#1'] } } } }, ['remove']],
  ['AND with one side false', { eventName: ['INSERT'], ...newImage({ status: { S: ['SHIPPED'] } }) }, []],
  ['type key in the path', newImage({ status: { S: ['SHIPPED'] } }), ['modify']],
  ['trap: type key left out matches nothing', newImage({ status: ['SHIPPED'] }), []],
  ['trap: wrong type key matches nothing', newImage({ status: { N: ['SHIPPED'] } }), []],
  ['MODIFY from PENDING to SHIPPED', { eventName: ['MODIFY'], dynamodb: { OldImage: { status: { S: ['PENDING'] } }, NewImage: { status: { S: ['SHIPPED'] } } } }, ['modify']],
  ['N is an exact string', newImage({ total: { N: ['25.50'] } }), ['insert', 'modify']],
  ['N is not compared numerically', newImage({ total: { N: ['25.5'] } }), []],
  ['number field, exact', { dynamodb: { SizeBytes: [180] } }, ['insert']],
  ['number field does not match its string', { dynamodb: { SizeBytes: ['180'] } }, []],
  ['empty string', newImage({ note: { S: [''] } }), ['insert']],
  ['BOOL true', newImage({ active: { BOOL: [true] } }), ['insert']],
  ['BOOL false', newImage({ active: { BOOL: [false] } }), ['modify']],
  ['BOOL does not match its string', newImage({ active: { BOOL: ['true'] } }), []],
  ['NULL attribute', newImage({ deletedAt: { NULL: [true] } }), ['insert']],
  ['nested maps follow the path', newImage({ customer: { M: { address: { M: { city: { S: ['Paris'] } } } } } }), ['insert']],
  ['nested maps, old image', oldImage({ customer: { M: { address: { M: { city: { S: ['London'] } } } } } }), ['remove']],
  ['TTL deletes', { eventName: ['REMOVE'], userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] } }, ['ttlRemove']],

  // prefix / suffix / equals-ignore-case
  ['prefix', keys({ pk: { S: [{ prefix: 'ORDER#' }] } }), ['insert', 'modify', 'remove']],
  ['prefix is case-sensitive', keys({ pk: { S: [{ prefix: 'order#' }] } }), ['keysOnlyInsert']],
  ['prefix equals-ignore-case', keys({ pk: { S: [{ prefix: { 'equals-ignore-case': 'order#' } }] } }), ['insert', 'modify', 'remove', 'keysOnlyInsert']],
  ['prefix never matches a number', { dynamodb: { SizeBytes: [{ prefix: '1' }] } }, []],
  ['suffix', newImage({ customer: { M: { email: { S: [{ suffix: '@Example.com' }] } } } }), ['insert']],
  ['suffix is case-sensitive', newImage({ customer: { M: { email: { S: [{ suffix: '@example.com' }] } } } }), []],
  ['suffix equals-ignore-case', newImage({ customer: { M: { email: { S: [{ suffix: { 'equals-ignore-case': '@EXAMPLE.COM' } }] } } } }), ['insert']],
  ['equals-ignore-case', newImage({ status: { S: [{ 'equals-ignore-case': 'shipped' }] } }), ['modify']],
  ['equals-ignore-case is not a prefix', newImage({ status: { S: [{ 'equals-ignore-case': 'ship' }] } }), []],
  ['equals-ignore-case on eventName', { eventName: [{ 'equals-ignore-case': 'remove' }] }, ['remove', 'ttlRemove']],

  // anything-but
  ['anything-but a value', { eventName: [{ 'anything-but': 'INSERT' }] }, ['modify', 'remove', 'ttlRemove']],
  ['anything-but a list', { eventName: [{ 'anything-but': ['INSERT', 'MODIFY'] }] }, ['remove', 'ttlRemove']],
  ['anything-but a number', { dynamodb: { SizeBytes: [{ 'anything-but': [180, 290] }] } }, ['remove', 'ttlRemove', 'keysOnlyInsert']],
  ['trap: anything-but needs the field present', newImage({ status: { S: [{ 'anything-but': 'SHIPPED' }] } }), ['insert']],
  ['trap: anything-but on a missing field', { userIdentity: { type: [{ 'anything-but': 'User' }] } }, ['ttlRemove']],
  ['anything-but prefix', keys({ pk: { S: [{ 'anything-but': { prefix: 'ORDER#' } }] } }), ['ttlRemove', 'keysOnlyInsert']],
  ['anything-but suffix', keys({ pk: { S: [{ 'anything-but': { suffix: '#1' } }] } }), ['ttlRemove', 'keysOnlyInsert']],
  ['anything-but equals-ignore-case', keys({ pk: { S: [{ 'anything-but': { 'equals-ignore-case': ['order#1', 'session#7'] } }] } }), ['keysOnlyInsert']],
  ['anything-but equals-ignore-case, one string', keys({ pk: { S: [{ 'anything-but': { 'equals-ignore-case': 'ORDER#9' } }] } }),
    ['insert', 'modify', 'remove', 'ttlRemove']],
  ['trap: anything-but on an object is not a leaf', newImage({ status: [{ 'anything-but': 'SHIPPED' }] }), []],

  // numeric
  ['numeric range on a JSON number', { dynamodb: { SizeBytes: [{ numeric: ['>', 100, '<=', 200] }] } }, ['insert', 'remove']],
  ['numeric =', { dynamodb: { SizeBytes: [{ numeric: ['=', 60] }] } }, ['ttlRemove']],
  ['numeric <', { dynamodb: { SizeBytes: [{ numeric: ['<', 60] }] } }, ['keysOnlyInsert']],
  ['numeric <=', { dynamodb: { SizeBytes: [{ numeric: ['<=', 60] }] } }, ['ttlRemove', 'keysOnlyInsert']],
  ['numeric >=', { dynamodb: { SizeBytes: [{ numeric: ['>=', 290] }] } }, ['modify']],
  ['numeric on ApproximateCreationDateTime', { dynamodb: { ApproximateCreationDateTime: [{ numeric: ['>=', 1714550403] }] } }, ['remove', 'ttlRemove', 'keysOnlyInsert']],
  ['trap: numeric never matches an N value', newImage({ total: { N: [{ numeric: ['>', 0] }] } }), []],
  ['trap: numeric never matches an NS value', newImage({ scores: { NS: [{ numeric: ['>', 0] }] } }), []],
  ['numeric does not match a string', { eventName: [{ numeric: ['>', 0] }] }, []],

  // exists
  ['exists true on a leaf', newImage({ status: { S: [{ exists: true }] } }), ['insert', 'modify']],
  ['exists true on a top-level leaf', { userIdentity: { type: [{ exists: true }] } }, ['ttlRemove']],
  ['exists false on a leaf', { userIdentity: { type: [{ exists: false }] } }, but('ttlRemove')],
  ['exists false on a missing attribute', newImage({ shippedAt: { S: [{ exists: false }] } }), but('modify')],
  ['trap: exists true on an attribute (an object) never matches', newImage({ status: [{ exists: true }] }), []],
  ['trap: exists true on an image never matches', { dynamodb: { NewImage: [{ exists: true }] } }, []],
  ['trap: exists true on userIdentity never matches', { userIdentity: [{ exists: true }] }, []],
  // EventBridge: "also matches ... because c-count is not a leaf node"
  ['exists false on an object holds (no leaf there)', newImage({ status: [{ exists: false }] }), ALL],
  ['exists false or a value', newImage({ shippedAt: { S: ['2024-05-01T10:00:00Z', { exists: false }] } }), ALL],

  // arrays in the record: sets and lists
  ['SS: any element', newImage({ tags: { SS: ['priority'] } }), ['insert']],
  ['SS: shared element', newImage({ tags: { SS: ['gift'] } }), ['insert', 'modify']],
  ['SS: anything-but matches when any element differs', newImage({ tags: { SS: [{ 'anything-but': 'gift' }] } }), ['insert']],
  ['SS: prefix on elements', newImage({ tags: { SS: [{ prefix: 'pri' }] } }), ['insert']],
  ['NS: elements are strings', newImage({ scores: { NS: ['2.5'] } }), ['insert']],
  ['SS: exists true', newImage({ tags: { SS: [{ exists: true }] } }), ['insert', 'modify']],
  ['L of M: any element', newImage({ lines: { L: { M: { sku: { S: ['B-2'] } } } } }), ['insert']],
  ['L of M: fields from one element', newImage({ lines: { L: { M: { sku: { S: ['A-1'] }, qty: { N: ['2'] } } } } }), ['insert']],
  ['L of M: fields from different elements never combine', newImage({ lines: { L: { M: { sku: { S: ['A-1'] }, qty: { N: ['1'] } } } } }), []],
  ['L of M: exists false looks at every element', newImage({ lines: { L: { M: { qty: { N: [{ exists: false }] } } } } }), but('insert')],
  ['L of L', newImage({ matrix: { L: { L: { S: ['deep'] } } } }), ['insert']],
  ['trap: exists true on L (elements are objects)', newImage({ lines: { L: [{ exists: true }] } }), []],

  // $or
  ['$or at the top', { $or: [{ eventName: ['INSERT'] }, { userIdentity: { type: ['Service'] } }] }, ['insert', 'ttlRemove', 'keysOnlyInsert']],
  ['$or ANDs with its siblings', { eventName: ['REMOVE'], $or: [{ userIdentity: { type: ['Service'] } }, oldImage({ status: { S: ['PENDING'] } })] }, ['ttlRemove']],
  ['$or excluding TTL deletes', { $or: [{ eventName: ['INSERT', 'MODIFY'] }, { eventName: ['REMOVE'], userIdentity: { type: [{ exists: false }] } }] }, but('ttlRemove')],
  ['$or nested in an image', { dynamodb: { NewImage: { $or: [{ status: { S: ['SHIPPED'] } }, { tags: { SS: ['priority'] } }] } } }, ['insert', 'modify']],
  ['$or nested with a sibling', { dynamodb: { NewImage: { active: { BOOL: [true] }, $or: [{ status: { S: ['SHIPPED'] } }, { tags: { SS: ['priority'] } }] } } }, ['insert']],
  ['$or with no alternative true', { $or: [{ eventName: ['NOPE'] }, { dynamodb: { SizeBytes: [1] } }] }, []],
  ['$or inside $or', { $or: [{ eventName: ['MODIFY'] }, { $or: [{ dynamodb: { SizeBytes: [60] } }, { dynamodb: { SizeBytes: [20] } }] }] }, ['modify', 'ttlRemove', 'keysOnlyInsert']],

  // patterns AWS refuses ("Invalid filter pattern definition.") match nothing, even where part of them would
  ['malformed: unknown operator', { eventName: [{ wildcard: 'INS*' }] }, []],
  ['malformed: cidr is not for Lambda', { eventName: [{ cidr: '10.0.0.0/8' }] }, []],
  ['malformed: unknown operator next to a valid value', { eventName: ['INSERT', { contains: 'NS' }] }, []],
  ['malformed: two operators in one object', { eventName: [{ prefix: 'IN', suffix: 'RT' }] }, []],
  ['malformed: bare value', { eventName: 'INSERT' }, []],
  ['malformed: empty array', { eventName: [] }, []],
  ['malformed: empty nested object', { eventName: ['INSERT'], dynamodb: {} }, []],
  ['malformed: empty pattern', {}, []],
  ['malformed: $or with one alternative', { $or: [{ eventName: ['INSERT'] }] }, []],
  ['malformed: $or not an array', { $or: { eventName: ['INSERT'] } }, []],
  ['malformed: numeric with a bad operator', { dynamodb: { SizeBytes: [{ numeric: ['!=', 1] }] } }, []],
  ['malformed: numeric with a string bound', { dynamodb: { SizeBytes: [{ numeric: ['>', '1'] }] } }, []],
  ['malformed: numeric with three items', { dynamodb: { SizeBytes: [{ numeric: ['>', 1, '<'] }] } }, []],
  ['malformed: exists with a string', { eventName: [{ exists: 'true' }] }, []],
  ['malformed: prefix with a number', { eventName: [{ prefix: 1 }] }, []],
  ['malformed: empty prefix', { eventName: [{ prefix: '' }] }, []],
  ['malformed: anything-but null', { eventName: [{ 'anything-but': null }] }, []],
  ['malformed: anything-but empty list', { eventName: [{ 'anything-but': [] }] }, []],
  ['malformed: anything-but wildcard', { eventName: [{ 'anything-but': { wildcard: 'I*' } }] }, []],
  ['malformed: anything-but prefix with a number', { eventName: [{ 'anything-but': { prefix: 1 } }] }, []],
  ['malformed: anything-but equals-ignore-case with a number', { eventName: [{ 'anything-but': { 'equals-ignore-case': [1] } }] }, []],
  ['malformed: nested array value', { eventName: [['INSERT']] }, []],
  ['malformed: equals-ignore-case with a number', { eventName: [{ 'equals-ignore-case': 1 }] }, []],
  ['malformed: not an object', ['INSERT'], []],
  ['malformed: null', null, []],
  ['malformed: JSON text that does not parse', '{"eventName": [', []],
];

describe('matchesPattern on DynamoDB stream records', () => {
  test.each(CASES)('%s', (_name, pattern, expected) => {
    expect(matching(pattern)).toEqual(expected);
  });

  test('a pattern may be given as its JSON text (CloudFormation FilterCriteria Pattern)', () => {
    expect(matching(JSON.stringify(newImage({ status: { S: ['SHIPPED'] } })))).toEqual(['modify']);
  });

  test('attribute names that are Object.prototype members are read as attributes, not inherited', () => {
    const r = JSON.parse(JSON.stringify(RECORDS.insert));
    r.dynamodb.NewImage.constructor = { S: 'yes' };
    expect(matchesPattern(newImage({ constructor: { S: ['yes'] } }), r)).toBe(true);
    expect(matchesPattern(newImage({ toString: { S: [{ exists: false }] } }), r)).toBe(true);
    expect(matchesPattern(newImage({ hasOwnProperty: [{ exists: true }] }), r)).toBe(false);
  });

  test('never throws on odd records', () => {
    for (const odd of [null, undefined, 42, 'INSERT', [], { dynamodb: null }, { dynamodb: [] }, { dynamodb: { NewImage: 'x' } }]) {
      expect(matchesPattern({ eventName: ['INSERT'] }, odd)).toBe(false);
      expect(matchesPattern(newImage({ status: { S: [{ exists: false }] } }), odd)).toBe(true);
    }
  });
});

// Plain JSON values that DynamoDB records never carry (JSON null, JSON numbers in nested fields), checked on small events.
describe('matchesPattern on JSON values', () => {
  test.each<[string, unknown, Array<[unknown, boolean]>]>([
    ['null matches JSON null only', { x: [null] }, [[{ x: null }, true], [{ x: 'null' }, false], [{}, false], [{ x: 0 }, false]]],
    ['numbers compare as numbers', { x: [5] }, [[{ x: 5 }, true], [JSON.parse('{"x": 5.0}'), true], [JSON.parse('{"x": 5e0}'), true], [{ x: '5' }, false], [{ x: 5.1 }, false]]],
    ['a string does not match a number', { x: ['5'] }, [[{ x: 5 }, false], [{ x: '5' }, true]]],
    ['booleans', { x: [false] }, [[{ x: false }, true], [{ x: 0 }, false], [{ x: 'false' }, false], [{ x: null }, false]]],
    ['exists true on null (a leaf)', { x: [{ exists: true }] }, [[{ x: null }, true], [{ x: {} }, false], [{ x: [] }, false], [{}, false]]],
    ['exists false on an empty array (no leaf)', { x: [{ exists: false }] }, [[{ x: [] }, true], [{ x: [1] }, false], [{ x: [{ y: 1 }] }, true]]],
    ['anything-but only excludes what it names', { x: [{ 'anything-but': 'a' }] }, [[{ x: 'b' }, true], [{ x: 'a' }, false], [{ x: 1 }, true], [{ x: null }, true], [{ x: ['a', 'a'] }, false], [{ x: ['a', 'b'] }, true]]],
    ['anything-but prefix leaves non-strings in', { x: [{ 'anything-but': { prefix: 'a' } }] }, [[{ x: 'ab' }, false], [{ x: 'ba' }, true], [{ x: 7 }, true], [{ x: true }, true]]],
    ['anything-but a number is type-aware', { x: [{ 'anything-but': 5 }] }, [[{ x: 5 }, false], [{ x: '5' }, true], [{ x: 6 }, true]]],
    ['numeric bounds are inclusive or exclusive as written', { x: [{ numeric: ['>=', 0, '<', 10] }] }, [[{ x: 0 }, true], [{ x: 9.999 }, true], [{ x: 10 }, false], [{ x: -0.1 }, false], [{ x: [20, 3] }, true]]],
    ['numeric with the bounds in any order', { x: [{ numeric: ['<', 10, '>', 0] }] }, [[{ x: 5 }, true], [{ x: 0 }, false], [{ x: 10 }, false]]],
    ['nested arrays are crushed', { x: { y: ['v'] } }, [[{ x: [[{ y: 'v' }]] }, true], [{ x: [{ y: ['w', ['v']] }] }, true], [{ x: [] }, false]]],
    ['a pattern object never matches a leaf', { x: { y: ['v'] } }, [[{ x: 'v' }, false], [{ x: { y: 'v' } }, true]]],
  ])('%s', (_name, pattern, events) => {
    for (const [event, expected] of events) {
      expect({ event, matched: matchesPattern(pattern, event) }).toEqual({ event, matched: expected });
    }
  });
});

describe('matchesAnyPattern and compilePatterns (FilterCriteria)', () => {
  const shipped = newImage({ status: { S: ['SHIPPED'] } });
  const ttl = { userIdentity: { type: ['Service'] } };

  test('no patterns: every record is kept', () => {
    for (const name of ALL) {
      expect(matchesAnyPattern([], RECORDS[name])).toBe(true);
    }
  });

  test('several patterns OR together', () => {
    expect(ALL.filter((n) => matchesAnyPattern([shipped, ttl], RECORDS[n]))).toEqual(['modify', 'ttlRemove']);
    expect(ALL.filter((n) => matchesAnyPattern([shipped], RECORDS[n]))).toEqual(['modify']);
    expect(ALL.filter((n) => matchesAnyPattern([{ eventName: ['NOPE'] }, { dynamodb: { SizeBytes: [1] } }], RECORDS[n]))).toEqual([]);
  });

  test('a malformed pattern matches nothing but does not stop the others', () => {
    expect(ALL.filter((n) => matchesAnyPattern([{ eventName: [{ wildcard: '*' }] }, ttl], RECORDS[n]))).toEqual(['ttlRemove']);
  });

  test('a compiled matcher is reusable and agrees with the patterns matched one by one', () => {
    const patterns = [shipped, JSON.stringify(ttl), { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'order#' }] } } } }];
    const matcher = compilePatterns(patterns);
    for (let round = 0; round < 3; round++) {
      expect(ALL.filter((n) => matcher(RECORDS[n]))).toEqual(['modify', 'ttlRemove', 'keysOnlyInsert']);
    }
    for (const name of ALL) {
      expect(matcher(RECORDS[name])).toBe(patterns.some((p) => matchesPattern(p, RECORDS[name])));
    }
  });

  test('compilePattern does not depend on later changes to the pattern object', () => {
    const pattern = { eventName: ['INSERT'] };
    const matcher = compilePattern(pattern);
    pattern.eventName[0] = 'REMOVE';
    expect(matcher(RECORDS.insert)).toBe(true);
    expect(matcher(RECORDS.remove)).toBe(false);
  });
});

// Records recorded from DynamoDB Local and normalized as Lambda delivers them (see test/fixtures/README.md).
const RECORDED = {
  KEYS_ONLY: keysOnlyFixture.Records,
  NEW_IMAGE: newImageFixture.Records,
  OLD_IMAGE: oldImageFixture.Records,
  NEW_AND_OLD_IMAGES: newAndOldFixture.Records,
} as Record<string, unknown[]>;

describe('on recorded DynamoDB Local records', () => {
  const names = (records: unknown[], pattern: unknown) =>
    records.filter((r) => matchesPattern(pattern, r)).map((r) => (r as { eventName: string }).eventName);

  test('TTL deletes, shipped orders and excluded TTL deletes', () => {
    const records = RECORDED.NEW_AND_OLD_IMAGES;
    expect(names(records, { eventName: ['REMOVE'], userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] } })).toEqual(['REMOVE']);
    expect(names(records, newImage({ status: { S: ['SHIPPED'] } }))).toEqual(['MODIFY']);
    expect(names(records, { $or: [{ eventName: ['INSERT', 'MODIFY'] }, { eventName: ['REMOVE'], userIdentity: { type: [{ exists: false }] } }] }))
      .toEqual(['INSERT', 'MODIFY', 'REMOVE', 'INSERT']);
    expect(names(records, newImage({ tags: { SS: ['yellow'] } }))).toEqual(['MODIFY']);
    expect(names(records, newImage({ customer: { M: { address: { M: { city: { S: ['Paris'] } } } } } }))).toEqual(['MODIFY']);
  });

  test('the same filter on every view type finds the images the view type carries', () => {
    const byView = Object.fromEntries(Object.entries(RECORDED).map(([view, records]) => [view, names(records, keys({ pk: { S: [{ prefix: 'order#' }] } }))]));
    expect(byView).toEqual({
      KEYS_ONLY: ['INSERT', 'MODIFY', 'REMOVE'],
      NEW_IMAGE: ['INSERT', 'MODIFY', 'REMOVE'],
      OLD_IMAGE: ['INSERT', 'MODIFY', 'REMOVE'],
      NEW_AND_OLD_IMAGES: ['INSERT', 'MODIFY', 'REMOVE'],
    });
    expect(names(RECORDED.KEYS_ONLY, newImage({ pk: { S: [{ exists: true }] } }))).toEqual([]);
    expect(names(RECORDED.NEW_IMAGE, newImage({ pk: { S: [{ exists: true }] } }))).toEqual(['INSERT', 'MODIFY', 'INSERT']);
  });
});

// The synth-time checker and the runtime matcher must agree: what the construct refuses as unmatchable matches nothing here.
describe('consistency with validateFilterPattern', () => {
  const corpus = [...Object.values(RECORDS), ...Object.values(RECORDED).flat()];
  const recordsOfView = (view: string) => corpus.filter((r) => (r as { dynamodb: { StreamViewType: string } }).dynamodb.StreamViewType === view);

  test.each<[unknown, dynamodb.StreamViewType | undefined, RegExp]>([
    [newImage({ status: ['SHIPPED'] }), undefined, /can never match/],
    [keys({ pk: ['ORDER#1'] }), undefined, /can never match/],
    [oldImage({ status: ['SHIPPED', { prefix: 'S' }] }), undefined, /can never match/],
    [newImage({ total: { N: [{ numeric: ['>', 0] }] } }), undefined, /can never match/],
    [newImage({ scores: { NS: [{ numeric: ['>', 0] }] } }), undefined, /can never match/],
    [keys({ sk: { N: [{ numeric: ['>=', 0] }] } }), undefined, /can never match/],
    [newImage({ status: [{ exists: true }] }), undefined, /can never match/],
    [{ dynamodb: { NewImage: [{ exists: true }] } }, undefined, /can never match/],
    [{ userIdentity: [{ exists: true }] }, undefined, /can never match/],
    [{ dynamodb: [{ exists: true }] }, undefined, /can never match/],
    [newImage({ lines: { L: [{ exists: true }] } }), undefined, /can never match/],
    [newImage({ customer: { M: [{ exists: true }] } }), undefined, /can never match/],
    [newImage({ pk: { S: [{ exists: true }] } }), dynamodb.StreamViewType.KEYS_ONLY, /can never match/],
    [newImage({ pk: { S: [{ prefix: 'order#' }] } }), dynamodb.StreamViewType.OLD_IMAGE, /can never match/],
    [oldImage({ pk: { S: [{ exists: true }] } }), dynamodb.StreamViewType.NEW_IMAGE, /can never match/],
    [oldImage({ pk: { S: [{ exists: true }] } }), dynamodb.StreamViewType.KEYS_ONLY, /can never match/],
    [{ eventName: [] }, undefined, /matches nothing/],
    [{ eventName: ['INSERT'], dynamodb: {} }, undefined, /matches nothing/],
    [{ detail: { state: ['running'] } }, undefined, /names no field/],
    [{ dynamodb: { Image: { pk: { S: [{ exists: true }] } } } }, undefined, /names no field/],
    [newImage({ status: { STRING: ['SHIPPED'] } }), undefined, /not a DynamoDB type key/],
  ])('%j (%s)', (pattern, viewType, reason) => {
    expect(() => validateFilterPattern(pattern, 'filter', viewType)).toThrow(reason);
    const records = viewType === undefined ? corpus : recordsOfView(viewType);
    expect(records.length).toBeGreaterThan(2);
    expect(records.filter((r) => matchesPattern(pattern, r))).toEqual([]);
  });

  test('patterns the checker accepts do match some record of the corpus', () => {
    for (const pattern of [newImage({ status: { S: ['SHIPPED'] } }), newImage({ pk: { S: [{ exists: true }] } }), { userIdentity: { type: [{ exists: true }] } }]) {
      expect(() => validateFilterPattern(pattern, 'filter', undefined)).not.toThrow();
      expect(corpus.some((r) => matchesPattern(pattern, r))).toBe(true);
    }
  });
});
