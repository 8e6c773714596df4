import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import {
  DYNAMODB_FIELDS, DYNAMODB_TYPE_KEYS, fieldValueProblem, IMAGE_FIELDS, MAX_PATTERN_LENGTH, nestedObjectProblem, OR_KEY,
  orProblem, RECORD_FIELDS, VALUE_PROBLEM_TEXT, valueProblem, valuesProblem,
} from './shared/filter-grammar';
import { isPlainObject } from './shared/is-plain-object';

// The grammar (what AWS refuses) is src/shared/filter-grammar.ts, shared with the offline runner's matcher;
// this file adds what AWS accepts but can never match on a DynamoDB stream record.
export { MAX_FILTERS, MAX_PATTERN_LENGTH } from './shared/filter-grammar';

/**
 * Checks one filter pattern against what DynamoDB stream filtering can ever match.
 *
 * @param label how the error names the filter, e.g. `filters[0]`
 * @param viewType the stream view type when known (images a pattern reads must be carried)
 */
export function validateFilterPattern(pattern: unknown, label: string, viewType: dynamodb.StreamViewType | undefined): void {
  if (!isPlainObject(pattern) || Object.keys(pattern).length === 0) {
    throw new Error(`${label} must be a non-empty pattern object, got ${preview(pattern)}`);
  }
  const text = JSON.stringify(pattern);
  if (text.length > MAX_PATTERN_LENGTH) {
    throw new Error(`${label} is ${text.length} characters long once serialized; a filter pattern may be at most ${MAX_PATTERN_LENGTH}`);
  }
  new PatternChecker(label, viewType).object(pattern, []);
}

class PatternChecker {
  constructor(private readonly label: string, private readonly viewType: dynamodb.StreamViewType | undefined) {}

  public object(node: Record<string, unknown>, path: string[]): void {
    for (const [key, value] of Object.entries(node)) {
      if (key === OR_KEY) {
        this.or(value, path);
        continue;
      }
      const here = [...path, key];
      this.checkKey(key, path, here);
      const shapeProblem = fieldValueProblem(value);
      if (shapeProblem) {
        this.fail(here, `${shapeProblem}, got ${preview(value)}; write ${JSON.stringify({ [key]: [value] })}`);
      }
      if (Array.isArray(value)) {
        this.leaf(value, here);
      } else {
        const nested = value as Record<string, unknown>;
        const problem = nestedObjectProblem(nested);
        if (problem) this.fail(here, problem);
        this.object(nested, here);
      }
    }
  }

  private or(value: unknown, path: string[]): void {
    const problem = orProblem(value);
    if (problem) {
      this.fail([...path, OR_KEY], `${problem}, got ${preview(value)}`);
    }
    for (const alternative of value as Record<string, unknown>[]) {
      // AWS accepts an empty alternative (it adds no condition), but then the $or matches everything.
      if (Object.keys(alternative).length === 0) {
        this.fail([...path, OR_KEY], 'holds an empty alternative, which matches everything');
      }
      this.object(alternative, path);
    }
  }

  /** Names that cannot occur in a DynamoDB stream record match nothing. */
  private checkKey(key: string, parent: string[], here: string[]): void {
    const depth = parent.length;
    if (depth === 0 && !RECORD_FIELDS.includes(key)) {
      this.fail(here, `names no field of a DynamoDB stream record (fields: ${RECORD_FIELDS.join(', ')})`);
    }
    if (depth === 1 && parent[0] === 'dynamodb' && !DYNAMODB_FIELDS.includes(key)) {
      this.fail(here, `names no field of a record's dynamodb section (fields: ${DYNAMODB_FIELDS.join(', ')})`);
    }
    if (depth === 1 && parent[0] === 'dynamodb') {
      this.checkImageCarried(key, here);
    }
    // Under Keys/NewImage/OldImage (and inside M values) each attribute holds a type key.
    if (this.isTypeKeyLevel(parent) && !DYNAMODB_TYPE_KEYS.includes(key)) {
      this.fail(here, `is not a DynamoDB type key (one of ${DYNAMODB_TYPE_KEYS.join(', ')}); `
        + `attribute values in stream records are typed, e.g. {"${parent[parent.length - 1]}": {"S": ["value"]}}`);
    }
  }

