/**
 * The child process of the handler benchmark (bundled by build.ts into bench/.build/handlers/harness.js and run
 * with plain `node`, one fresh process per contender and measurement).
 *
 *   node harness.js '{"handler":"/abs/index.js","batch":1000,"warmup":1,"invocations":50}'
 *
 * It builds the batch (bench/lib/records.ts) as the JSON text Lambda would send, loads the handler once,
 * then per invocation: parses a fresh event from that text (as the Lambda runtime does; not timed), calls
 * the handler with a Lambda-like context and waits until everything it wrote to stdout has been handed to
 * the pipe (timed). The first `warmup` invocations are not counted. stdout belongs to the handler; the
 * figures go to file descriptor 3 as one JSON object.
 */
import { writeSync } from 'fs';
import { performance } from 'perf_hooks';
import type { Context } from 'aws-lambda';
import { streamEvent } from '../lib/records';

export interface HarnessOptions {
  readonly handler: string;
  readonly batch: number;
  readonly warmup: number;
  readonly invocations: number;
}

export interface HarnessFigures {
  /** Time inside the measured invocations (handler plus stdout drain), ms. */
  readonly elapsedMs: number;
  /** Records processed by the measured invocations. */
  readonly records: number;
  /** process.resourceUsage().maxRSS at the end, KiB: peak of the whole child. */
  readonly maxRssKiB: number;
  /** Length of the event as JSON text, bytes. */
  readonly eventBytes: number;
}

function lambdaContext(invocation: number): Context {
  const started = Date.now();
  const suffix = invocation.toString(16).padStart(12, '0');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'orders-change-log',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-change-log',
    memoryLimitInMB: '256',
    awsRequestId: `c6af9ac6-7b61-11e6-9a41-${suffix}`,
    logGroupName: '/aws/lambda/orders-change-log',
    logStreamName: '2026/11/21/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 900_000 - (Date.now() - started),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Resolves once stdout has handed every byte written so far to the pipe (Node writes pipes asynchronously). */
async function drained(): Promise<void> {
  while (process.stdout.writableLength > 0) {
    await new Promise<void>((resolve) => {
      if (process.stdout.writableNeedDrain) process.stdout.once('drain', resolve);
      else setImmediate(resolve);
    });
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]) as HarnessOptions;
  const text = JSON.stringify(streamEvent(options.batch));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(options.handler) as { handler: (event: unknown, context: Context) => Promise<unknown> };

  let elapsedMs = 0;
  let records = 0;
  for (let invocation = 0; invocation < options.warmup + options.invocations; invocation++) {
    const event = JSON.parse(text) as { Records: unknown[] };
    const context = lambdaContext(invocation);
    const started = performance.now();
    const response = await handler(event, context);
    await drained();
    const took = performance.now() - started;
    const failures = (response as { batchItemFailures?: unknown[] } | undefined)?.batchItemFailures;
    if (failures && failures.length > 0) {
      throw new Error(`invocation ${invocation}: the handler reported failures ${JSON.stringify(failures).slice(0, 500)}`);
    }
    if (invocation >= options.warmup) {
      elapsedMs += took;
      records += event.Records.length;
    }
  }

  const figures: HarnessFigures = {
    elapsedMs,
    records,
    maxRssKiB: process.resourceUsage().maxRSS,
    eventBytes: Buffer.byteLength(text),
  };
  writeSync(3, JSON.stringify(figures));
}

main().catch((error: Error) => {
  writeSync(2, `harness: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
