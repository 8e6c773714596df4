import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { buildCli, childrenOf, runCli, stillRunning, waitForOutput } from './local-cli-helpers';
import { tempDir } from './local-runner-helpers';

// `--watch` as a user lives it: the CLI started in a CDK app's folder synthesizes the app with cdk.json's
// `app` command, runs it, and on every edit of its sources synthesizes again and swaps in what changed. The
// items written before stay; the next record goes to the new code; a mapping whose options changed goes on
// where it was; a new table is there; and the ledger at the end has lost nothing.

const REPO = path.join(__dirname, '..');
const appDir = tempDir('stt-cli-watch-app-');
let cli: string;

/** A small app in plain JavaScript, as `cdk init` would leave one after `tsc`: its settings in settings.json. */
function writeApp(settings: { batchSize: number; extraTable: boolean }): void {
  writeFileSync(path.join(appDir, 'settings.json'), JSON.stringify(settings));
}

function writeHandler(version: number): void {
  writeFileSync(path.join(appDir, 'handler', 'index.js'), `'use strict';
exports.handler = async (event) => {
  for (const r of event.Records) console.log(JSON.stringify({ version: ${version}, pk: r.dynamodb.Keys.pk.S, batch: event.Records.length }));
};
`);
}

beforeAll(() => {
  cli = buildCli();
  mkdirSync(path.join(appDir, 'handler'));
  const cdk = (module: string) => JSON.stringify(path.join(REPO, 'node_modules', module));
  writeFileSync(path.join(appDir, 'cdk.json'), JSON.stringify({ app: 'node app.js', context: { 'watch-test:greeting': 'hello' } }));
  // Context the CLI cached: its own keys reach the app too, but cdk.json's win.
  writeFileSync(path.join(appDir, 'cdk.context.json'), JSON.stringify({ 'watch-test:greeting': 'cached', 'watch-test:farewell': 'bye' }));
  writeFileSync(path.join(appDir, 'app.js'), `'use strict';
const path = require('path');
const fs = require('fs');
const cdk = require(${cdk('aws-cdk-lib')});
const dynamodb = require(${cdk('aws-cdk-lib/aws-dynamodb')});
const lambda = require(${cdk('aws-cdk-lib/aws-lambda')});
const { DynamoEventSource } = require(${cdk('aws-cdk-lib/aws-lambda-event-sources')});

const settings = JSON.parse(fs.readFileSync(path.join(__dirname, 'settings.json'), 'utf-8'));
const app = new cdk.App();
const stack = new cdk.Stack(app, 'WatchApp', { env: { account: '123456789012', region: 'eu-west-1' } });
const items = new dynamodb.Table(stack, 'Items', {
  tableName: 'watch-items',
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
});
const handler = new lambda.Function(stack, 'Handler', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromAsset(path.join(__dirname, 'handler')),
  // The context of cdk.json and cdk.context.json reaches the app, as the CDK CLI passes it.
  environment: { GREETING: app.node.tryGetContext('watch-test:greeting'), FAREWELL: app.node.tryGetContext('watch-test:farewell') },
});
handler.addEventSource(new DynamoEventSource(items, {
  startingPosition: lambda.StartingPosition.TRIM_HORIZON,
  batchSize: settings.batchSize,
  retryAttempts: 2,
}));
if (settings.extraTable) {
  new dynamodb.Table(stack, 'Extra', { tableName: 'watch-extra', partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
}
app.synth();
`);
  writeApp({ batchSize: 10, extraTable: false });
  writeHandler(1);
});

