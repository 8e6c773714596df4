import { Annotations, Stack, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

/** DynamoDB Streams throttles a shard read by more than two processes at once. */
export const MAX_READERS_PER_SHARD = 2;

/** Id of the warning (acknowledge it on the stack: aws-cdk-lib matches acknowledgements on the scopes above a warning). */
export const TOO_MANY_READERS_WARNING = 'cdk-stream-triggered-table:moreThanTwoConsumers';

/** A table whose stream's readers are counted at synth. */
interface CountedStream {
  readonly table: IConstruct;
  readonly streamArn: string;
}

/** The counted tables of each stage (or app); the stage's one check counts for all of them. */
const countedStreams = new WeakMap<IConstruct, CountedStream[]>();

/**
 * Has synth warn on `table` when more than two event source mappings read `streamArn`: its own consumers and
 * any mapping wired by hand in the same app. Counted once every mapping exists, by one check per stage (CDK
 * validates each stage on its own), so that an app of many tables walks its tree once.
 */
export function countStreamReadersAtSynth(table: IConstruct, streamArn: string): void {
  const stage: IConstruct = Stage.of(table) ?? table.node.root;
  const known = countedStreams.get(stage);
  if (known) {
    known.push({ table, streamArn });
    return;
  }
  const streams = [{ table, streamArn }];
  countedStreams.set(stage, streams);
  stage.node.addValidation({
    validate: () => {
      warnOverreadStreams(stage, streams);
      return [];
    },
  });
}

function warnOverreadStreams(stage: IConstruct, streams: CountedStream[]): void {
  const mappings = mappingsIn(stage);
  const resolved = new ResolvedArns();
  for (const { table, streamArn } of streams) {
    const stack = Stack.of(table);
    // The same string is the same token (a reference from any stack, DynamoEventSource's) or the same literal ARN.
    // Resolved values are compared only within the table's stack: another stack's table can have the same logical id.
    const readers = mappings.filter((m) => m.eventSourceArn === streamArn
      || (Stack.of(m) === stack && resolved.in(stack, m.eventSourceArn!) === resolved.in(stack, streamArn)));
    if (readers.length <= MAX_READERS_PER_SHARD) continue;
    Annotations.of(table).addWarningV2(TOO_MANY_READERS_WARNING,
      `${readers.length} event source mappings read this table's stream (${readers.map(ownerPath).join(', ')}): `
      + 'DynamoDB Streams throttles a shard read by more than two processes at once, so its consumers fall behind '
      + '(IteratorAge grows) and records can reach maxRecordAge unprocessed. Keep at most two: fan out through one '
      + 'consumer (its function calls or publishes to the others), or stream the table\'s changes to Kinesis Data '
      + 'Streams for DynamoDB, whose shards serve more readers.');
  }
}

/** The event source mappings with a source ARN in a stage, not in the stages nested in it (they synthesize apart). */
function mappingsIn(stage: IConstruct): lambda.CfnEventSourceMapping[] {
  const found: lambda.CfnEventSourceMapping[] = [];
  const visit = (node: IConstruct) => {
    if (lambda.CfnEventSourceMapping.isCfnEventSourceMapping(node) && node.eventSourceArn !== undefined) found.push(node);
    for (const child of node.node.children) {
      if (!Stage.isStage(child)) visit(child);
    }
  };
  visit(stage);
  return found;
}

/** Each ARN resolved once per stack. */
class ResolvedArns {
  private readonly byStack = new Map<Stack, Map<string, string>>();

  public in(stack: Stack, arn: string): string {
    let cache = this.byStack.get(stack);
    if (!cache) {
      cache = new Map();
      this.byStack.set(stack, cache);
    }
    let value = cache.get(arn);
    if (value === undefined) {
      value = JSON.stringify(stack.resolve(arn));
      cache.set(arn, value);
    }
    return value;
  }
}

/** The path a user wrote: the L2 mapping's, not its `Resource` child's. */
function ownerPath(mapping: lambda.CfnEventSourceMapping): string {
  const owner = mapping.node.id === 'Resource' && mapping.node.scope ? mapping.node.scope : mapping;
  return owner.node.path;
}
