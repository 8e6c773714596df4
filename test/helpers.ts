import { execFileSync } from 'child_process';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { StreamConsumerOptions, StreamTriggeredTable, StreamTriggeredTableProps } from '../src';

export const PK: dynamodb.Attribute = { name: 'pk', type: dynamodb.AttributeType.STRING };

/** A fresh stack in a fixed environment, so templates are deterministic. */
export function newStack(): Stack {
  const app = new App();
  return new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** Synthesizes one StreamTriggeredTable and returns the construct, its stack and template. */
export function synth(props: StreamTriggeredTableProps, configure?: (stack: Stack) => Partial<StreamTriggeredTableProps>) {
  const stack = newStack();
  const extra = configure ? configure(stack) : {};
  const construct = new StreamTriggeredTable(stack, 'Orders', { ...props, ...extra });
  const template = Template.fromStack(stack);
  return { stack, construct, template, annotations: Annotations.fromStack(stack) };
}

/** Builds props in a stack and returns the error the construct throws (or fails the test). */
export function synthError(props: StreamTriggeredTableProps | ((stack: Stack) => StreamTriggeredTableProps)): string {
  const stack = newStack();
  try {
    // Factories (for example FailureDestination.queue) may refuse their input before the construct does.
    const resolved = typeof props === 'function' ? props(stack) : props;
    new StreamTriggeredTable(stack, 'Orders', resolved);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the construct to throw, but it synthesized');
}

/** A value, or a factory of it given the stack (for options that hold constructs). */
export type InStack<T> = T | ((stack: Stack) => T);

export const inStack = <T>(value: InStack<T>, stack: Stack): T =>
  typeof value === 'function' ? (value as (stack: Stack) => T)(stack) : value;

/** Adds a consumer `Projection` to a table that synthesizes, and returns the error addConsumer throws (or fails the test). */
export function consumerError(options: InStack<StreamConsumerOptions>,
  tableProps: InStack<StreamTriggeredTableProps> = { partitionKey: PK }): string {
  const stack = newStack();
  const table = new StreamTriggeredTable(stack, 'Orders', inStack(tableProps, stack));
  try {
    table.addConsumer('Projection', inStack(options, stack));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected addConsumer to throw, but it synthesized');
}

/** The single resource of a type in a template (fails when there is not exactly one). */
export function onlyResource(template: Template, type: string): { Properties: any; [k: string]: any } {
  const found = Object.values(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0] as any;
}

/** Replaces asset hashes, so snapshots move only when the template does. */
export const assetHashSerializer: jest.SnapshotSerializerPlugin = {
  test: (val: unknown) => typeof val === 'string' && /[0-9a-f]{64}/.test(val) && !val.includes('[ASSET-HASH]'),
  serialize: (val: string, config, indentation, depth, refs, printer) =>
    printer(val.replace(/[0-9a-f]{64}/g, '[ASSET-HASH]'), config, indentation, depth, refs),
};

/** An example app (examples/<app>), synthesized with the real CDK CLI into `outDir`, as a user would. */
export function synthExampleApp(outDir: string, app = 'orders-app'): void {
  const root = path.join(__dirname, '..');
  execFileSync(path.join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--output', outDir], {
    cwd: path.join(root, 'examples', app), stdio: 'pipe', env: { ...process.env, JSII_DEPRECATED: 'quiet' },
  });
}
