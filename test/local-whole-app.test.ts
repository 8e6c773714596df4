import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LocalRunner } from '../local/runner';
import { synthPythonApp, synthSameNameApp, synthSsmApp, synthWholeApp } from './fixtures/whole-app';
import { parsed, tempDir } from './local-runner-helpers';

// The whole app offline, against the real DynamoDB Local, the real local S3 and the real function code:
// every table and bucket of every stack, references resolved, several mappings on one stream, chained
// tables, SDK calls kept on the machine, and the start refused, clearly, for what cannot run.

const dir = tempDir('stt-whole-app-');
const cdkOut = path.join(dir, 'cdk.out');
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
/** Values of this machine's AWS configuration that must never reach a function. */
const MACHINE_AWS = {
  AWS_PROFILE: 'machine-profile',
  AWS_ACCESS_KEY_ID: 'AKIAMACHINEKEY',
  AWS_SECRET_ACCESS_KEY: 'machine-secret',
  AWS_SESSION_TOKEN: 'machine-token',
  AWS_REGION: 'ap-south-9',
  AWS_DEFAULT_REGION: 'ap-south-9',
  AWS_ENDPOINT_URL: 'https://machine.example',
  AWS_CONFIG_FILE: '/machine/config',
  AWS_SHARED_CREDENTIALS_FILE: '/machine/credentials',
};
const saved = Object.fromEntries(Object.keys(MACHINE_AWS).map((k) => [k, process.env[k]]));
let runner: LocalRunner;
let writtenAt: number;

beforeAll(async () => {
  synthWholeApp(cdkOut);
  Object.assign(process.env, MACHINE_AWS);
  runner = await LocalRunner.start({ cdkOut, outDir: path.join(dir, 'run'), pollIntervalMs: 100, retryBackoff: { baseMs: 10, maxMs: 50 } });
  writtenAt = Date.now();
  await runner.table('Orders').put({ pk: 'order-1' });
  await runner.table('Orders').put({ pk: 'order-2' });
  await runner.table('Notifications').put({ pk: 'note-1' });
  await runner.table('InnerTable').put({ pk: 'inner-1' });
  await runner.waitForIdle();
}, 180_000);

afterAll(async () => {
  await runner?.stop();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The environment the Echo function printed at init. */
function echoedEnvironment(functionId: string): Record<string, string> {
  const line = parsed(runner.function(functionId)).find((l) => l.msg === 'env');
  if (!line) throw new Error(`${functionId} printed no environment`);
  return line.env;
}

function echoedRecords(functionId: string): any[] {
  return parsed(runner.function(functionId)).filter((l) => l.msg === 'record');
}

test('every table of every stack exists, with its keys, indexes, TTL and stream; a resource behind a false condition does not', async () => {
  const { TableNames } = await runner.tables[0].client.send(new ListTablesCommand({}));
  expect(TableNames?.sort()).toEqual([
    'WholeApp-ChainedTableD61F57F9', 'WholeApp-Indexed1C8AD082', 'WholeApp-InnerNestedStackInnerNestedStackResource745E041B-InnerTable6301E3CF',
    'WholeApp-NotificationsTable024CBB72', 'WholeApp-OrdersTable1F8332C7', 'WholeShared-Summary68521F81',
  ]);
  const indexed = runner.table('Indexed');
  const { Table } = await indexed.client.send(new DescribeTableCommand({ TableName: indexed.tableName }));
  expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
  expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema])).toEqual([['byStatus', [{ AttributeName: 'status', KeyType: 'HASH' }]]]);
  expect(Table?.LocalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema])).toEqual([
    ['byCreated', [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'created', KeyType: 'RANGE' }]],
  ]);
  expect(Table?.StreamSpecification).toBeUndefined();
  const ttl = await indexed.client.send(new DescribeTimeToLiveCommand({ TableName: indexed.tableName }));
  expect(ttl.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
  expect(runner.table('Summary').streamArn).toBeUndefined();
  expect(runner.table('Orders').streamArn).toMatch(/^arn:aws:dynamodb:eu-west-1:123456789012:table\/WholeApp-OrdersTable1F8332C7\/stream\/.+/);
  // The archive, and the failure bucket of each StreamTriggeredTable (the nested stack's name is cut to S3's 63 characters).
  expect(runner.buckets.map((b) => b.bucketName)).toEqual([
    'wholeshared-archiveda4cb258', 'wholeapp-chainedfailurebucketa21ac64f', 'wholeapp-ordersfailurebucket2f046cc3',
    'wholeapp-notificationsfailurebucketf5c54e9a', 'wholeapp-innernestedstackinnernestedstackresource745e0-ffb327bd',
  ]);
});

