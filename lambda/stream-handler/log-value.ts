/** What an unmarshalled attribute value becomes in a log line. */
export type LogValue = string | number | boolean | null | LogValue[] | LogMap;
export interface LogMap {
  [name: string]: LogValue;
}

/**
 * Hands a value to Powertools Logger untouched.
 *
 * Logger deep-merges every plain object and array it is given into the log item: that copies whole
 * images on every line and silently drops keys named `__proto__` or `constructor` (which are valid
 * DynamoDB attribute names). A class instance is passed by reference instead, and JSON.stringify
 * serialises it through toJSON(), so the value reaches the log line exactly as built.
 */
export class Verbatim {
  constructor(private readonly value: LogValue) {}

  public toJSON(): LogValue {
    return this.value;
  }
}
