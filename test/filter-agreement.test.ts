/**
 * The construct's synth-time validation (src/filter-validation.ts) and the offline runner's matcher
 * (local/mapping/filter-match.ts) read one grammar (src/shared/filter-grammar.ts). This test runs every filter
 * pattern of the suite through both and checks that they agree:
 * - what the matcher finds malformed (AWS refuses it at creation), the validation refuses, and for the same
 *   kind of reason (a grammar reason, not a lint);
 * - what the validation refuses for a grammar reason, the matcher finds malformed;
 * - what the validation refuses as unmatchable ("can never match") matches no record; what it refuses as
 *   matching everything matches every record; a pattern that names no field of a stream record, or an attribute
 *   without a type key, gives the same answer for every record;
 * - what the validation accepts, the matcher compiles, and it matches exactly the records the matcher's own
 *   tests expect (for the patterns those tests list).
 * Patterns come from: the matcher's table (test/fixtures/filter-patterns.ts), the patterns the construct
 * refuses as unmatchable, the StreamFilter builders, and the FilterCriteria of every template in
 * test/configurations.ts.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { matchesPattern, patternProblem } from '../local/mapping/filter-match';
import { AttributeCondition, AttributeValueType, ChangeEventName, StreamFilter } from '../src';
import * as configurations from './configurations';
import { validateFilterPattern } from '../src/filter-validation';
import { ALL, CASES, Name, NEVER_MATCH_CASES, RECORDS } from './fixtures/filter-patterns';
import * as keysOnlyFixture from './fixtures/stream-keys-only.json';
import * as newAndOldFixture from './fixtures/stream-new-and-old-images.json';
import * as newImageFixture from './fixtures/stream-new-image.json';
import * as oldImageFixture from './fixtures/stream-old-image.json';
import { newStack } from './helpers';
import { VALUE_PROBLEM_TEXT } from '../src/shared/filter-grammar';

/** The records every pattern is matched against: the matcher's table and the records recorded from DynamoDB Local. */
const CORPUS: unknown[] = [
  ...Object.values(RECORDS),
  ...keysOnlyFixture.Records, ...newImageFixture.Records, ...oldImageFixture.Records, ...newAndOldFixture.Records,
];

/** The reasons the validation gives for what the grammar refuses (AWS: "Invalid filter pattern definition."). */
const GRAMMAR_REASONS = [
  'must be a non-empty pattern object',
  'must be an array of at least two pattern objects',
  'must be an array of values or a nested object',
  'is an empty object, which matches nothing',
  'is an empty array, which matches nothing',
  VALUE_PROBLEM_TEXT.notAValue,
  VALUE_PROBLEM_TEXT.unknownOperator,
];
const isGrammarReason = (message: string) => GRAMMAR_REASONS.some((reason) => message.includes(reason)) || / uses \S+ with .*; it takes /.test(message);

interface Source {
  readonly where: string;
  readonly pattern: unknown;
  readonly viewType?: dynamodb.StreamViewType;
  /** The records of the matcher's table this pattern must match, when its table says. */
  readonly expected?: Name[];
}

function builderPatterns(): Source[] {
  const s = AttributeCondition;
  const filters: Array<[string, StreamFilter]> = [
    ['eventName', StreamFilter.eventName([ChangeEventName.INSERT, ChangeEventName.REMOVE])],
    ['newImage stringEquals', StreamFilter.newImage('status', s.stringEquals(['SHIPPED']))],
    ['oldImage stringEquals', StreamFilter.oldImage('status', s.stringEquals(['PENDING']))],
    ['key stringPrefix', StreamFilter.key('pk', s.stringPrefix('ORDER#'))],
    ['key stringSuffix', StreamFilter.key('pk', s.stringSuffix('#1'))],
    ['newImage stringEqualsIgnoreCase', StreamFilter.newImage('status', s.stringEqualsIgnoreCase('shipped'))],
    ['newImage stringAnythingBut', StreamFilter.newImage('status', s.stringAnythingBut(['DRAFT']))],
    ['key stringAnythingButPrefix', StreamFilter.key('pk', s.stringAnythingButPrefix('tmp#'))],
    ['newImage numberEquals', StreamFilter.newImage('total', s.numberEquals(['25.50']))],
    ['newImage booleanEquals', StreamFilter.newImage('active', s.booleanEquals(true))],
    ['newImage exists', StreamFilter.newImage('status', s.exists(AttributeValueType.STRING))],
    ['newImage notExists', StreamFilter.newImage('shippedAt', s.notExists(AttributeValueType.STRING))],
    ['newImage isNull', StreamFilter.newImage('deletedAt', s.isNull())],
    ['ttlDeletes', StreamFilter.ttlDeletes()],
    ['excludeTtlDeletes', StreamFilter.excludeTtlDeletes()],
    ['and', StreamFilter.eventName([ChangeEventName.MODIFY]).and(StreamFilter.newImage('status', s.stringEquals(['SHIPPED'])))],
  ];
  return filters.map(([name, filter]) => ({ where: `StreamFilter ${name}`, pattern: filter.toPattern() }));
}

