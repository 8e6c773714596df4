/**
 * DynamoDB JSON (as Lambda delivers it) to plain JSON for the log, validating as it goes and applying
 * redaction in the same pass. Our own rather than @aws-sdk/util-dynamodb's `unmarshall`, because the log
 * needs things that one does not give: numbers without loss (see lossless-number.ts), sets as arrays,
 * binary kept as base64 text, strict validation with the path of the bad value, and masking while walking.
 *
 *   S -> string (empty kept)     N -> number or string (lossless)   B -> base64 string
 *   SS -> string[]               NS -> (number | string)[]          BS -> base64 string[]
 *   M -> object                  L -> array                         BOOL -> boolean   NULL -> null
 */
import { LogMap, LogValue } from './log-value';
import { losslessNumber } from './lossless-number';
import { RecordError } from './record-error';
import { PathNode, Redaction } from './redact';
import { REDACTED } from '../../src/shared/change-log-environment';
import { isPlainObject } from '../../src/shared/is-plain-object';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** An item image or a record's Keys. `where` names the field in error messages (`dynamodb.NewImage`). */
export function unmarshallImage(image: unknown, where: string, redaction: Redaction): LogMap {
  try {
    return unmarshallMap(image, redaction.paths, redaction, true);
  } catch (error) {
    if (error instanceof RecordError) {
      error.where = where;
    }
    throw error;
  }
}

function unmarshallMap(map: unknown, node: PathNode | undefined, redaction: Redaction, topLevel: boolean): LogMap {
  if (!isPlainObject(map)) {
    throw new RecordError('expected a map of attribute values');
  }
  // A plain object (fast properties, unlike Object.create(null)'s dictionary mode); `__proto__` is defined
  // rather than assigned below, so that it becomes an ordinary key instead of changing the prototype.
  const out: LogMap = {};
  const names = topLevel ? redaction.topLevelNames : redaction.names;
  for (const name in map) {
    const child = node?.children.get(name);
    let value: LogValue;
    try {
      value = unmarshallValue(map[name], child, redaction);
    } catch (error) {
      throw error instanceof RecordError ? error.within(name) : error;
    }
    // Redacted values are still validated: a malformed record is malformed whatever we print of it.
    const logged = names.has(name) || child?.terminal ? REDACTED : value;
    if (name === '__proto__') {
      Object.defineProperty(out, name, { value: logged, enumerable: true, writable: true, configurable: true });
    } else {
      out[name] = logged;
    }
  }
  return out;
}

function unmarshallValue(av: unknown, node: PathNode | undefined, redaction: Redaction): LogValue {
  const type = typeKey(av);
  const v = (av as Record<string, unknown>)[type];
  switch (type) {
    case 'S':
      if (typeof v !== 'string') throw new RecordError('S must be a string');
      return v;
    case 'N':
      return losslessNumber(v);
    case 'B':
      return base64(v);
    case 'BOOL':
      if (typeof v !== 'boolean') throw new RecordError('BOOL must be true or false');
      return v;
    case 'NULL':
      if (v !== true) throw new RecordError('NULL must be true');
      return null;
    case 'SS':
      return mapArray(v, 'SS', (s) => {
        if (typeof s !== 'string') throw new RecordError('SS members must be strings');
        return s;
      });
    case 'NS':
      return mapArray(v, 'NS', losslessNumber);
    case 'BS':
      return mapArray(v, 'BS', base64);
    case 'L':
      // Lists are crossed transparently by redaction paths: every element sees the same path node.
      return mapArray(v, 'L', (element) => unmarshallValue(element, node, redaction));
    case 'M':
      return unmarshallMap(v, node, redaction, false);
    default:
      throw new RecordError(`unknown attribute type ${JSON.stringify(type.slice(0, 20))}`);
  }
}

/** The single type key of an attribute value (`S`, `N`, ...); throws unless there is exactly one. */
export function typeKey(av: unknown): string {
  if (!isPlainObject(av)) {
    throw new RecordError('expected an attribute value such as {"S": "..."}');
  }
  let type: string | undefined;
  let count = 0;
  for (const key in av) {
    type = key;
    count++;
  }
  if (count !== 1) {
    throw new RecordError(`an attribute value must have exactly one type key, found ${count}`);
  }
  return type!;
}

function base64(value: unknown): string {
  if (typeof value !== 'string' || !BASE64.test(value)) {
    throw new RecordError('binary must be base64 text');
  }
  return value;
}

function mapArray(value: unknown, type: string, each: (element: unknown) => LogValue): LogValue[] {
  if (!Array.isArray(value)) {
    throw new RecordError(`${type} must be an array`);
  }
  const out = new Array<LogValue>(value.length);
  for (let i = 0; i < value.length; i++) {
    try {
      out[i] = each(value[i]);
    } catch (error) {
      throw error instanceof RecordError ? error.within(i) : error;
    }
  }
  return out;
}
