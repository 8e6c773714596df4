import { writeFileSync } from 'fs';
import * as http from 'http';
import * as path from 'path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { synthSlowApp } from './fixtures/whole-app';
import { buildCli, runCli, runningProcesses, waitForOutput } from './local-cli-helpers';
import { tempDir } from './local-runner-helpers';
import { DynamoDbLocal, startDynamoDbLocal } from '../local/engine/dynamodb-local';
import { LocalRunner } from '../local/runner';

// The CLI (bundled from the sources) under faults, as a user meets them: a run that is never idle, a DynamoDB Local of the
// user's that already holds a table of the app's name, a DynamoDB that goes away mid-run, endpoints that
// are not there or not DynamoDB. Each ends with a message that says what to do and an exit code that means it.

let cli: string;
const dir = tempDir('stt-faults-runner-');
const cdkOut = path.join(dir, 'cdk.out');
const seedFile = path.join(dir, 'seed.json');

/** The CLI on the slow app. */
const runCliOnApp = (...args: string[]) => runCli(cli, ['--cdk-out', cdkOut, ...args]);

/** The java process whose command line holds `-port <port>` (the embedded DynamoDB Local). */
function javaPidListeningOn(port: string): number {
  const jvm = runningProcesses().find((p) => p.args.includes(`DynamoDBLocal.jar -sharedDb -port ${port} `));
  if (!jvm) throw new Error(`no java process with -port ${port}`);
  return jvm.pid;
}

const clientOf = (local: DynamoDbLocal) => new DynamoDBClient({
  endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

beforeAll(() => {
  cli = buildCli();
  synthSlowApp(cdkOut, 30_000);
  writeFileSync(seedFile, JSON.stringify({ Orders: [{ pk: 'order-1' }] }));
});

test('--until-idle gives up after its own timeout: it prints the ledger, stops, and exits 1', async () => {
  const run = runCliOnApp('--out', path.join(dir, 'idle'), '--seed', seedFile, '--until-idle', '--idle-timeout', '3');
  // Timed from the seed (the record's 30 s in the function start then), not from the start of DynamoDB Local.
  await waitForOutput(run, 'seeded 1 item into slow-orders');
  const seeded = Date.now();
  const { code } = await run.exited;
  const ms = Date.now() - seeded;
  expect(code).toBe(1);
  expect(run.stderr).toContain('error: not idle after 3000 ms');
  expect(run.stdout).toContain('seeded 1 item into slow-orders');
  expect(run.stdout).toMatch(/\nSlowApp\/Orders +1 +0 +0 +0 +0 +\d+ /);
  // The function was still running its 30 s: stopping did not wait for it.
  expect(ms).toBeLessThan(20_000);
}, 60_000);

describe('a DynamoDB Local of the user\'s', () => {
  let local: DynamoDbLocal;
  let client: DynamoDBClient;

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    client = clientOf(local);
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await local?.stop();
  });

  test('a table of the app\'s name that already exists is refused, and its items are left alone', async () => {
    await client.send(new CreateTableCommand({
      TableName: 'slow-orders',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }));
    for (let i = 0; i < 5; i++) await client.send(new PutItemCommand({ TableName: 'slow-orders', Item: { pk: { S: `mine-${i}` } } }));
    const refused = runCliOnApp('--endpoint', local.endpoint, '--out', path.join(dir, 'existing'), '--until-idle');
    expect((await refused.exited).code).toBe(2);
    expect(refused.stderr).toContain(`error: table slow-orders already exists on the DynamoDB at ${local.endpoint}; `
      + 'the runner does not touch a table it did not create.');
    expect((await client.send(new ScanCommand({ TableName: 'slow-orders' }))).Count).toBe(5);

    const reset = runCliOnApp('--endpoint', local.endpoint, '--out', path.join(dir, 'reset'), '--reset-tables', '--until-idle');
    expect((await reset.exited).code).toBe(0);
    expect((await client.send(new ScanCommand({ TableName: 'slow-orders' }))).Count).toBe(0);
  }, 120_000);

  test('DynamoDB going away mid-run is said once; the ledger is printed and the CLI exits 3', async () => {
    const run = runCliOnApp('--endpoint', local.endpoint, '--out', path.join(dir, 'dies'), '--reset-tables', '--seed', seedFile,
      '--until-idle', '--idle-timeout', '120');
    await waitForOutput(run, '"msg":"receipt"');
    await local.stop();
    const { code } = await run.exited;
    expect(code).toBe(3);
    const failures = run.stderr.split('\n').filter((l) => l.startsWith('error: DynamoDB stopped answering'));
    expect(failures).toEqual([`error: DynamoDB stopped answering during the run: cannot reach DynamoDB at ${local.endpoint}: `
      + 'the connection was refused. Is DynamoDB Local running there? (Leave out --endpoint to start the embedded one.)']);
    expect(run.stdout).toContain('the streams were not read again for this ledger');
    expect(run.stdout.split('\n').filter((l) => l.includes('GetRecords failed')).length).toBeLessThanOrEqual(3);
  }, 120_000);
});

test('the embedded DynamoDB Local dying mid-run is said once; waitForIdle and summary say so instead of a socket error', async () => {
  const failures: string[] = [];
  const runner = await LocalRunner.start({ cdkOut, outDir: path.join(dir, 'embedded'), onEngineFailure: (m) => failures.push(m) });
  try {
    await runner.table('Orders').put({ pk: 'order-1' });
    const port = new URL(runner.engineEndpoint).port;
    const jvm = javaPidListeningOn(port);
    process.kill(jvm, 'SIGKILL');
    await expect(runner.waitForIdle(60_000)).rejects.toThrow(/^DynamoDB stopped answering during the run: cannot reach DynamoDB at .+: the connection was refused/);
    expect(failures).toHaveLength(1);
    const summary = await runner.summary();
    expect(summary.engineFailure).toBe(failures[0]);
  } finally {
    await runner.stop();
  }
}, 120_000);

describe('endpoints that cannot be used are named, with what to do', () => {
  test('a refused connection', async () => {
    const run = runCliOnApp('--endpoint', 'http://127.0.0.1:1', '--out', path.join(dir, 'refused'));
    expect((await run.exited).code).toBe(2);
    expect(run.stderr).toContain('error: cannot reach DynamoDB at http://127.0.0.1:1: the connection was refused. Is DynamoDB Local running there?');
  }, 60_000);

  test('a server that is not DynamoDB', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not dynamodb</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const run = runCliOnApp('--endpoint', endpoint, '--out', path.join(dir, 'html'));
      expect((await run.exited).code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`error: the endpoint ${endpoint.replace(/[.]/g, '\\.')} answered, but not as DynamoDB does \\(.+\\): is it a DynamoDB Local\\?`));
    } finally {
      server.close();
    }
  }, 60_000);
});
