/**
 * The handler's Powertools Logger, plus a fast path for the one line per record.
 *
 * Every line is formatted as Powertools Logger formats it (docs/change-log.md). Summary, error and debug
 * lines go through the Logger as usual. Change lines, one per record, go through `infoLines()`: it takes
 * the Logger's standard fields (level, service, the Lambda context, sampling rate, X-Ray trace id, ...)
 * from the Logger ONCE per invocation, then writes each line as those fields, the line's timestamp and
 * the record's fields, in Powertools' key order, several lines per write through the Logger's Console.
 * test/handler-log-lines.test.ts checks, byte for byte, that a fast-path line is what `logger.info` prints.
 */
import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';

/** Lines at INFO, written in this order; flush() before anything else is printed, and before returning. */
export interface LineWriter {
  /**
   * One line: the standard fields, the timestamp of `nowMs` and `fields`. Top-level values of `fields` must
   * not be `''` or `null` (Powertools would drop them) and its names must not be standard field names.
   */
  write(fields: object, nowMs: number): void;
  /** Prints every line written so far (through the Logger's Console, to process.stdout). */
  flush(): void;
}

/**
 * Logger internals the fast path reads: private in Logger's TypeScript declarations, plain properties at
 * run time. Checked before use: if a Powertools release changes them, lines go through the Logger instead.
 */
interface LoggerInternals {
  readonly logFormatter?: { formatTimestamp?(date: Date): string };
  /** Where Powertools prints (a Console on process.stdout and process.stderr), swallowing write errors. */
  readonly console?: { info?(message: string): void };
  /** 0 (compact) unless POWERTOOLS_DEV pretty-prints through the global console. */
  readonly logIndentation?: number;
}

/**
 * Lines are handed to process.stdout in chunks of about this many characters (Node's default stream
 * highWaterMark): one write per chunk rather than one per line. A pipe carries bytes, not writes, so whoever
 * reads stdout (Lambda splits it into log events at newlines) sees the same lines.
 */
const CHUNK = 16 * 1024;

export class ChangeLogger extends Logger {
  /**
   * A writer for this invocation's lines at INFO with `message`, or undefined when the Logger prints no INFO
   * line (its effective level, from POWERTOOLS_LOG_LEVEL, AWS_LAMBDA_LOG_LEVEL and debug sampling, is above
   * INFO). Call after addContext(), once per invocation: the standard fields are taken now.
   */
  public infoLines(message: string): LineWriter | undefined {
    // The test of Logger.processLogItem (log buffering, its other branch, is never enabled here).
    if (LogLevelThreshold.INFO < this.level) {
      return undefined;
    }
    const { logFormatter, console, logIndentation } = this as unknown as LoggerInternals;
    const standard = this.createAndPopulateLogItem(LogLevelThreshold.INFO, message, []);
    standard.prepareForPrint();
    const fields = standard.getAttributes();
    if (logIndentation !== 0 || typeof logFormatter?.formatTimestamp !== 'function' || typeof console?.info !== 'function'
      || !('timestamp' in fields)) {
      return new LoggerLineWriter(this, message);
    }
    return new FastLineWriter(fields, (date) => logFormatter.formatTimestamp!(date), (text) => console.info!(text));
  }

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

/**
 * Powertools' line is `{...standard fields, ...additional fields}` with the timestamp in its standard place and
 * empty top-level values dropped, serialised without a replacer. The standard fields (timestamp included) are
 * serialised once per millisecond (timestamps have millisecond resolution), the record's fields once per line,
 * and the two are joined.
 */
class FastLineWriter implements LineWriter {
  private pending = '';
  private prefixMs = NaN;
  /** The standard fields with the timestamp of prefixMs, as JSON without the closing brace. */
  private prefix = '';

  constructor(
    private readonly standard: Record<string, unknown>,
    private readonly formatTimestamp: (date: Date) => string,
    /** Prints text and a newline where the Logger prints INFO lines. */
    private readonly print: (text: string) => void,
  ) {}

  public write(fields: object, nowMs: number): void {
    if (nowMs !== this.prefixMs) {
      this.prefixMs = nowMs;
      // Spreading then setting `timestamp` keeps the key in its place.
      this.prefix = JSON.stringify({ ...this.standard, timestamp: this.formatTimestamp(new Date(nowMs)) }).slice(0, -1);
    }
    const own = JSON.stringify(fields);
    const line = own === '{}' ? `${this.prefix}}` : `${this.prefix},${own.slice(1)}`;
    // Newlines between lines: the Console adds the last one.
    this.pending = this.pending === '' ? line : `${this.pending}\n${line}`;
    if (this.pending.length >= CHUNK) {
      this.flush();
    }
  }

  public flush(): void {
    if (this.pending !== '') {
      const chunk = this.pending;
      this.pending = '';
      // Through the Logger's own Console, as Powertools prints a line: one write to process.stdout, and a
      // failed write does not fail the handler.
      this.print(chunk);
    }
  }
}

/** The plain path: one Logger call per line (POWERTOOLS_DEV, or Logger internals not as expected). */
class LoggerLineWriter implements LineWriter {
  constructor(private readonly logger: Logger, private readonly message: string) {}

  public write(fields: object): void {
    this.logger.info(this.message, fields as Record<string, unknown>);
  }

  public flush(): void {}
}