  private checkImageCarried(key: string, here: string[]): void {
    const vt = this.viewType;
    if (vt === undefined) return;
    if (key === 'NewImage' && (vt === dynamodb.StreamViewType.KEYS_ONLY || vt === dynamodb.StreamViewType.OLD_IMAGE)) {
      this.fail(here, `reads NewImage, which a ${vt} stream never carries: it can never match`);
    }
    if (key === 'OldImage' && (vt === dynamodb.StreamViewType.KEYS_ONLY || vt === dynamodb.StreamViewType.NEW_IMAGE)) {
      this.fail(here, `reads OldImage, which a ${vt} stream never carries: it can never match`);
    }
  }

  /** True where the path is `dynamodb.<image>.<attr>` or `<...>.M.<attr>`: the next key must be a type key. */
  private isTypeKeyLevel(path: string[]): boolean {
    if (path.length === 3 && path[0] === 'dynamodb' && IMAGE_FIELDS.includes(path[1])) return true;
    return path.length >= 5 && path[0] === 'dynamodb' && IMAGE_FIELDS.includes(path[1]) && path[path.length - 2] === 'M';
  }

  /** Paths whose value is always an object in a stream record (never a leaf). */
  private isObjectInRecords(path: string[]): boolean {
    if (path.length === 1) return path[0] === 'dynamodb' || path[0] === 'userIdentity';
    if (path[0] !== 'dynamodb') return false;
    if (path.length === 2) return IMAGE_FIELDS.includes(path[1]);
    if (this.isTypeKeyLevel(path)) return true; // an attribute: {"S": ...}
    const last = path[path.length - 1];
    return path.length >= 4 && IMAGE_FIELDS.includes(path[1]) && (last === 'M' || last === 'L');
  }

  private leaf(values: unknown[], here: string[]): void {
    const empty = valuesProblem(values);
    if (empty) this.fail(here, empty);
    const existsRule = values.find((v) => isPlainObject(v) && 'exists' in v) as { exists: unknown } | undefined;
    if (existsRule && this.isObjectInRecords(here)) {
      // exists applies to leaves: on an object, true never matches and false matches every record.
      const effect = existsRule.exists === false ? 'it matches every record' : 'it can never match';
      this.fail(here, `uses exists on a value that is not a leaf (it is an object in stream records): ${effect}; `
        + `put it under a leaf, e.g. {"${here[here.length - 1]}": {"S": [{"exists": ${String(existsRule.exists)}}]}}`);
    }
    if (this.isTypeKeyLevel(here)) {
      // here = dynamodb.<image>.<attr>: an array directly under the attribute name has no type key.
      this.fail(here, `leaves out the DynamoDB type key and can never match; write {"${here[here.length - 1]}": {"S": ${JSON.stringify(values)}}} `
        + '(or the type the attribute has)');
    }
    const last = here[here.length - 1];
    for (const value of values) {
      const problem = valueProblem(value);
      if (problem?.kind === 'not-a-value') {
        this.fail(here, `holds ${preview(value)}; ${VALUE_PROBLEM_TEXT.notAValue}`);
      }
      if (problem?.kind === 'unknown-operator') {
        this.fail(here, `holds the operator object ${preview(value)}; ${VALUE_PROBLEM_TEXT.unknownOperator}`);
      }
      if (isPlainObject(value) && 'numeric' in value && (last === 'N' || last === 'NS')) {
        this.fail(here, 'uses numeric on a DynamoDB number, which is carried as a string in stream records: it can never match. '
          + 'Match exact values with AttributeCondition.numberEquals or compare in the handler');
      }
      if (problem?.kind === 'bad-argument') {
        this.fail(here, `uses ${problem.operator} with ${preview((value as Record<string, unknown>)[problem.operator])}; it takes ${problem.takes}`);
      }
    }
  }

  private fail(path: string[], message: string): never {
    throw new Error(`${this.label}: ${path.join('.') || '(root)'} ${message}`);
  }
}

function preview(v: unknown): string {
  const text = v === undefined ? 'undefined' : JSON.stringify(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
