/**
 * Lambda event filtering (FilterCriteria) as the event source mapping applies it to DynamoDB stream
 * records: EventBridge-style patterns evaluated on the whole normalized record (see docs/offline-runner.md,
 * "Event source mapping semantics", and aws/event-ruler, the engine behind it).
 *
 * Semantics reproduced on purpose, because they are what surprises users:
 * - The DynamoDB type key is part of the path: `{"status": {"S": ["x"]}}` matches, `{"status": ["x"]}` does not
 *   (the value at `status` is an object, and value conditions only match leaves).
 * - `numeric` matches JSON numbers only; an `{"N": "5"}` attribute is a string and never matches it.
 * - `exists: true` needs a leaf (string, number, boolean or null) at the path. `exists: false` holds when there
 *   is no leaf at the path anywhere in the record: the field is absent, or its value is an object (the
 *   EventBridge documentation: "also matches ... because c-count is not a leaf node"), or an empty array.
 *   Like Ruler, absence is checked on the whole record, across every element of the arrays on the path.
 * - `anything-but` only matches a leaf that is present. Its prefix/suffix/equals-ignore-case forms exclude
 *   strings only: numbers, booleans and null are never excluded by them (Ruler compiles string patterns with
 *   the JSON quotes, so they cannot equal a number).
 * - An array in the record (SS, NS, BS, L) is "crushed": a condition matches if any element matches, and a
 *   nested pattern applied to an array must match within one element (Ruler's array consistency).
 *
 * A pattern AWS would refuse at creation ("Invalid filter pattern definition": unknown operator, a bare value
 * where an array belongs, a malformed `$or` or operator argument, an empty object or array) matches nothing
 * instead of throwing: the runner must not crash on a hand-written template, and the construct refuses
 * them at synth anyway. Patterns may be objects or their JSON text (CloudFormation's `Pattern` string).
 */

/** A compiled pattern: true when the record matches. */
export type RecordMatcher = (record: unknown) => boolean;

/** True when the record matches the EventBridge-style pattern (as Lambda event filtering evaluates it on a DynamoDB stream record). */
export function matchesPattern(pattern: unknown, record: unknown): boolean {
  return compilePattern(pattern)(record);
}

/**
 * Lambda semantics for FilterCriteria: no patterns => every record matches; otherwise a record is kept when it
 * matches ANY pattern. Compiles on every call: hot paths should call {@link compilePatterns} once and reuse it.
 */
export function matchesAnyPattern(patterns: readonly unknown[], record: unknown): boolean {
  return compilePatterns(patterns)(record);
}

/** Compiles a mapping's filter patterns once, so that matching a record allocates nothing. */
export function compilePatterns(patterns: readonly unknown[]): RecordMatcher {
  if (patterns.length === 0) {
    return () => true;
  }
  const matchers = patterns.map(compilePattern);
  if (matchers.length === 1) {
    return matchers[0];
  }
  return (record) => {
    for (const matcher of matchers) {
      if (matcher(record)) return true;
    }
    return false;
  };
}

/** Compiles one pattern; a malformed one compiles to a matcher that never matches. */
export function compilePattern(pattern: unknown): RecordMatcher {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch {
      return never;
    }
  }
  if (!isPlainObject(parsed)) {
    return never;
  }
  let root: NodeMatcher;
  try {
    root = nested(compileObject(parsed, [], false));
  } catch (e) {
    if (e instanceof MalformedPattern) return never;
    throw e;
  }
  return (record) => root(record, record);
}

const never: RecordMatcher = () => false;

/** Thrown while compiling only; turns the whole pattern into `never`. */
class MalformedPattern extends Error {}

type Leaf = string | number | boolean | null;
/** Matches a node of the record; `root` is the whole record, for `exists: false`. */
type NodeMatcher = (node: unknown, root: unknown) => boolean;
type LeafTest = (value: Leaf) => boolean;

function malformed(path: readonly string[], why: string): never {
  throw new MalformedPattern(`${path.join('.') || '(root)'}: ${why}`);
}

