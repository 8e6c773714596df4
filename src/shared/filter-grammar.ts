/**
 * The grammar of Lambda event filtering patterns (EventBridge-style, docs/offline-runner.md "Event source
 * mapping semantics"): what AWS refuses at creation with "Invalid filter pattern definition.", and the shape
 * of the DynamoDB stream record a pattern is matched against. The one definition read by the construct's
 * synth-time checks (src/filter-validation.ts) and by the offline runner's matcher (local/mapping/filter-match.ts):
 * each rule returns the reason a node is malformed, or undefined; the validation turns a reason into a
 * synth-time error naming the filter and the path, the matcher into a pattern that matches nothing.
 */
import { isPlainObject } from './is-plain-object';

/** AWS limits on event source mapping filters. */
export const MAX_FILTERS = 5;
export const MAX_PATTERN_LENGTH = 4096;

/** The key of a pattern object whose value lists alternatives. */
export const OR_KEY = '$or';

export const FILTER_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export const NUMERIC_COMPARISONS = ['<', '<=', '=', '>', '>='] as const;
export type NumericComparison = (typeof NUMERIC_COMPARISONS)[number];

/** The string operators that also nest: inside `prefix`/`suffix` (case), and inside `anything-but`. */
const ANYTHING_BUT_FORMS = ['prefix', 'suffix', 'equals-ignore-case'];

/** The DynamoDB type keys of an attribute value; part of the path a pattern matches. */
export const DYNAMODB_TYPE_KEYS = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];

/** Fields of a DynamoDB stream record, as Lambda delivers it, and of its `dynamodb` section. */
export const RECORD_FIELDS = ['eventID', 'eventName', 'eventVersion', 'eventSource', 'awsRegion', 'dynamodb', 'eventSourceARN', 'userIdentity'];
export const DYNAMODB_FIELDS = ['ApproximateCreationDateTime', 'Keys', 'NewImage', 'OldImage', 'SequenceNumber', 'SizeBytes', 'StreamViewType'];
/** The sections of `dynamodb` that hold attributes (each attribute a typed value). */
export const IMAGE_FIELDS = ['Keys', 'NewImage', 'OldImage'];

/** A value a condition compares with a leaf of the record. */
export type LeafValue = string | number | boolean | null;

export function isLeafValue(value: unknown): value is LeafValue {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Why the value of `$or` is malformed: it must list at least two pattern objects. */
export function orProblem(value: unknown): string | undefined {
  return Array.isArray(value) && value.length >= 2 && value.every(isPlainObject)
    ? undefined : 'must be an array of at least two pattern objects';
}

/** Why a field's value is malformed: it must be an array of values or a nested object. */
export function fieldValueProblem(value: unknown): string | undefined {
  return Array.isArray(value) || isPlainObject(value) ? undefined : 'must be an array of values or a nested object';
}

/** Why a nested pattern object is malformed (an empty one). */
export function nestedObjectProblem(value: Record<string, unknown>): string | undefined {
  return Object.keys(value).length === 0 ? 'is an empty object, which matches nothing' : undefined;
}

/** Why an array of values is malformed (an empty one). */
export function valuesProblem(values: readonly unknown[]): string | undefined {
  return values.length === 0 ? 'is an empty array, which matches nothing' : undefined;
}

/** What can be wrong with one entry of an array of values; `detail` completes the sentence. */
export type ValueProblem =
  | { readonly kind: 'not-a-value' }
  | { readonly kind: 'unknown-operator' }
  | { readonly kind: 'bad-argument'; readonly operator: FilterOperator; readonly takes: string };

/**
 * Why one entry of an array of values is malformed: it must be a leaf value or an object holding exactly one
 * known operator whose argument has the operator's shape.
 */
export function valueProblem(value: unknown): ValueProblem | undefined {
  if (isLeafValue(value)) return undefined;
  if (!isPlainObject(value)) return { kind: 'not-a-value' };
  const keys = Object.keys(value);
  if (keys.length !== 1 || !(FILTER_OPERATORS as readonly string[]).includes(keys[0])) return { kind: 'unknown-operator' };
  const operator = keys[0] as FilterOperator;
  const rule = OPERATOR_ARGUMENTS[operator];
  return rule.accepts(value[operator]) ? undefined : { kind: 'bad-argument', operator, takes: rule.takes };
}

/** The message fragments of a ValueProblem, shared so that both sides describe a problem alike. */
export const VALUE_PROBLEM_TEXT = {
  notAValue: 'values must be strings, numbers, booleans, null or operator objects',
  unknownOperator: `supported operators are ${FILTER_OPERATORS.join(', ')}, one per object`,
};

interface ArgumentRule {
  readonly accepts: (arg: unknown) => boolean;
  /** Completes "it takes ...". */
  readonly takes: string;
}

/** `prefix`/`suffix` take a non-empty string, or `{"equals-ignore-case": "..."}` to ignore case. */
export function isAffixArgument(arg: unknown): arg is string | { 'equals-ignore-case': string } {
  return (typeof arg === 'string' && arg.length > 0)
    || (isPlainObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string');
}

function isExcludable(v: unknown): v is string | number {
  return typeof v === 'string' || typeof v === 'number';
}

function isAnythingButArgument(arg: unknown): boolean {
  if (isExcludable(arg)) return true;
  if (Array.isArray(arg)) return arg.length > 0 && arg.every(isExcludable);
  if (!isPlainObject(arg) || Object.keys(arg).length !== 1) return false;
  const [form, operand] = Object.entries(arg)[0];
  if (!ANYTHING_BUT_FORMS.includes(form)) return false;
  if (form === 'equals-ignore-case') {
    return typeof operand === 'string'
      || (Array.isArray(operand) && operand.length > 0 && operand.every((s) => typeof s === 'string'));
  }
  return typeof operand === 'string';
}

/** `[op, n]` or `[op, n, op, n]`, every n a finite number. */
function isNumericArgument(arg: unknown): boolean {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) return false;
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const bound = arg[i + 1];
    if (typeof op !== 'string' || !(NUMERIC_COMPARISONS as readonly string[]).includes(op)
      || typeof bound !== 'number' || !Number.isFinite(bound)) {
      return false;
    }
  }
  return true;
}

const OPERATOR_ARGUMENTS: Record<FilterOperator, ArgumentRule> = {
  'prefix': { accepts: isAffixArgument, takes: 'a non-empty string' },
  'suffix': { accepts: isAffixArgument, takes: 'a non-empty string' },
  'equals-ignore-case': { accepts: (arg) => typeof arg === 'string', takes: 'a string' },
  'anything-but': {
    accepts: isAnythingButArgument,
    takes: 'a value, a non-empty array of values, or a prefix/suffix/equals-ignore-case object',
  },
  'numeric': {
    accepts: isNumericArgument,
    takes: `[op, number] or [op, number, op, number] with op one of ${NUMERIC_COMPARISONS.join(' ')}`,
  },
  'exists': { accepts: (arg) => typeof arg === 'boolean', takes: 'true or false' },
};
