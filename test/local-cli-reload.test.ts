import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { eventually } from './local-cli-helpers';
import { parsed, tempDir } from './local-runner-helpers';
import type { MappingActivity } from '../local/mapping/mapping-emulator';
import { LocalRunner } from '../local/runner';

// LocalRunner.reload, what the CLI's --watch calls after each synthesis: the swap itself, record by record.
// A batch that keeps failing under the old code, and the records queued behind it, are handed over to the
// new mapping and go through the fixed code; nothing is lost or counted twice; the tables keep their items.

const dir = tempDir('stt-cli-reload-');
const cdkOut = path.join(dir, 'cdk.out');

interface Version {
  readonly code: string;
  readonly batchSize: number;
}

/** Synthesizes the app into the one assembly folder, as `cdk synth` does on every change. */
function synth(version: Version): void {
  const handlerDir = path.join(dir, `handler-${version.code}`);
  mkdirSync(handlerDir, { recursive: true });
  writeFileSync(path.join(handlerDir, 'index.js'), `'use strict';
exports.handler = async (event) => {
  for (const r of event.Records) {
    const pk = r.dynamodb.Keys.pk.S;
    console.log(JSON.stringify({ code: ${JSON.stringify(version.code)}, pk }));
    if (${JSON.stringify(version.code)} === 'v1' && pk.startsWith('bad')) throw new Error('v1 cannot take ' + pk);
  }
};
`);
  synthApp(cdkOut, handlerDir, version.batchSize);
}

/** The app: one table whose stream a function reads with the code in `handlerDir`. */
function synthApp(outdir: string, handlerDir: string, batchSize: number): void {
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'ReloadApp', { env: { account: '123456789012', region: 'eu-west-1' } });
  const table = new dynamodb.Table(stack, 'Items', {
    tableName: 'reload-items',
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  });
  const fn = new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(handlerDir),
  });
  // Retried until the record expires: only a fix of the code gets it through.
  fn.addEventSource(new DynamoEventSource(table, {
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize,
    retryAttempts: -1,
  }));
  app.synth();
}

let runner: LocalRunner;
const activity: MappingActivity[] = [];

beforeAll(async () => {
  synth({ code: 'v1', batchSize: 1 });
  runner = await LocalRunner.start({
    cdkOut,
    outDir: path.join(dir, 'out'),
    retryBackoff: { baseMs: 50, maxMs: 200 },
    onActivity: (a) => activity.push(a),
  });
}, 120_000);

afterAll(async () => {
  await runner?.stop();
});

test('nothing changed: nothing said, nothing restarted', async () => {
  const mapping = runner.mapping('Handler');
  synth({ code: 'v1', batchSize: 1 });
  expect(await runner.reload(cdkOut)).toEqual([]);
  expect(runner.mapping('Handler')).toBe(mapping);
}, 60_000);

test('a handler that cannot load: the reload is refused and the running code stays', async () => {
  const broken = path.join(dir, 'broken.out');
  const empty = path.join(dir, 'empty-handler');
  mkdirSync(empty, { recursive: true });
  synthApp(broken, empty, 1);
  const before = runner.function('Handler');

  await expect(runner.reload(broken)).rejects.toThrow(/handler 'index\.handler': no module index\(\.js\|\.cjs\)/);
  expect(runner.function('Handler')).toBe(before);
  expect(runner.functions).toHaveLength(1);
}, 60_000);

test('a failing batch and the records behind it go through the fixed code; nothing lost, nothing counted twice', async () => {
  const items = runner.table('Items');
  await items.put({ pk: 'good-1' });
  await items.put({ pk: 'bad-1' });
  await items.put({ pk: 'good-2' });
  // v1 keeps failing bad-1; good-2 waits behind it (one lane, batches of one).
  expect(await eventually(() => activity.filter((a) => a.type === 'retry').length >= 3, 30_000)).toBe(true);
  const v1Worker = runner.function('Handler').host.pids;
  expect(v1Worker).toHaveLength(1);

  synth({ code: 'v2', batchSize: 5 });
  const changes = await runner.reload(cdkOut);
  expect(changes).toEqual([
    expect.stringMatching(/^function ReloadApp\/Handler: new code \(asset\.[0-9a-f]+\); new worker processes$/),
    'mapping ReloadApp/Handler: batchSize 1 -> 5; restarted where it was',
  ]);
  await runner.waitForIdle(30_000);

  const fn = runner.function('Handler');
  const lines = parsed(fn);
  // The lines of v1 are kept; bad-1 and good-2 were each taken by v2, once.
  expect(lines.filter((l) => l.code === 'v1' && l.pk === 'good-1')).toHaveLength(1);
  expect(lines.filter((l) => l.code === 'v1' && l.pk === 'bad-1').length).toBeGreaterThanOrEqual(3);
  expect(lines.filter((l) => l.code === 'v2').map((l) => l.pk)).toEqual(['bad-1', 'good-2']);
  expect(lines.some((l) => l.code === 'v1' && l.pk === 'good-2')).toBe(false);
  // v1's process is gone; v2 runs in one of its own.
  expect(fn.host.pids.some((pid) => v1Worker.includes(pid))).toBe(false);

  const summary = await runner.summary();
  expect(summary).toMatchObject({ written: 3, delivered: 3, pending: 0, pendingAtStop: 0, lost: 0 });
  expect(summary.outOfOrderItems).toEqual([]);
  expect(summary.mappings.map((m) => m.id)).toEqual(['ReloadApp/Handler']);
  for (const pk of ['good-1', 'bad-1', 'good-2']) expect(await items.get({ pk })).toEqual({ pk });

  // The new mapping reads on.
  await items.put({ pk: 'good-3' });
  await runner.waitForIdle(30_000);
  expect(parsed(runner.function('Handler')).filter((l) => l.pk === 'good-3').map((l) => l.code)).toEqual(['v2']);
  expect(await runner.summary()).toMatchObject({ written: 4, delivered: 4, lost: 0 });
}, 120_000);
