import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

/** AWS limits on event source mapping filters (docs/offline-runner.md, "Event source mapping semantics"). */
export const MAX_FILTERS = 5;
export const MAX_PATTERN_LENGTH = 4096;

const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists'];
const NUMERIC_OPS = ['<', '<=', '=', '>', '>='];
const TYPE_KEYS = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];
const RECORD_KEYS = ['eventID', 'eventName', 'eventVersion', 'eventSource', 'awsRegion', 'dynamodb', 'eventSourceARN', 'userIdentity'];
const DYNAMODB_KEYS = ['ApproximateCreationDateTime', 'Keys', 'NewImage', 'OldImage', 'SequenceNumber', 'SizeBytes', 'StreamViewType'];
const IMAGE_KEYS = ['Keys', 'NewImage', 'OldImage'];

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
      if (key === '$or') {
        this.or(value, path);
        continue;
      }
      const here = [...path, key];
      this.checkKey(key, path, here);
      if (Array.isArray(value)) {
        this.leaf(value, here);
      } else if (isPlainObject(value)) {
        if (Object.keys(value).length === 0) {
          this.fail(here, 'is an empty object, which matches nothing');
        }
        this.object(value, here);
      } else {
        this.fail(here, `must be an array of values or a nested object, got ${preview(value)}; write ${JSON.stringify({ [key]: [value] })}`);
      }
    }
  }

  private or(value: unknown, path: string[]): void {
    if (!Array.isArray(value) || value.length < 2 || !value.every(isPlainObject)) {
      this.fail([...path, '$or'], `must be an array of at least two pattern objects, got ${preview(value)}`);
    }
    for (const alternative of value as Record<string, unknown>[]) {
      if (Object.keys(alternative).length === 0) {
        this.fail([...path, '$or'], 'holds an empty alternative, which matches everything');
      }
      this.object(alternative, path);
    }
  }

  /** Names that cannot occur in a DynamoDB stream record match nothing. */
  private checkKey(key: string, parent: string[], here: string[]): void {
    const depth = parent.length;
    if (depth === 0 && !RECORD_KEYS.includes(key)) {
      this.fail(here, `names no field of a DynamoDB stream record (fields: ${RECORD_KEYS.join(', ')})`);
    }
    if (depth === 1 && parent[0] === 'dynamodb' && !DYNAMODB_KEYS.includes(key)) {
      this.fail(here, `names no field of a record's dynamodb section (fields: ${DYNAMODB_KEYS.join(', ')})`);
    }
    if (depth === 1 && parent[0] === 'dynamodb') {
      this.checkImageCarried(key, here);
    }
    // Under Keys/NewImage/OldImage (and inside M values) each attribute holds a type key.
    if (this.isTypeKeyLevel(parent) && !TYPE_KEYS.includes(key)) {
      this.fail(here, `is not a DynamoDB type key (one of ${TYPE_KEYS.join(', ')}); `
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
    if (path.length === 3 && path[0] === 'dynamodb' && IMAGE_KEYS.includes(path[1])) return true;
    return path.length >= 5 && path[0] === 'dynamodb' && IMAGE_KEYS.includes(path[1]) && path[path.length - 2] === 'M';
  }

  /** Paths whose value is always an object in a stream record (never a leaf). */
  private isObjectInRecords(path: string[]): boolean {
    if (path.length === 1) return path[0] === 'dynamodb' || path[0] === 'userIdentity';
    if (path[0] !== 'dynamodb') return false;
    if (path.length === 2) return IMAGE_KEYS.includes(path[1]);
    if (this.isTypeKeyLevel(path)) return true; // an attribute: {"S": ...}
    const last = path[path.length - 1];
    return path.length >= 4 && IMAGE_KEYS.includes(path[1]) && (last === 'M' || last === 'L');
  }

  private leaf(values: unknown[], here: string[]): void {
    if (values.length === 0) {
      this.fail(here, 'is an empty array, which matches nothing');
    }
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
    for (const value of values) {
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) continue;
      if (!isPlainObject(value)) {
        this.fail(here, `holds ${preview(value)}; values must be strings, numbers, booleans, null or operator objects`);
      }
      const keys = Object.keys(value);
      if (keys.length !== 1 || !OPERATORS.includes(keys[0])) {
        this.fail(here, `holds the operator object ${preview(value)}; supported operators are ${OPERATORS.join(', ')}, one per object`);
      }
      this.operator(keys[0], (value as Record<string, unknown>)[keys[0]], here);
    }
  }

  private operator(op: string, arg: unknown, here: string[]): void {
    const last = here[here.length - 1];
    switch (op) {
      case 'prefix':
      case 'suffix':
        if (!(typeof arg === 'string' && arg.length > 0) && !(isPlainObject(arg) && typeof arg['equals-ignore-case'] === 'string')) {
          this.fail(here, `uses ${op} with ${preview(arg)}; it takes a non-empty string`);
        }
        break;
      case 'equals-ignore-case':
        if (typeof arg !== 'string') this.fail(here, `uses equals-ignore-case with ${preview(arg)}; it takes a string`);
        break;
      case 'anything-but': {
        const ok = (v: unknown) => typeof v === 'string' || typeof v === 'number';
        const valid = ok(arg) || (Array.isArray(arg) && arg.length > 0 && arg.every(ok))
          || (isPlainObject(arg) && Object.keys(arg).length === 1 && ['prefix', 'suffix', 'equals-ignore-case'].includes(Object.keys(arg)[0]));
        if (!valid) this.fail(here, `uses anything-but with ${preview(arg)}; it takes a value, a non-empty array of values, or a prefix/suffix/equals-ignore-case object`);
        break;
      }
      case 'numeric':
        if (last === 'N' || last === 'NS') {
          this.fail(here, 'uses numeric on a DynamoDB number, which is carried as a string in stream records: it can never match. '
            + 'Match exact values with AttributeCondition.numberEquals or compare in the handler');
        }
        this.numeric(arg, here);
        break;
      case 'exists':
        if (typeof arg !== 'boolean') this.fail(here, `uses exists with ${preview(arg)}; it takes true or false`);
        break;
    }
  }

  private numeric(arg: unknown, here: string[]): void {
    const bad = () => this.fail(here, `uses numeric with ${preview(arg)}; it takes [op, number] or [op, number, op, number] with op one of ${NUMERIC_OPS.join(' ')}`);
    if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) bad();
    const items = arg as unknown[];
    for (let i = 0; i < items.length; i += 2) {
      if (typeof items[i] !== 'string' || !NUMERIC_OPS.includes(items[i] as string) || typeof items[i + 1] !== 'number') bad();
    }
  }

  private fail(path: string[], message: string): never {
    throw new Error(`${this.label}: ${path.join('.') || '(root)'} ${message}`);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function preview(v: unknown): string {
  const text = v === undefined ? 'undefined' : JSON.stringify(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