test('--watch: an edited handler handles the next record, a changed mapping goes on where it was, a new table appears, items stay', async () => {
  const run = runCli(cli, ['--watch'], appDir);
  let client: DynamoDBClient | undefined;
  try {
    await waitForOutput(run, 'running: write to the tables; edit the app and it is reloaded; Ctrl-C to stop', 120_000);
    expect(run.stdout).toContain('synthesizing: node app.js');
    expect(run.stdout).toContain('table watch-items (WatchApp/Items)');
    const template = JSON.parse(readFileSync(path.join(appDir, 'cdk.out', 'WatchApp.template.json'), 'utf-8'));
    const [fn] = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fn.Properties.Environment.Variables).toEqual({ GREETING: 'hello', FAREWELL: 'bye' });
    const endpoint = /DynamoDB Local: (\S+)/.exec(run.stdout)![1];
    client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const put = (pk: string) => client!.send(new PutItemCommand({ TableName: 'watch-items', Item: { pk: { S: pk } } }));

    await put('before');
    await waitForOutput(run, '[WatchApp/Handler] {"version":1,"pk":"before","batch":1}');

    // The handler's code: a new asset, new worker processes; the mapping reads on.
    const [firstWorker] = childrenOf(run.pid).workers;
    let mark = run.stdout.length;
    writeHandler(2);
    await waitForOutput(run, 'changed: handler/index.js; synthesizing', 30_000, mark);
    await waitForOutput(run, /reloaded \(synthesized in [\d.]+ s\):\n {2}function WatchApp\/Handler: new code \(asset\.[0-9a-f]+\); new worker processes\n/, 120_000, mark);
    expect(run.stdout.slice(mark)).not.toContain('mapping ');
    await put('after-code');
    await waitForOutput(run, '[WatchApp/Handler] {"version":2,"pk":"after-code","batch":1}', 30_000, mark);
    expect(run.stdout).not.toContain('"version":1,"pk":"after-code"');
    expect(await stillRunning([firstWorker.pid])).toEqual([]);

    // The mapping's options and a new table, in one edit; a record written while the app synthesizes is not lost.
    mark = run.stdout.length;
    writeApp({ batchSize: 5, extraTable: true });
    await waitForOutput(run, 'changed: settings.json; synthesizing', 30_000, mark);
    await put('during-reload');
    await waitForOutput(run, 'reloaded (', 120_000, mark);
    const reload = run.stdout.slice(mark);
    expect(reload).toContain('  new table WatchApp/Extra (watch-extra)');
    expect(reload).toMatch(/\n {2}mapping WatchApp\/Handler: batchSize 10 -> 5; restarted where it was\n/);
    await put('after-mapping');
    await waitForOutput(run, '"pk":"after-mapping"', 30_000, mark);
    await waitForOutput(run, '"pk":"during-reload"', 30_000, mark);
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['watch-extra', 'watch-items']);

    // Every item written since the start is still there.
    for (const pk of ['before', 'after-code', 'during-reload', 'after-mapping']) {
      expect((await client.send(new GetItemCommand({ TableName: 'watch-items', Key: { pk: { S: pk } } }))).Item).toEqual({ pk: { S: pk } });
    }

    const pids = childrenOf(run.pid).all.map((p) => p.pid);
    process.kill(-run.pid, 'SIGINT');
    expect((await run.exited).code).toBe(0);
    // The mapping's row: 4 written, 4 delivered (at least once: none twice here), nothing pending or lost.
    expect(run.stdout).toMatch(/\nWatchApp\/Handler +4 +4 +0 +0 +0 +0 +0 +\d+\n/);
    expect(run.stdout).toMatch(/\nlost: 0\n?$/);
    expect(await stillRunning(pids)).toEqual([]);
  } finally {
    client?.destroy();
    if (run.child.exitCode === null) process.kill(-run.pid, 'SIGKILL');
  }
}, 300_000);

test('--watch without a cdk.json says where it looked', async () => {
  const elsewhere = tempDir('stt-cli-watch-none-');
  const run = runCli(cli, ['--watch'], elsewhere);
  expect((await run.exited).code).toBe(2);
  expect(run.stderr).toContain(`error: --watch: no cdk.json in ${elsewhere}: run it from your CDK app's folder`);
}, 60_000);
