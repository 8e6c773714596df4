/**
 * Change lines are written through a fast path (lambda/stream-handler/change-logger.ts) that takes the
 * Logger's standard fields once per invocation instead of calling `logger.info` per record. These tests
 * pin it to Powertools: a fast-path line must be, byte for byte (key order included), what `logger.info`
 * prints for the same fields at the same instant, whatever the Logger's configuration; and it must print
 * exactly when the Logger would print an INFO line.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import { event, handEdited, invoke, loadEvent, loadHandler, LogLine, POWERTOOLS_FIELDS, single, withEnv } from './fixtures/harness';
import { ChangeLogger, LineWriter } from '../lambda/stream-handler/change-logger';
import { describeRecord } from '../lambda/stream-handler/describe-record';
import { NO_REDACTION } from '../lambda/stream-handler/redact';

/** Every variable Powertools Logger reads (at construction or per line). */
const LOGGER_ENV = [
  'POWERTOOLS_LOG_LEVEL', 'LOG_LEVEL', 'AWS_LAMBDA_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_DEV',
  'POWERTOOLS_LOGGER_SAMPLE_RATE', 'POWERTOOLS_LOGGER_LOG_EVENT', '_X_AMZN_TRACE_ID', 'AWS_REGION', 'ENVIRONMENT', 'TZ',
];

const CONTEXT = {
  functionName: 'orders-change-log',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-change-log',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
} as Context;

const TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

/** What `fn` writes to process.stdout and process.stderr, as text. */
function capture(fn: () => void): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string) => { out.stdout += chunk; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => { out.stderr += chunk; return true; }) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
  }
  return out;
}

/** The change lines of the recorded fixtures and the edge cases, as the handler builds them. */
function changeLines(): object[] {
  const records = [
    ...loadEvent('stream-new-and-old-images.json').Records,
    ...loadEvent('stream-keys-only.json').Records,
    handEdited('edge-case-records.json', 'awkwardAttributeNames'),
  ];
  const options = { line: true, logImages: true, redaction: NO_REDACTION };
  return records.map((record) => describeRecord(record, options, Date.parse('2026-11-21T12:26:41.391Z')).line!);
}

interface Setup {
  readonly env?: Record<string, string>;
  readonly serviceName?: string;
  /** Contexts added before the lines: the second invocation has cold_start false. */
  readonly contexts?: Context[];
}

interface Printed {
  /** Written by the fast path. */
  readonly fast: string;
  /** Printed by logger.info of the same ChangeLogger. */
  readonly logger: string;
  /** Printed by logger.info of a plain Powertools Logger set up the same way (with its default JSON replacer). */
  readonly powertools: string;
}

/** For each change line, at its own instant: the fast path's text, and what logger.info prints. */
function threeWays(setup: Setup): Printed[] {
  const lines = changeLines();
  return withEnv(LOGGER_ENV, setup.env ?? {}, () => {
    const printed: Printed[] = [];
    capture(() => {
      const logger = new ChangeLogger({ serviceName: setup.serviceName });
      const plain = new Logger({ serviceName: setup.serviceName });
      for (const context of setup.contexts ?? []) {
        logger.addContext(context);
        plain.addContext(context);
      }
      const writer = logger.infoLines('change');
      expect(writer).toBeDefined();
      // 1 ms apart, then 2 in the same millisecond: timestamps are cached per millisecond.
      let now = Date.parse('2026-11-21T12:26:41.391Z');
      for (const [i, fields] of lines.entries()) {
        now += i % 3 === 0 ? 0 : 1;
        jest.setSystemTime(now);
        printed.push({
          fast: capture(() => { writer!.write(fields, Date.now()); writer!.flush(); }).stdout,
          logger: capture(() => logger.info('change', fields as Record<string, unknown>)).stdout,
          powertools: capture(() => plain.info('change', fields as Record<string, unknown>)).stdout,
        });
      }
    });
    return printed;
  });
}

describe('a fast-path change line is what logger.info prints', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const setups: Record<string, Setup> = {
    'without a Lambda context': {},
    'with a Lambda context (cold start)': { contexts: [CONTEXT] },
    'with a Lambda context (warm start)': { contexts: [CONTEXT, { ...CONTEXT, awsRequestId: 'second-request' }] },
    'with a service name, an X-Ray trace id and a tenant id': {
      serviceName: 'orders-change-log',
      env: { _X_AMZN_TRACE_ID: TRACE_ID },
      contexts: [{ ...CONTEXT, tenantId: 'tenant-1' } as Context],
    },
    'with the service name from POWERTOOLS_SERVICE_NAME and a sampling rate': {
      env: { POWERTOOLS_SERVICE_NAME: 'from-env', POWERTOOLS_LOGGER_SAMPLE_RATE: '0.5' },
      contexts: [CONTEXT],
    },
    'with a time zone (Powertools writes the offset)': { env: { TZ: 'Asia/Kolkata' }, contexts: [CONTEXT] },
    'with Lambda\'s TZ (:UTC)': { env: { TZ: ':UTC', AWS_REGION: 'eu-west-1' }, contexts: [CONTEXT] },
    'at DEBUG': { env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' }, contexts: [CONTEXT] },
  };

  test.each(Object.entries(setups))('%s', (_name, setup) => {
    const printed = threeWays(setup);
    expect(printed.length).toBeGreaterThan(5);
    for (const { fast, logger, powertools } of printed) {
      expect(fast).toBe(logger);
      expect(fast).toBe(powertools);
    }
    // The comparison is not vacuous: real lines, with Powertools' fields first.
    const first = JSON.parse(printed[0].fast);
    expect(Object.keys(first).slice(0, 3)).toStrictEqual(['level', 'message', 'timestamp']);
    expect(first.eventName).toBeDefined();
  });

  test('lines carry the timestamp of their own millisecond', () => {
    const printed = threeWays({ contexts: [CONTEXT] });
    const stamps = printed.map(({ fast }) => JSON.parse(fast).timestamp);
    expect(new Set(stamps).size).toBeGreaterThan(1);
    expect(stamps[0]).toBe('2026-11-21T12:26:41.391Z');
    // Formatted by the Logger's formatter, which honours TZ.
    // (Under Jest, changing TZ at run time does not reach Date's offset, so only the local time is checked.)
    expect(JSON.parse(threeWays({ env: { TZ: 'Asia/Kolkata' } })[0].fast).timestamp).toMatch(/^2026-11-21T17:56:41\.391[+-]\d\d:\d\d$/);
  });
});

