#!/usr/bin/env node
/**
 * `cdk-stream-triggered-table replay`: replays the failed batches of an event source mapping (replay.ts).
 * AWS through the SDK's standard credentials and region; offline, the runner's endpoints through the SDK's
 * standard endpoint settings (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_DYNAMODB_STREAMS).
 */
import { parseArgs } from 'util';
// The library is loaded from the bundle next to this one (assets/replay/index.js), not carried twice.
import {
  FailureSource, FileFailureSource, replayFailedRecords, ReplayOutcome, ReplayReport, S3FailureSource, SqsFailureSource,
} from './index';
import { plural } from '../local/wording';

const USAGE = `Usage: cdk-stream-triggered-table replay <source> [options]

Replays the batches an event source mapping sent to its failure destination: invokes the function with the
original records, batch by batch in sequence order per shard, and marks each batch once its invocation succeeded
(an S3 object is moved to replayed/<key>, an SQS message deleted), so that no batch is replayed twice.

Source (one):
  --bucket <name>           the S3 failure destination (the records themselves)
  --mapping <uuid>          with --bucket: only this mapping's objects (aws/lambda/<uuid>/)
  --queue <url>             an SQS failure destination (the range only: read back from the stream, 24 hours)
  --file <path>             on-failure records, one message per line (SQS messages, SNS notifications or records)

Options:
  --function <name|arn>     invoke this function instead of the one each record names
  --since <time>            only batches sent to the destination at or after this ISO 8601 time
  --until <time>            only batches sent before this time
  --condition <name>        only this condition (RetryAttemptsExhausted, RecordAgeExceeded); repeatable
  --shard <id>              only this shard; repeatable
  --record-filter <json>    only batches with a record matching this event filter pattern
  --attempts <n>            invocations of a batch whose function reports a failed record (default 1)
  --whole-range             (queue, topic) replay a range even when the stream holds more records in it than the
                            batch had (records the mapping's filters dropped, or another batch processed)
  --dry-run                 show what would be replayed; invoke and mark nothing
  --help                    this text

Exit status: 0 when nothing is still failing, 1 when a batch still fails, 2 on a usage error.`;

export async function main(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    print(USAGE);
    return 0;
  }
  if (command !== 'replay') {
    print(`${command === undefined ? 'no command' : `unknown command ${JSON.stringify(command)}`}\n\n${USAGE}`);
    return 2;
  }
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        'bucket': { type: 'string' },
        'mapping': { type: 'string' },
        'queue': { type: 'string' },
        'file': { type: 'string' },
        'function': { type: 'string' },
        'since': { type: 'string' },
        'until': { type: 'string' },
        'condition': { type: 'string', multiple: true },
        'shard': { type: 'string', multiple: true },
        'record-filter': { type: 'string' },
        'attempts': { type: 'string' },
        'whole-range': { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'help': { type: 'boolean' },
      },
    }));
  } catch (e) {
    print(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    print(USAGE);
    return 0;
  }
  let source: FailureSource;
  let options: Parameters<typeof replayFailedRecords>[0];
  try {
    source = sourceOf(values);
    options = {
      source,
      functionName: values.function as string | undefined,
      since: time('--since', values.since as string | undefined),
      until: time('--until', values.until as string | undefined),
      conditions: values.condition as string[] | undefined,
      shardIds: values.shard as string[] | undefined,
      recordPattern: values['record-filter'] === undefined ? undefined : pattern(values['record-filter'] as string),
      attempts: values.attempts === undefined ? undefined : attempts(values.attempts as string),
      dryRun: values['dry-run'] === true,
      wholeRange: values['whole-range'] === true,
      onOutcome: (o) => print(describe(o)),
    };
  } catch (e) {
    print(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  print(`${options.dryRun ? 'dry run: ' : ''}replaying the failed batches in ${source.description}`);
  const report = await replayFailedRecords(options);
  print(summary(report, options.dryRun === true));
  return report.stillFailing > 0 ? 1 : 0;
}

function sourceOf(values: Record<string, unknown>): FailureSource {
  const given = ['bucket', 'queue', 'file'].filter((k) => values[k] !== undefined);
  if (given.length !== 1) throw new Error(`give one source (--bucket, --queue or --file), got ${given.length ? given.map((k) => `--${k}`).join(' and ') : 'none'}`);
  if (values.mapping !== undefined && values.bucket === undefined) throw new Error('--mapping goes with --bucket');
  if (values.bucket !== undefined) return new S3FailureSource(values.bucket as string, values.mapping as string | undefined);
  if (values.queue !== undefined) return new SqsFailureSource(values.queue as string);
  return new FileFailureSource(values.file as string);
}

function time(flag: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`${flag} must be an ISO 8601 time, got ${JSON.stringify(text)}`);
  return date;
}

function pattern(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`--record-filter must be a JSON event filter pattern, got ${JSON.stringify(text)} (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`--record-filter must be a JSON object, got ${JSON.stringify(text)}`);
  }
  return parsed;
}

function attempts(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--attempts must be a whole number from 1, got ${JSON.stringify(text)}`);
  return n;
}

function describe(o: ReplayOutcome): string {
  const what = `${o.location} (${o.condition}, shard ${o.shardId}, ${plural(o.records, 'record')}, ${o.startSequenceNumber}..${o.endSequenceNumber}, `
    + `failed at ${o.timestamp.toISOString()})`;
  switch (o.status) {
    case 'replayed': return `replayed ${what}`;
    case 'would-replay': return `would replay ${what}`;
    case 'still-failing': return `still failing ${what}: ${o.reason}`;
    case 'skipped': return `skipped ${what}: ${o.reason}`;
  }
}

function summary(r: ReplayReport, dryRun: boolean): string {
  const finished = r.finishedMarks.length ? `; ${r.finishedMarks.length} replayed earlier, marked now` : '';
  return dryRun
    ? `would replay: ${r.wouldReplay}, skipped: ${r.skipped}${finished}`
    : `replayed: ${r.replayed}, still failing: ${r.stillFailing}, skipped: ${r.skipped}${finished}`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: Error) => {
    console.error(`replay failed: ${e.message}`);
    process.exitCode = 1;
  });
}
