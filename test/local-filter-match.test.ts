import { compilePattern, compilePatterns, matchesAnyPattern, matchesPattern } from '../local/mapping/filter-match';
import { validateFilterPattern } from '../src/filter-validation';
import { ALL, CASES, keys, Name, NEVER_MATCH_CASES, newImage, RECORDS } from './fixtures/filter-patterns';
import * as keysOnlyFixture from './fixtures/stream-keys-only.json';
import * as newAndOldFixture from './fixtures/stream-new-and-old-images.json';
import * as newImageFixture from './fixtures/stream-new-image.json';
import * as oldImageFixture from './fixtures/stream-old-image.json';

const matching = (pattern: unknown): Name[] => ALL.filter((name) => matchesPattern(pattern, RECORDS[name]));

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

  test.each(NEVER_MATCH_CASES)('%j (%s)', (pattern, viewType, reason) => {
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