describe('the fast path prints exactly when the Logger prints INFO lines', () => {
  /** As the handler builds its Logger: POWERTOOLS_LOG_LEVEL is passed to the constructor. */
  const writerWith = (env: Record<string, string>): LineWriter | undefined => {
    let writer: LineWriter | undefined;
    withEnv(LOGGER_ENV, env, () => capture(() => {
      writer = new ChangeLogger({ logLevel: env.POWERTOOLS_LOG_LEVEL as LogLevel | undefined }).infoLines('change');
    }));
    return writer;
  };

  test('INFO (the default) and DEBUG print', () => {
    expect(writerWith({})).toBeDefined();
    expect(writerWith({ POWERTOOLS_LOG_LEVEL: 'DEBUG' })).toBeDefined();
  });

  test('WARN does not', () => {
    expect(writerWith({ POWERTOOLS_LOG_LEVEL: 'WARN' })).toBeUndefined();
  });

  test('Lambda\'s application log level wins over POWERTOOLS_LOG_LEVEL, as in Powertools', () => {
    expect(writerWith({ POWERTOOLS_LOG_LEVEL: 'INFO', AWS_LAMBDA_LOG_LEVEL: 'WARN' })).toBeUndefined();
    expect(writerWith({ POWERTOOLS_LOG_LEVEL: 'WARN', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' })).toBeDefined();
  });

  test('debug sampling (rate 1) lowers WARN to DEBUG, so change lines print', () => {
    expect(writerWith({ POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_LOGGER_SAMPLE_RATE: '1' })).toBeDefined();
  });

  test('otherwise the fast path is in use (the comparisons above are not logger.info against itself)', () => {
    withEnv(LOGGER_ENV, {}, () => {
      const logger = new ChangeLogger();
      const info = jest.spyOn(logger, 'info');
      const writer = logger.infoLines('change')!;
      const { stdout } = capture(() => {
        writer.write(changeLines()[0], Date.now());
        writer.flush();
      });
      expect(info).not.toHaveBeenCalled();
      expect(JSON.parse(stdout).message).toBe('change');
    });
  });

  test('POWERTOOLS_DEV (pretty-printed through the global console): every line goes through logger.info', () => {
    withEnv(LOGGER_ENV, { POWERTOOLS_DEV: 'true' }, () => {
      const logger = new ChangeLogger();
      const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
      const writer = logger.infoLines('change')!;
      const fields = changeLines()[0];
      writer.write(fields, Date.now());
      writer.flush();
      expect(info).toHaveBeenCalledWith('change', fields);
    });
  });
});

describe('the built handler', () => {
  const standardFields = (line: LogLine) => Object.keys(line).filter((key) => POWERTOOLS_FIELDS.includes(key) && key !== 'message' && key !== 'timestamp')
    .map((key) => [key, line[key]]);

  test('change lines carry the same standard fields as the summary line, in the same order', async () => {
    const { handler } = loadHandler();
    process.env._X_AMZN_TRACE_ID = TRACE_ID;
    let run;
    try {
      run = await invoke(handler, loadEvent('stream-new-and-old-images.json'), CONTEXT);
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
    }
    const summary = single(run.printed, 'batch');
    expect(summary.xray_trace_id).toBe('1-5759e988-bd862e3fe1be46a994272793');
    expect(summary.function_arn).toBe(CONTEXT.invokedFunctionArn);
    const changes = run.printed.lines.filter((line) => line.message === 'change');
    expect(changes).toHaveLength(5);
    for (const line of changes) {
      expect(standardFields(line)).toStrictEqual(standardFields(summary));
      expect(Object.keys(line).slice(0, 3)).toStrictEqual(['level', 'message', 'timestamp']);
      expect(line.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(String(line.timestamp) <= String(summary.timestamp)).toBe(true);
    }
  });

  test('with Lambda\'s application log level above INFO, no change line is printed', async () => {
    const { handler } = loadHandler({ AWS_LAMBDA_LOG_LEVEL: 'WARN' });
    const run = await invoke(handler, loadEvent('stream-keys-only.json'));
    expect(run.result).toStrictEqual({ batchItemFailures: [] });
    expect(run.printed.lines).toEqual([]);
  });

  test('the lines before a failed record are printed before its error line', async () => {
    const { handler } = loadHandler();
    const { Records } = loadEvent('stream-keys-only.json');
    delete (Records[3] as { eventName?: string }).eventName;
    const run = await invoke(handler, event(Records));
    expect(run.printed.lines.map((line, i) => `${line.level} ${line.message} ${run.printed.streams[i]}`)).toStrictEqual([
      'INFO change stdout', 'INFO change stdout', 'INFO change stdout', 'ERROR record failed stderr', 'WARN batch stderr',
    ]);
  });
});
