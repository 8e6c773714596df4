/**
 * The handler's Powertools Logger, minus a cost it does not need.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export class ChangeLogger extends Logger {
  /**
   * No JSON replacer: JSON.stringify then takes V8's fast path instead of calling a function for every key
   * and value of every line (a quarter of the handler's time on image-sized lines).
   *
   * Powertools' default replacer (Logger 2.x) only does four things, none of which this handler needs:
   * calls a `jsonReplacerFn` constructor option (we pass none); formats Error instances (we log none: reasons
   * are strings); writes BigInt as a string (our numbers are numbers or strings, see lossless-number.ts); and
   * drops circular references (our lines are fresh trees). Values with toJSON(), such as Verbatim, are
   * serialised as before: JSON.stringify calls toJSON itself. Powertools uses the replacer in printLog and,
   * with log buffering (which we do not enable), in bufferLogItem; nothing else.
   */
  protected override getJsonReplacer(): (key: string, value: unknown) => void {
    // JSON.stringify(value, undefined, indent) is the documented "no replacer".
    return undefined as unknown as (key: string, value: unknown) => void;
  }
}
