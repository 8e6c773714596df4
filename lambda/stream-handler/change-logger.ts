/**
 * The handler's Powertools Logger, plus a fast path for the one line per record, through Powertools' public
 * API only (Logger's public methods and `level`, the exported LogFormatter and LogLevelThreshold).
 *
 * Every line is formatted as Powertools Logger formats it (docs/change-log.md). Summary, error and debug
 * lines go through the Logger as usual. Change lines, one per record, go through `infoLines()`: once per
 * invocation it asks the Logger for its standard fields (level, service, the Lambda context, sampling rate,
 * X-Ray trace id, ...) by letting it print one probe line, held back from the output; then it writes each
 * change line as those fields, the line's timestamp and the record's fields, in Powertools' key order, several
 * lines per write. test/handler-log-lines.test.ts checks, byte for byte, that a fast-path line is what
 * `logger.info` prints.
 */
import { Console } from 'node:console';
import { LogFormatter, Logger, LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';

/** Lines at INFO, written in this order; flush() before anything else is printed, and before returning. */
export interface LineWriter {
  /**
   * One line: the standard fields, the timestamp of `nowMs` and `fields`. Top-level values of `fields` must
   * not be `''` or `null` (Powertools would drop them) and its names must not be standard field names.
   */
  write(fields: object, nowMs: number): void;
  /** Prints every line written so far (to process.stdout). */
  flush(): void;
}

/**
 * Lines are handed to process.stdout in chunks of about this many characters (Node's default stream
 * highWaterMark): one write per chunk rather than one per line. A pipe carries bytes, not writes, so whoever
 * reads stdout (Lambda splits it into log events at newlines) sees the same lines.
 */
const CHUNK = 16 * 1024;

/**
 * Formats timestamps as Powertools' default formatter does: the public `formatTimestamp` of the LogFormatter
 * base class, which the default formatter inherits (ISO 8601, with the offset of TZ). Used for nothing else.
 */
class TimestampFormatter extends LogFormatter {
  public formatAttributes(): LogItem {
    throw new Error('TimestampFormatter formats timestamps only');
  }
}

export class ChangeLogger extends Logger {
  private readonly timestamps = new TimestampFormatter();
  /**
   * Prints as Powertools' own Console does (a Console on process.stdout and process.stderr, which swallows
   * write errors, so that a failed write does not fail the handler).
   */
  private stdout: Console | undefined;

  /**
   * A writer for this invocation's lines at INFO with `message`, or undefined when the Logger prints no INFO
   * line (its effective level, from POWERTOOLS_LOG_LEVEL, AWS_LAMBDA_LOG_LEVEL and debug sampling, is above
   * INFO). Call after addContext(), once per invocation: the standard fields are taken now.
   */
  public infoLines(message: string): LineWriter | undefined {
    if (LogLevelThreshold.INFO < this.level) {
      return undefined;
    }
    const standard = this.standardFields(message);
    if (standard === undefined) {
      return new LoggerLineWriter(this, message);
    }
    // Made at the first invocation, not at init: nothing of it is needed before a change line is printed.
    const stdout = this.stdout ??= new Console({ stdout: process.stdout, stderr: process.stderr });
    return new FastLineWriter(standard, (date) => this.timestamps.formatTimestamp(date), (text) => stdout.info(text));
  }

  /**
   * The fields Powertools puts on every line of this invocation, in its order, with `level` INFO: read from a
   * WARN line with `message` and nothing else, printed by this Logger while its output is held back (WARN
   * prints whenever INFO does; its only other difference, the level, is set back). Undefined when that line is
   * not one compact JSON object (POWERTOOLS_DEV pretty-prints it): the caller then prints every line through
   * the Logger.
   */
  private standardFields(message: string): Record<string, unknown> | undefined {
    const held: string[] = [];
    const hold = (chunk: unknown): boolean => {
      held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    };
    // Powertools prints WARN through its own Console (to process.stderr), or in POWERTOOLS_DEV mode through the
    // global console's warn: all three are held for the duration of the one synchronous call.
    const streams = [process.stdout, process.stderr];
    const writes = streams.map((stream) => stream.write);
    const consoleWarn = console.warn;
    streams.forEach((stream) => { stream.write = hold as typeof stream.write; });
    console.warn = (text: unknown) => { hold(`${String(text)}\n`); };
    try {
      this.warn(message);
    } finally {
      streams.forEach((stream, i) => { stream.write = writes[i]; });
      console.warn = consoleWarn;
    }
    const text = held.join('');
    if (held.length !== 1 || !text.startsWith('{') || !text.endsWith('}\n') || text.indexOf('\n') !== text.length - 1) {
      return undefined;
    }
    const fields = JSON.parse(text) as Record<string, unknown>;
    if (fields.level !== 'WARN' || fields.message !== message || typeof fields.timestamp !== 'string') {
      return undefined;
    }
    fields.level = 'INFO';
    return fields;
  }
}

/**
 * Powertools' line is `{...standard fields, ...additional fields}` with the timestamp in its standard place and
 * empty top-level values dropped, serialised as JSON. The standard fields (timestamp included) are serialised once
 * per millisecond (timestamps have millisecond resolution), the record's fields once per line, without a replacer
 * (V8's fast path: Powertools' replacer only rewrites Error, BigInt and circular values, which these lines never
 * hold; values with toJSON(), such as Verbatim, serialise alike), and the two are joined.
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
      this.print(chunk);
    }
  }
}

/** The plain path: one Logger call per line (POWERTOOLS_DEV, or a probe line not as expected). */
class LoggerLineWriter implements LineWriter {
  constructor(private readonly logger: Logger, private readonly message: string) {}

  public write(fields: object): void {
    this.logger.info(this.message, fields as Record<string, unknown>);
  }

  public flush(): void {}
}
