/**
 * DynamoDB numbers are decimal strings of up to 38 significant digits; a JavaScript number holds about 17.
 * A number is therefore logged as a JSON number only when the JSON text of that number denotes exactly the
 * stored value (`"19.99"` -> `19.99`, `"1E+2"` -> `100`); otherwise it is logged as a JSON string with
 * DynamoDB's own digits (`"12345678901234567890"`, `"9007199254740993"`). Nothing goes through a lossy double.
 */
import { RecordError } from './record-error';

/** Up to 15 digits an integer is always exact in a double: the common case, without canonicalising. */
const SHORT_INTEGER = /^-?(?:0|[1-9]\d{0,14})$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function losslessNumber(text: unknown): number | string {
  if (typeof text !== 'string') {
    throw new RecordError('N must be a string');
  }
  if (SHORT_INTEGER.test(text)) {
    return Number(text);
  }
  const asNumber = Number(text);
  // Text that is already the shortest spelling of its double (`"19.99"`, `"1e-130"`) is exact by construction,
  // and valid: String(n) of a finite n is always a decimal. The common case, without canonicalising.
  if (Number.isFinite(asNumber) && String(asNumber) === text) {
    return asNumber;
  }
  const canonical = canonicalDecimal(text);
  // String(n) is the shortest text that reads back as n, and it is what JSON.stringify writes.
  if (Number.isFinite(asNumber) && canonicalDecimal(String(asNumber)) === canonical) {
    return asNumber;
  }
  return text;
}

/**
 * The value of a decimal string in one spelling: sign, significant digits without leading or trailing
 * zeros, exponent (`"-012.50"` and `"-1.25E1"` both give `-125e-1`; every zero gives `0`).
 * Throws when the text is not a decimal number.
 */
export function canonicalDecimal(text: unknown): string {
  if (typeof text !== 'string' || !DECIMAL.test(text)) {
    throw new RecordError('N is not a valid number');
  }
  let start = 0;
  let sign = '';
  if (text[0] === '-' || text[0] === '+') {
    sign = text[0] === '-' ? '-' : '';
    start = 1;
  }
  const e = text.search(/[eE]/);
  const mantissa = text.slice(start, e < 0 ? undefined : e);
  let exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  let digits = mantissa;
  if (dot >= 0) {
    digits = mantissa.slice(0, dot) + mantissa.slice(dot + 1);
    exponent -= mantissa.length - dot - 1;
  }
  let first = 0;
  while (first < digits.length && digits[first] === '0') first++;
  let last = digits.length;
  while (last > first && digits[last - 1] === '0') last--;
  if (first === last) {
    return '0';
  }
  exponent += digits.length - last;
  return `${sign}${digits.slice(first, last)}e${exponent}`;
}