function compileObject(pattern: Record<string, unknown>, path: readonly string[], allowEmpty: boolean): NodeMatcher {
  const keys = Object.keys(pattern);
  if (keys.length === 0 && !allowEmpty) {
    malformed(path, 'empty object');
  }
  const fieldKeys: string[] = [];
  const fieldMatchers: NodeMatcher[] = [];
  const alternatives: NodeMatcher[][] = [];
  for (const key of keys) {
    const value = pattern[key];
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isPlainObject)) {
        malformed(path, '$or must hold at least two pattern objects');
      }
      // An empty alternative adds no condition of its own: only its siblings apply.
      alternatives.push((value as Record<string, unknown>[]).map((alt) => compileObject(alt, path, true)));
      continue;
    }
    const here = [...path, key];
    fieldKeys.push(key);
    if (Array.isArray(value)) {
      fieldMatchers.push(compileLeaf(value, here));
    } else if (isPlainObject(value)) {
      fieldMatchers.push(nested(compileObject(value, here, false)));
    } else {
      malformed(here, 'a value must be an array or an object');
    }
  }
  const fieldCount = fieldKeys.length;
  return (node, root) => {
    for (let i = 0; i < fieldCount; i++) {
      if (!fieldMatchers[i](child(node, fieldKeys[i]), root)) return false;
    }
    for (const options of alternatives) {
      let any = false;
      for (const option of options) {
        if (option(node, root)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  };
}

/** A nested pattern applied to an array must hold within a single element (array consistency). */
function nested(matcher: NodeMatcher): NodeMatcher {
  const apply: NodeMatcher = (value, root) => {
    if (!Array.isArray(value) || value.length === 0) {
      // A missing field, a leaf or an empty array has no subfields: only `exists: false` can still hold.
      return matcher(Array.isArray(value) ? undefined : value, root);
    }
    for (const element of value) {
      if (apply(element, root)) return true;
    }
    return false;
  };
  return apply;
}

function compileLeaf(values: unknown[], path: readonly string[]): NodeMatcher {
  if (values.length === 0) {
    malformed(path, 'empty array');
  }
  const tests: LeafTest[] = [];
  let existsFalse = false;
  for (const value of values) {
    if (isPlainObject(value) && Object.keys(value).length === 1 && value.exists === false) {
      existsFalse = true;
    } else {
      tests.push(compileValue(value, path));
    }
  }
  const absolutePath = [...path];
  const anyLeaf = (value: unknown): boolean => {
    if (value === undefined) return false;
    if (Array.isArray(value)) {
      for (const element of value) {
        if (anyLeaf(element)) return true;
      }
      return false;
    }
    if (typeof value === 'object' && value !== null) return false; // an object is not a leaf
    for (const test of tests) {
      if (test(value as Leaf)) return true;
    }
    return false;
  };
  if (!existsFalse) {
    return (value) => anyLeaf(value);
  }
  return (value, root) => anyLeaf(value) || !hasLeafAt(root, absolutePath, 0);
}

/** True when the record has a leaf value at the path, looking through every array on the way (Ruler flattens them). */
function hasLeafAt(node: unknown, path: readonly string[], depth: number): boolean {
  if (Array.isArray(node)) {
    for (const element of node) {
      if (hasLeafAt(element, path, depth)) return true;
    }
    return false;
  }
  if (depth === path.length) {
    return node !== undefined && !(typeof node === 'object' && node !== null);
  }
  return hasLeafAt(child(node, path[depth]), path, depth + 1);
}

function compileValue(value: unknown, path: readonly string[]): LeafTest {
  if (value === null) return (v) => v === null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return (v) => v === value;
    case 'number':
      // Parsed JSON numbers compare numerically (300, 300.0 and 3e2 are the same); a string "300" is not a number.
      return (v) => typeof v === 'number' && v === value;
  }
  if (!isPlainObject(value)) {
    malformed(path, `unsupported value ${JSON.stringify(value)}`);
  }
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    malformed(path, 'an operator object holds exactly one operator');
  }
  const op = keys[0];
  const arg = value[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const text = stringMatch(arg, path, op);
      const affix = op === 'prefix' ? startsWith : endsWith;
      return (v) => typeof v === 'string' && affix(text.ignoreCase ? v.toLowerCase() : v, text.value);
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') malformed(path, 'equals-ignore-case takes a string');
      const lower = arg.toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lower;
    }
    case 'anything-but':
      return compileAnythingBut(arg, path);
    case 'numeric':
      return compileNumeric(arg, path);
    case 'exists':
      if (arg !== true) malformed(path, 'exists takes true or false');
      return () => true; // only ever called on a leaf, which is what exists: true asks for
    default:
      return malformed(path, `unknown operator ${op}`);
  }
}