test('function environments resolve every intrinsic to the offline value, with the stack\'s region and account', () => {
  const env = echoedEnvironment('Echo');
  const orders = runner.table('Orders');
  expect(env).toMatchObject({
    TABLE_NAME: orders.tableName,
    TABLE_ARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${orders.tableName}`,
    STREAM_ARN: orders.streamArn,
    BUCKET_ARN: 'arn:aws:s3:::wholeshared-archiveda4cb258', // Fn::ImportValue of another stack's GetAtt
    BUCKET_DOMAIN: `wholeshared-archiveda4cb258.s3.${REGION}.amazonaws.com`,
    // On the local endpoint: the SQS client sends a call to the queue URL's host, which must not be AWS's.
    QUEUE_URL: `${env.AWS_ENDPOINT_URL}/${ACCOUNT}/WholeApp-Queue4A7E3555`,
    QUEUE_ARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:WholeApp-Queue4A7E3555`,
    TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:WholeApp-TopicBFC7AF6E`,
    TOPIC_NAME: 'WholeApp-TopicBFC7AF6E',
    FAN_OUT_ARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${runner.function('FanOut').functionName}`,
    FAN_OUT_ROLE_ARN: expect.stringMatching(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/WholeApp-FanOutServiceRole`)),
    JOINED: `aws/${REGION}/${ACCOUNT}/WholeApp/amazonaws.com`,
    SUBBED: 'WholeApp:WholeShared-Summary68521F81:${Literal}',
    SELECTED: 'b',
    CONDITIONAL: 'in eu-west-1',
    AWS_REGION: REGION,
  });
  // A nested stack's parameter, passed from its parent.
  expect(echoedEnvironment('InnerEcho').PARENT_TABLE).toBe(orders.tableName);
});

test('two mappings on one stream each get every record; the ledger counts each record once per mapping', async () => {
  const summary = await runner.summary();
  const ordersRows = summary.mappings.filter((m) => m.table === 'WholeApp/Orders/Table');
  expect(ordersRows.map((m) => [m.id, m.function])).toEqual([['WholeApp/Orders', 'WholeApp/FanOut'], ['WholeApp/Echo', 'WholeApp/Echo']]);
  for (const row of ordersRows) expect(row.summary).toMatchObject({ written: 2, delivered: 2, lost: 0 });
  expect(echoedRecords('Echo').map((r) => r.pk)).toEqual(['order-1', 'order-2']);
  expect(summary.lost).toBe(0);
});

test('records carry the stack\'s ARNs and the write time to the second', () => {
  const orders = runner.table('Orders');
  const records = echoedRecords('Echo');
  expect(records).toHaveLength(2);
  for (const record of records) {
    expect(record).toMatchObject({ eventSourceARN: orders.streamArn, awsRegion: REGION, eventID: expect.stringMatching(/^[0-9a-f]{32}$/) });
    // DynamoDB Local rounds to the minute; the runner delivers the write time, to the second.
    expect(record.createdAt * 1000).toBeGreaterThanOrEqual(Math.floor(writtenAt / 1000) * 1000);
    expect(record.createdAt * 1000).toBeLessThanOrEqual(writtenAt + 2_000);
  }
});

test('a function writes to a table and a bucket of another stack and to a chained table, whose own mapping runs', async () => {
  expect(await runner.table('Summary').get({ id: 'totals' })).toEqual({ id: 'totals', INSERT: 2 });
  const archive = runner.bucket('Archive');
  const keys = await archive.keys('copies/');
  expect(keys).toHaveLength(2);
  expect(JSON.parse(await archive.getText(keys[0])).Keys).toEqual({ pk: { S: 'order-1' } });
  // The chained table's bundled change-log handler logged what FanOut wrote there.
  const changes = parsed(runner.table('Chained')).filter((l) => l.message === 'change');
  expect(changes.map((c) => [c.eventName, c.keys.pk])).toEqual([['INSERT', 'from-order-1'], ['INSERT', 'from-order-2']]);
  const chainedRow = (await runner.summary()).mappings.find((m) => m.id === 'WholeApp/Chained');
  expect(chainedRow?.summary).toMatchObject({ written: 2, delivered: 2, lost: 0 });
});

test('a call to a service that is not run offline fails at once, naming the service and the operation', async () => {
  const failures = parsed(runner.function('Publisher')).filter((l) => l.msg === 'publish failed');
  expect(failures.length).toBeGreaterThanOrEqual(1);
  expect(failures[0].message).toMatch(/^SNS Publish is not run offline/);
  expect(failures[0].ms).toBeLessThan(1_000);
  const [record] = await runner.table('Notifications').failureRecords();
  expect(record.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 1 });
  expect(record.DDBStreamBatchInfo.streamArn).toBe(runner.table('Notifications').streamArn);
  expect(runner.mapping('Notifications').failureDestination?.location).toMatch(/^s3:\/\/wholeapp-notificationsfailurebucket[a-z0-9-]*\/aws\/lambda\/[0-9a-f-]{36}\/$/);
});

test('nothing of this machine\'s AWS configuration reaches a function', () => {
  for (const functionId of ['Echo', 'InnerEcho']) {
    const env = echoedEnvironment(functionId);
    for (const [name, value] of Object.entries(env)) {
      for (const machineValue of Object.values(MACHINE_AWS)) expect(`${name}=${value}`).not.toContain(machineValue);
    }
    expect(env.AWS_PROFILE).toBeUndefined();
    expect(env.AWS_ACCESS_KEY_ID).toBe('local');
    expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBe(runner.endpoint);
    expect(env.AWS_ENDPOINT_URL_S3).toBe(runner.s3Endpoint);
  }
});

describe('the start is refused, before anything runs, for what cannot run offline', () => {
  test('a value that exists only in AWS names the stack, function, variable and expression, and how to give it', async () => {
    const out = path.join(dir, 'ssm.out');
    synthSsmApp(out);
    await expect(LocalRunner.start({ cdkOut: out, outDir: path.join(dir, 'ssm-run') })).rejects.toThrow(
      'stack SsmApp, function SsmApp/Echo: environment variable API_KEY = {"Ref":"SsmParameterValuewholeappapikeyC96584B6F00A464EAD1953AFF4B05118Parameter"} '
      + 'cannot be resolved offline (an SSM parameter (/whole-app/api-key) is not read offline). Give it a value: '
      + '--env SsmApp/Echo.API_KEY=<value> on the command line, or environment: { \'SsmApp/Echo.API_KEY\': \'<value>\' } in LocalRunner.start.');
    const supplied = await LocalRunner.start({ cdkOut: out, outDir: path.join(dir, 'ssm-run'), environment: { 'SsmApp/Echo.API_KEY': 'local-key' } });
    try {
      expect(supplied.function('Echo').definition.environment.API_KEY).toBe('local-key');
    } finally {
      await supplied.stop();
    }
  });

  test('a function that is not Node.js, unless the rest of the app is asked for', async () => {
    const out = path.join(dir, 'python.out');
    synthPythonApp(out);
    await expect(LocalRunner.start({ cdkOut: out, outDir: path.join(dir, 'python-run') })).rejects.toThrow(
      'function PythonApp/PythonHandler runs on python3.12; the local runner runs Node.js functions only (nodejs18.x and later). '
      + 'Start with --skip-unsupported (skipUnsupportedFunctions: true) to run the rest of the app without its mappings.');
    const rest = await LocalRunner.start({ cdkOut: out, outDir: path.join(dir, 'python-run'), skipUnsupportedFunctions: true });
    try {
      expect(rest.mappings.map((m) => m.id)).toEqual(['PythonApp/NodeTable']);
      expect(rest.skipped).toEqual([{ id: 'PythonApp/PythonTable/EventSourceMapping', reason: 'its function PythonApp/PythonHandler runs on python3.12 (only Node.js functions are run offline)' }]);
    } finally {
      await rest.stop();
    }
  });

  test('two tables with one name', async () => {
    const out = path.join(dir, 'same-name.out');
    synthSameNameApp(out);
    await expect(LocalRunner.start({ cdkOut: out })).rejects.toThrow(
      'two tables are named orders in eu-west-1/123456789012: First/Orders/Table and Second/Orders/Table; offline they would be one table.');
  });

  test('a function\'s asset folder that is missing', async () => {
    const out = path.join(dir, 'missing-asset.out');
    synthSsmApp(out);
    const asset = readdirSync(out).find((f) => f.startsWith('asset.'))!;
    renameSync(path.join(out, asset), path.join(out, `${asset}.moved`));
    await expect(LocalRunner.start({ cdkOut: out, environment: { 'SsmApp/Echo.API_KEY': 'x' } })).rejects.toThrow(
      `function SsmApp/Echo (stack SsmApp): its code asset folder ${path.join(out, asset)} is missing: run \`cdk synth\` again`);
  });

  test('a template that is not JSON names its file', async () => {
    const out = path.join(dir, 'corrupt.out');
    synthSsmApp(out);
    const templateFile = path.join(out, 'SsmApp.template.json');
    writeFileSync(templateFile, readFileSync(templateFile, 'utf-8').slice(0, 100));
    await expect(LocalRunner.start({ cdkOut: out })).rejects.toThrow(new RegExp(`^${templateFile.replace(/[.]/g, '\\.')} \\(the template of stack SsmApp\\) is not valid JSON: .+; run \`cdk synth\` again$`));
  });

  test('a manifest that is not JSON, and a template that is missing, name their files', async () => {
    const out = path.join(dir, 'manifest.out');
    synthSsmApp(out);
    const manifest = path.join(out, 'manifest.json');
    const text = readFileSync(manifest, 'utf-8');
    writeFileSync(manifest, text.replace('{', '{\u0001'));
    await expect(LocalRunner.start({ cdkOut: out })).rejects.toThrow(new RegExp(
      `^${manifest.replace(/[.]/g, '\\.')} \\(the cloud assembly manifest\\) is not valid JSON: .+; run \`cdk synth\` again$`));
    writeFileSync(manifest, text);
    rmSync(path.join(out, 'SsmApp.template.json'));
    await expect(LocalRunner.start({ cdkOut: out })).rejects.toThrow(
      `cannot read ${path.join(out, 'SsmApp.template.json')} (the template of stack SsmApp): the file does not exist; run \`cdk synth\` again`);
  });

  test('no cloud assembly', async () => {
    await expect(LocalRunner.start({ cdkOut: path.join(dir, 'nothing') })).rejects.toThrow(
      `${path.join(dir, 'nothing')} is not a cloud assembly (no manifest.json): run \`cdk synth\` first`);
  });
});
