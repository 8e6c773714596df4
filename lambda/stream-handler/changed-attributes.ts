/**
 * Names of the top-level attributes that a MODIFY added, removed or changed, compared deeply on the
 * DynamoDB JSON itself (no unmarshalling needed, so it also runs when images are not logged):
 * - a change of type is a change (`{"S":"1"}` -> `{"N":"1"}`), and so is B vs S with the same text;
 * - numbers compare by value (`"1.50"` equals `"1.5"`), sets ignore order, maps ignore key order,
 *   lists compare element by element.
 * The result is sorted (plain JavaScript sort, by UTF-16 code units) so that it is stable across runs.
 * Values are validated only as far as the comparison reads them.
 */
import { canonicalDecimal } from './lossless-number';
import { RecordError } from './record-error';
import { NO_REDACTION } from './redact';
import { typeKey, unmarshallImage } from './unmarshall';
import { isPlainObject } from '../../src/shared/is-plain-object';

export function changedAttributes(oldImage: unknown, newImage: unknown): string[] {
  if (!isPlainObject(oldImage)) {
    throw Object.assign(new RecordError('expected a map of attribute values'), { where: 'dynamodb.OldImage' });
  }
  if (!isPlainObject(newImage)) {
    throw Object.assign(new RecordError('expected a map of attribute values'), { where: 'dynamodb.NewImage' });
  }
  const changed: string[] = [];
  for (const name in newImage) {
    if (!Object.prototype.hasOwnProperty.call(oldImage, name)) {
      changed.push(name);
      continue;
    }
    try {
      if (!sameValue(oldImage[name], newImage[name])) {
        changed.push(name);
      }
    } catch (error) {
      throw error instanceof RecordError ? locate(oldImage, newImage, name, error) : error;
    }
  }
  for (const name in oldImage) {
    if (!Object.prototype.hasOwnProperty.call(newImage, name)) {
      changed.push(name);
    }
  }
  return changed.sort();
}

/** The comparison read two values at once; say which image holds the bad one (only on failure). */
function locate(oldImage: Record<string, unknown>, newImage: Record<string, unknown>, name: string, error: RecordError): RecordError {
  for (const [where, image] of [['dynamodb.OldImage', oldImage], ['dynamodb.NewImage', newImage]] as const) {
    try {
      unmarshallImage({ [name]: image[name] }, where, NO_REDACTION);
    } catch (found) {
      if (found instanceof RecordError) {
        return found;
      }
    }
  }
  error.where = 'dynamodb.OldImage/NewImage';
  return error.within(name);
}

function sameValue(a: unknown, b: unknown): boolean {
  const type = typeKey(a);
  if (typeKey(b) !== type) {
    return false;
  }
  const x = (a as Record<string, unknown>)[type];
  const y = (b as Record<string, unknown>)[type];
  switch (type) {
    case 'S':
    case 'B':
    case 'BOOL':
    case 'NULL':
      return x === y;
    case 'N':
      return x === y || canonicalDecimal(x) === canonicalDecimal(y);
    case 'SS':
    case 'BS':
      return sameSet(x, y, type, (s) => {
        if (typeof s !== 'string') throw new RecordError(`${type} members must be strings`);
        return s;
      });
    case 'NS':
      return sameSet(x, y, type, canonicalDecimal);
    case 'L':
      return sameList(x, y);
    case 'M':
      return sameMap(x, y);
    default:
      throw new RecordError(`unknown attribute type ${JSON.stringify(type.slice(0, 20))}`);
  }
}

function sameSet(x: unknown, y: unknown, type: string, canonical: (member: unknown) => string): boolean {
  if (!Array.isArray(x) || !Array.isArray(y)) {
    throw new RecordError(`${type} must be an array`);
  }
  if (x.length !== y.length) {
    return false;
  }
  const left = x.map(canonical).sort();
  const right = y.map(canonical).sort();
  return left.every((member, i) => member === right[i]);
}

function sameList(x: unknown, y: unknown): boolean {
  if (!Array.isArray(x) || !Array.isArray(y)) {
    throw new RecordError('L must be an array');
  }
  if (x.length !== y.length) {
    return false;
  }
  for (let i = 0; i < x.length; i++) {
    try {
      if (!sameValue(x[i], y[i])) {
        return false;
      }
    } catch (error) {
      throw error instanceof RecordError ? error.within(i) : error;
    }
  }
  return true;
}

function sameMap(x: unknown, y: unknown): boolean {
  if (!isPlainObject(x) || !isPlainObject(y)) {
    throw new RecordError('M must be a map of attribute values');
  }
  let count = 0;
  for (const name in x) {
    count++;
    if (!Object.prototype.hasOwnProperty.call(y, name)) {
      return false;
    }
    try {
      if (!sameValue(x[name], y[name])) {
        return false;
      }
    } catch (error) {
      throw error instanceof RecordError ? error.within(name) : error;
    }
  }
  return count === Object.keys(y).length;
}