const startsWith = (v: string, affix: string) => v.startsWith(affix);
const endsWith = (v: string, affix: string) => v.endsWith(affix);

/** prefix/suffix take a non-empty string, or `{"equals-ignore-case": "..."}` to ignore case. */
function stringMatch(arg: unknown, path: readonly string[], op: string): { value: string; ignoreCase: boolean } {
  if (typeof arg === 'string' && arg.length > 0) {
    return { value: arg, ignoreCase: false };
  }
  if (isPlainObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') {
    return { value: arg['equals-ignore-case'].toLowerCase(), ignoreCase: true };
  }
  return malformed(path, `${op} takes a non-empty string or {"equals-ignore-case": string}`);
}

function compileAnythingBut(arg: unknown, path: readonly string[]): LeafTest {
  const isValue = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
  if (isValue(arg)) {
    return (v) => v !== arg;
  }
  if (Array.isArray(arg)) {
    if (arg.length === 0 || !arg.every(isValue)) malformed(path, 'anything-but takes a non-empty list of strings or numbers');
    const excluded = new Set<unknown>(arg);
    return (v) => !excluded.has(v);
  }
  if (!isPlainObject(arg) || Object.keys(arg).length !== 1) {
    return malformed(path, 'anything-but takes a value, a list of values, or one prefix/suffix/equals-ignore-case object');
  }
  // These forms only exclude strings: a number, boolean or null is "anything but" any string pattern.
  const [op, operand] = Object.entries(arg)[0];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof operand !== 'string') malformed(path, `anything-but ${op} takes a string`);
      return op === 'prefix'
        ? (v) => typeof v !== 'string' || !v.startsWith(operand)
        : (v) => typeof v !== 'string' || !v.endsWith(operand);
    }
    case 'equals-ignore-case': {
      const list = typeof operand === 'string' ? [operand] : operand;
      if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string')) {
        malformed(path, 'anything-but equals-ignore-case takes a string or a non-empty list of strings');
      }
      const excluded = new Set((list as string[]).map((s) => s.toLowerCase()));
      return (v) => typeof v !== 'string' || !excluded.has(v.toLowerCase());
    }
    default:
      return malformed(path, `anything-but does not take ${op}`);
  }
}

type Comparison = (v: number, bound: number) => boolean;
const COMPARISONS: Record<string, Comparison> = {
  '<': (v, b) => v < b,
  '<=': (v, b) => v <= b,
  '=': (v, b) => v === b,
  '>=': (v, b) => v >= b,
  '>': (v, b) => v > b,
};

/** `[op, n]` or `[op, n, op, n]`; every comparison must hold. Only JSON numbers match. */
function compileNumeric(arg: unknown, path: readonly string[]): LeafTest {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) {
    malformed(path, 'numeric takes [op, number] or [op, number, op, number]');
  }
  const items = arg as unknown[];
  const compare: Comparison[] = [];
  const bounds: number[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const op = items[i];
    const bound = items[i + 1];
    if (typeof op !== 'string' || !Object.hasOwn(COMPARISONS, op) || typeof bound !== 'number' || !Number.isFinite(bound)) {
      malformed(path, `numeric holds ${JSON.stringify(op)} ${JSON.stringify(bound)}`);
    }
    compare.push(COMPARISONS[op as string]);
    bounds.push(bound as number);
  }
  if (compare.length === 1) {
    const [first] = compare;
    const [bound] = bounds;
    return (v) => typeof v === 'number' && first(v, bound);
  }
  return (v) => typeof v === 'number' && compare[0](v, bounds[0]) && compare[1](v, bounds[1]);
}

/** A field's own value (never one inherited from Object.prototype: attribute names like `constructor` exist). */
function child(node: unknown, key: string): unknown {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  return Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