/** The FilterCriteria patterns of every configuration the snapshot tests synthesize. */
function templatePatterns(): Source[] {
  const out: Source[] = [];
  for (const [name, build] of Object.entries(configurations)) {
    if (typeof build !== 'function') continue;
    const stack: Stack = newStack();
    (build as (stack: Stack) => unknown)(stack);
    const mappings = Template.fromStack(stack).findResources('AWS::Lambda::EventSourceMapping');
    for (const mapping of Object.values(mappings)) {
      for (const filter of mapping.Properties?.FilterCriteria?.Filters ?? []) {
        out.push({ where: `configurations.${name}`, pattern: JSON.parse(filter.Pattern) });
      }
    }
  }
  return out;
}

const SOURCES: Source[] = [
  ...CASES.map(([name, pattern, expected]) => ({ where: `matcher table: ${name}`, pattern, expected })),
  ...NEVER_MATCH_CASES.map(([pattern, viewType]) => ({ where: `refused as unmatchable: ${JSON.stringify(pattern)}`, pattern, viewType })),
  ...builderPatterns(),
  ...templatePatterns(),
];

function validationMessage(pattern: unknown, viewType: dynamodb.StreamViewType | undefined): string | undefined {
  try {
    validateFilterPattern(pattern, 'filter', viewType);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const recordsOf = (viewType: dynamodb.StreamViewType | undefined) => (viewType === undefined ? CORPUS
  : CORPUS.filter((r) => (r as { dynamodb: { StreamViewType: string } }).dynamodb.StreamViewType === viewType));

test('the table draws on every source', () => {
  const counts = new Map<string, number>();
  for (const source of SOURCES) {
    const kind = source.where.split(/[:. ]/)[0];
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  expect(counts.get('matcher')).toBeGreaterThan(80);
  expect(counts.get('refused')).toBeGreaterThan(15);
  expect(counts.get('StreamFilter')).toBe(16);
  expect(counts.get('configurations')).toBeGreaterThan(0);
});

describe.each(SOURCES.map((source) => [source.where, source] as const))('%s', (_where, source) => {
  const { pattern, viewType, expected } = source;
  // JSON text (CloudFormation's Pattern string) is a runner-only input: the construct builds objects.
  const asObject = typeof pattern === 'string' ? tryParse(pattern) : pattern;
  const validation = validationMessage(asObject, viewType);
  const malformed = patternProblem(pattern);
  const records = recordsOf(viewType);
  const matched = records.filter((record) => matchesPattern(pattern, record));

  test('malformed for the matcher exactly when the validation gives a grammar reason', () => {
    if (malformed !== undefined) {
      expect(validation).toBeDefined();
      expect(isGrammarReason(validation!)).toBe(true);
      expect(matched).toEqual([]);
    } else if (validation !== undefined) {
      expect(isGrammarReason(validation)).toBe(false);
    }
  });

  test('what the validation says about matching holds in the matcher', () => {
    if (validation === undefined) {
      expect(malformed).toBeUndefined();
      if (expected !== undefined) {
        expect(ALL.filter((name) => matchesPattern(pattern, RECORDS[name]))).toEqual(expected);
      }
      return;
    }
    if (/can never match/.test(validation)) {
      expect(matched).toEqual([]);
    } else if (/it matches every record/.test(validation)) {
      expect(matched).toHaveLength(records.length);
    } else if (/names no field|is not a DynamoDB type key/.test(validation)) {
      // A field no record has: the same answer for every record (none, or all for exists: false).
      expect([0, records.length]).toContain(matched.length);
    }
  });
});

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
