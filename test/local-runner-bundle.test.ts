import { spawnSync } from 'child_process';
import { rmSync } from 'fs';
import * as path from 'path';
import { synthSsmApp } from './fixtures/whole-app';
import { synthExampleApp } from './helpers';
import { tempDir } from './local-runner-helpers';

// What ships: the bundled runner (assets/local-runner), pointed at a user's cdk.out (the example app,
// synthesized with the CDK CLI), through its programmatic API and its command line.
const root = path.join(__dirname, '..');
const dir = tempDir('stt-runner-bundle-');
const cdkOut = path.join(dir, 'cdk.out');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bundled = require(path.join(root, 'assets', 'local-runner', 'index.js')) as typeof import('../local');

beforeAll(() => synthExampleApp(cdkOut));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the bundled API runs the example app: the real change-log handler logs each change, redacted', async () => {
  const runner = await bundled.LocalRunner.start({ cdkOut, outDir: path.join(dir, 'out'), pollIntervalMs: 100 });
  try {
    const orders = runner.table('Orders');
    await orders.put({ pk: 'order#1', status: 'NEW', email: 'ada@example.com' });
    await orders.update({ pk: 'order#1' }, { status: 'SHIPPED' });
    await orders.put({ pk: 'tmp#x', status: 'DRAFT' });
    await runner.waitForIdle();
    const changes = orders.logLines.map((l) => JSON.parse(l)).filter((l) => l.message === 'change');
    expect(changes.map((c) => [c.eventName, c.keys.pk, c.changedAttributes])).toEqual([['INSERT', 'order#1', undefined], ['MODIFY', 'order#1', ['status']]]);
    expect(changes[1].newImage).toEqual({ pk: 'order#1', status: 'SHIPPED', email: '***REDACTED***' });
    expect(changes[1].function_arn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:OrdersExample-OrdersHandler791FC516');
    const summary = await runner.summary();
    expect(summary).toMatchObject({ written: 3, delivered: 2, filtered: 1, sentToFailureDestination: 0, lost: 0 });
  } finally {
    await runner.stop();
  }
});

test('the bundled runner loads its S3 code (s3rver, the S3 client) only once S3 is used', () => {
  // In a Node process of its own: what a test file's runner compiles is what its module cache holds.
  const script = `
    const path = require('path');
    const { LocalRunner } = require(${JSON.stringify(path.join(root, 'assets', 'local-runner', 'index.js'))});
    const loaded = () => Object.keys(require.cache).some((file) => path.basename(file) === 's3-modules.js');
    (async () => {
      const runner = await LocalRunner.start({ cdkOut: ${JSON.stringify(cdkOut)}, outDir: ${JSON.stringify(path.join(dir, 'lazy-s3'))} });
      try {
        const orders = runner.table('Orders');
        await orders.put({ pk: 'order#1', status: 'NEW' });
        await runner.waitForIdle();
        const failureRecords = await orders.failureRecords();
        const atFirst = loaded();
        const keys = await runner.buckets[0].keys();
        console.log(JSON.stringify({ atFirst, failureRecords, keys, afterwards: loaded() }));
      } finally {
        await runner.stop();
      }
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const out = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf-8', timeout: 120_000 });
  expect(out.stderr).toBe('');
  // The example app has buckets (its failure destination is one): until a bucket is read, no batch having failed,
  // nothing of S3 was needed; reading one loads it.
  expect(JSON.parse(out.stdout)).toEqual({ atFirst: false, failureRecords: [], keys: [], afterwards: true });
});

test('the bundled CLI starts, reports the tables, and exits with a summary once idle', () => {
  const out = spawnSync(process.execPath, [path.join(root, 'assets', 'local-runner', 'cli.js'), '--cdk-out', cdkOut, '--out', path.join(dir, 'cli'), '--until-idle'], {
    cwd: root, encoding: 'utf-8', timeout: 120_000,
  });
  expect(out.status).toBe(0);
  expect(out.stdout).toMatch(/DynamoDB Local: http:\/\/127\.0\.0\.1:\d+/);
  expect(out.stdout).toContain('table OrdersExample-OrdersTable1F8332C7 (OrdersExample/Orders/Table), stream arn:aws:dynamodb:eu-west-1:123456789012:table/OrdersExample-OrdersTable1F8332C7/stream/');
  expect(out.stdout).toContain('mapping OrdersExample/Orders -> function OrdersExample-OrdersHandler791FC516');
  expect(out.stdout).toMatch(/\ntotal +0 +0 +0 +0 +0 +0 +0 +0\n/);
  expect(out.stdout).toContain('lost: 0');
  // The runner's own SDK copy says nothing of Node versions (on Node < 22 it would, in nine lines).
  expect(out.stderr).not.toContain('NodeVersionSupportWarning');
});

test('the CLI explains its options', () => {
  const out = spawnSync(process.execPath, [path.join(root, 'assets', 'local-runner', 'cli.js'), '--help'], { encoding: 'utf-8' });
  expect(out.status).toBe(0);
  expect(out.stdout).toContain('--endpoint URL');
});

test('the CLI says what is wrong with a folder that is not an assembly', () => {
  const out = spawnSync(process.execPath, [path.join(root, 'assets', 'local-runner', 'cli.js'), '--cdk-out', dir + '/nope'], { encoding: 'utf-8' });
  expect(out.status).toBe(2);
  expect(out.stderr).toContain('is not a cloud assembly (no manifest.json): run `cdk synth` first');
});

test('the CLI names a value only AWS has, and runs the app once --env gives it', () => {
  const ssmOut = path.join(dir, 'ssm.out');
  synthSsmApp(ssmOut);
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'assets', 'local-runner', 'cli.js'), '--cdk-out', ssmOut,
    '--out', path.join(dir, 'ssm-cli'), '--until-idle', ...args], { cwd: root, encoding: 'utf-8', timeout: 120_000 });
  const refused = cli();
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain('environment variable API_KEY');
  expect(refused.stderr).toContain('--env SsmApp/Echo.API_KEY=<value>');
  const run = cli('--env', 'SsmApp/Echo.API_KEY=local-key');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/mapping SsmApp\/Orders -> function SsmApp-Echo[0-9A-F]{8}/);
  expect(run.stdout).toContain('lost: 0');
});
