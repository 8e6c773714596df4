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
 * them at synth anyway. What is refused is src/shared/filter-grammar.ts, the rules the construct's synth-time
 * validation applies too. Patterns may be objects or their JSON text (CloudFormation's `Pattern` string).
 */
import {
  fieldValueProblem, isAffixArgument, LeafValue, nestedObjectProblem, NumericComparison, OR_KEY, orProblem, valueProblem, valuesProblem,
} from '../../src/shared/filter-grammar';
import { isPlainObject } from '../../src/shared/is-plain-object';

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
  const compiled = compileOrExplain(pattern);
  return typeof compiled === 'string' ? never : compiled;
}

/**
 * Why AWS refuses the pattern at creation (the grammar of src/shared/filter-grammar.ts), or undefined when it
 * is well formed. A refused pattern matches nothing here.
 */
export function patternProblem(pattern: unknown): string | undefined {
  const compiled = compileOrExplain(pattern);
  return typeof compiled === 'string' ? compiled : undefined;
}

/** The matcher, or the reason the pattern is malformed. */
function compileOrExplain(pattern: unknown): RecordMatcher | string {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch {
      return 'the pattern is not valid JSON';
    }
  }
  if (!isPlainObject(parsed)) {
    return 'the pattern is not an object';
  }
  let root: NodeMatcher;
  try {
    root = nested(compileObject(parsed, [], false));
  } catch (e) {
    if (e instanceof MalformedPattern) return e.message;
    throw e;
  }
  return (record) => root(record, record);
}

const never: RecordMatcher = () => false;

/** Thrown while compiling only; turns the whole pattern into `never`. */
class MalformedPattern extends Error {}

type Leaf = LeafValue;
/** Matches a node of the record; `root` is the whole record, for `exists: false`. */
type NodeMatcher = (node: unknown, root: unknown) => boolean;
type LeafTest = (value: Leaf) => boolean;

function malformed(path: readonly string[], why: string): never {
  throw new MalformedPattern(`${path.join('.') || '(root)'}: ${why}`);
}

function compileObject(pattern: Record<string, unknown>, path: readonly string[], allowEmpty: boolean): NodeMatcher {
  const keys = Object.keys(pattern);
  const empty = allowEmpty ? undefined : nestedObjectProblem(pattern);
  if (empty) {
    malformed(path, empty);
  }
  const fieldKeys: string[] = [];
  const fieldMatchers: NodeMatcher[] = [];
  const alternatives: NodeMatcher[][] = [];
  for (const key of keys) {
    const value = pattern[key];
    if (key === OR_KEY) {
      const problem = orProblem(value);
      if (problem) {
        malformed(path, `$or ${problem}`);
      }
      // An empty alternative adds no condition of its own: only its siblings apply.
      alternatives.push((value as Record<string, unknown>[]).map((alt) => compileObject(alt, path, true)));
      continue;
    }
    const here = [...path, key];
    fieldKeys.push(key);
    const problem = fieldValueProblem(value);
    if (problem) {
      malformed(here, problem);
    }
    fieldMatchers.push(Array.isArray(value)
      ? compileLeaf(value, here)
      : nested(compileObject(value as Record<string, unknown>, here, false)));
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
  const empty = valuesProblem(values);
  if (empty) {
    malformed(path, empty);
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

/** Compiles one entry of an array of values, which the grammar has accepted. */
function compileValue(value: unknown, path: readonly string[]): LeafTest {
  const problem = valueProblem(value);
  if (problem) {
    malformed(path, problem.kind === 'bad-argument' ? `${problem.operator} takes ${problem.takes}` : problem.kind);
  }
  if (value === null) return (v) => v === null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return (v) => v === value;
    case 'number':
      // Parsed JSON numbers compare numerically (300, 300.0 and 3e2 are the same); a string "300" is not a number.
      return (v) => typeof v === 'number' && v === value;
  }
  const [op, arg] = Object.entries(value as Record<string, unknown>)[0];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const text = affixText(arg);
      const test = op === 'prefix' ? startsWith : endsWith;
      return (v) => typeof v === 'string' && test(text.ignoreCase ? v.toLowerCase() : v, text.value);
    }
    case 'equals-ignore-case': {
      const lower = (arg as string).toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lower;
    }
    case 'anything-but':
      return compileAnythingBut(arg);
    case 'numeric':
      return compileNumeric(arg as unknown[]);
    default: // exists: true (exists: false is handled by compileLeaf)
      return () => true; // only ever called on a leaf, which is what exists: true asks for
  }
}

const startsWith = (v: string, affix: string) => v.startsWith(affix);
const endsWith = (v: string, affix: string) => v.endsWith(affix);

/** The text of a `prefix`/`suffix` argument the grammar accepted, lower-cased when case is ignored. */
function affixText(arg: unknown): { value: string; ignoreCase: boolean } {
  if (isAffixArgument(arg) && typeof arg !== 'string') {
    return { value: arg['equals-ignore-case'].toLowerCase(), ignoreCase: true };
  }
  return { value: arg as string, ignoreCase: false };
}

/** An `anything-but` argument the grammar accepted: a value, a list of values, or one string-operator object. */
function compileAnythingBut(arg: unknown): LeafTest {
  if (typeof arg === 'string' || typeof arg === 'number') {
    return (v) => v !== arg;
  }
  if (Array.isArray(arg)) {
    const excluded = new Set<unknown>(arg);
    return (v) => !excluded.has(v);
  }
  // These forms only exclude strings: a number, boolean or null is "anything but" any string pattern.
  const [op, operand] = Object.entries(arg as Record<string, unknown>)[0];
  switch (op) {
    case 'prefix': {
      const text = operand as string;
      return (v) => typeof v !== 'string' || !v.startsWith(text);
    }
    case 'suffix': {
      const text = operand as string;
      return (v) => typeof v !== 'string' || !v.endsWith(text);
    }
    default: { // equals-ignore-case
      const list = typeof operand === 'string' ? [operand] : operand as string[];
      const excluded = new Set(list.map((s) => s.toLowerCase()));
      return (v) => typeof v !== 'string' || !excluded.has(v.toLowerCase());
    }
  }
}

type Comparison = (v: number, bound: number) => boolean;
const COMPARISONS: Record<NumericComparison, Comparison> = {
  '<': (v, b) => v < b,
  '<=': (v, b) => v <= b,
  '=': (v, b) => v === b,
  '>=': (v, b) => v >= b,
  '>': (v, b) => v > b,
};

/** A `numeric` argument the grammar accepted: `[op, n]` or `[op, n, op, n]`; every comparison must hold. Only JSON numbers match. */
function compileNumeric(items: unknown[]): LeafTest {
  const compare: Comparison[] = [];
  const bounds: number[] = [];
  for (let i = 0; i < items.length; i += 2) {
    compare.push(COMPARISONS[items[i] as NumericComparison]);
    bounds.push(items[i + 1] as number);
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
