import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { startDynamoDbLocal, DynamoDbLocal } from '../local/engine/dynamodb-local';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from '../local/engine/shared-dynamodb';
import { LocalRunner } from '../local/runner';
import { StreamHandler, StreamTriggeredTable } from '../src';

// The runner's API as a test uses it: an app synthesized in process (no cdk synth, no path metadata), lines
// apart by stream, parsed change lines, per-run failure records, waitForIdle's report, and tables of its own on
// a DynamoDB shared with other runners (what the jest preset sets up).

/** The code of a function that prints on both streams, echoes its table's name, and fails records marked poison. */
const ECHO = `exports.handler = async (event) => {
  console.log(JSON.stringify({ msg: 'received', records: event.Records.length, ownTable: process.env.OWN_TABLE }));
  console.error('a line on stderr');
  const poison = event.Records.find((r) => r.dynamodb.NewImage && r.dynamodb.NewImage.poison);
  if (poison) throw new Error('poison ' + poison.dynamodb.Keys.pk.S);
  return { batchItemFailures: [] };
};`;

function buildApp(): App {
  const app = new App();
  const stack = new Stack(app, 'ApiTest');
  const orders = new StreamTriggeredTable(stack, 'Orders', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    createAlarms: false,
  });
  // A second table on the Orders function: both tables get its lines, and each its own change lines.
  new StreamTriggeredTable(stack, 'Audit', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    handler: StreamHandler.fromFunction(orders.handlerFunction),
    createAlarms: false,
  });
  const echo = new lambda.Function(stack, 'Echo', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(ECHO),
    timeout: Duration.seconds(10),
  });
  const events = new StreamTriggeredTable(stack, 'Events', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    handler: StreamHandler.fromFunction(echo),
    retryAttempts: 1,
    bisectBatchOnError: false,
    createAlarms: false,
  });
  echo.addEnvironment('OWN_TABLE', events.table.tableName);
  return app;
}

describe('a runner started from an app', () => {
  let runner: LocalRunner;
  beforeAll(async () => {
    runner = await LocalRunner.start({ app: buildApp(), retryBackoff: { baseMs: 50, maxMs: 50 } });
  });
  afterAll(() => runner?.stop());

  test('resources are found by construct path, as after cdk synth', () => {
    expect(runner.table('Orders').id).toBe('ApiTest/Orders/Table');
    expect(runner.table('ApiTest/Events').id).toBe('ApiTest/Events/Table');
    expect(runner.function('Echo').id).toBe('ApiTest/Echo');
  });

  test('table.changes() gives the bundled handler\'s change lines, parsed, in order', async () => {
    const orders = runner.table('Orders');
    await orders.put({ pk: 'o1', status: 'NEW' });
    await orders.update({ pk: 'o1' }, { status: 'PAID' });
    await orders.delete({ pk: 'o1' });
    const audit = runner.table('Audit');
    await audit.put({ pk: 'a1' });
    await runner.waitForIdle();
    const changes = orders.changes();
    expect(changes.map((c) => c.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(changes.map((c) => c.keys)).toEqual([{ pk: 'o1' }, { pk: 'o1' }, { pk: 'o1' }]);
    expect(changes[1]).toMatchObject({ newImage: { pk: 'o1', status: 'PAID' }, oldImage: { pk: 'o1', status: 'NEW' }, changedAttributes: ['status'] });
    // Summary lines are not changes, and the other table's lines are not this table's: the function the two
    // tables share printed the Audit change into the Orders table's lines too.
    expect(orders.logLines.some((l) => l.includes('"message":"batch"'))).toBe(true);
    expect(orders.logLines.some((l) => l.includes('"message":"change"') && l.includes('"pk":"a1"'))).toBe(true);
    expect(audit.changes().map((c) => [c.eventName, c.keys])).toEqual([['INSERT', { pk: 'a1' }]]);
    expect(runner.table('Events').changes()).toEqual([]);
    // Called again after more lines, it still gives every change line, in order.
    await orders.put({ pk: 'o2' });
    await runner.waitForIdle();
    expect(orders.changes().map((c) => c.keys)).toEqual([{ pk: 'o1' }, { pk: 'o1' }, { pk: 'o1' }, { pk: 'o2' }]);
  });

  test('a function\'s stdout and stderr lines are apart; logLines has both', async () => {
    await runner.table('Events').put({ pk: 'e1' });
    await runner.waitForIdle();
    const echo = runner.function('Echo');
    expect(echo.stdout.map((l) => JSON.parse(l))).toEqual([{ msg: 'received', records: 1, ownTable: runner.table('Events').tableName }]);
    expect(echo.stderr.filter((l) => l.includes('a line on stderr'))).toHaveLength(1);
    expect(echo.stdout.some((l) => l.includes('stderr'))).toBe(false);
    expect(echo.logLines).toEqual(expect.arrayContaining([...echo.stdout, ...echo.stderr]));
  });

  test('waitForIdle times out saying which mapping holds which records, and where', async () => {
    let retrying: () => void = () => {};
    const firstRetry = new Promise<void>((resolve) => { retrying = resolve; });
    const slow = await LocalRunner.start({
      app: buildApp(),
      retryBackoff: { baseMs: 20_000, maxMs: 20_000 },
      onActivity: (activity) => { if (activity.type === 'retry') retrying(); },
    });
    try {
      await slow.table('Events').put({ pk: 'stuck', poison: true });
      await firstRetry; // the batch failed once and waits 20 s for its retry
      const error = await slow.waitForIdle(500).then(() => undefined, (e: Error) => e);
      expect(error?.message).toMatch(/^not idle after 500 ms: 1 record not yet disposed of\n/);
      expect(error?.message).toContain('ApiTest/Events (table ApiTest/Events/Table -> function ApiTest/Echo): 1 record held');
      expect(error?.message).toMatch(/waiting 20000 ms before retry 1 of a 1-record batch \(Error: poison stuck\)/);
    } finally {
      await slow.stop();
    }
  });

  test('failureRecords() holds this run\'s failures only', async () => {
    const events = runner.table('Events');
    await events.put({ pk: 'bad', poison: true });
    await runner.waitForIdle();
    expect((await events.failureRecords()).map((r) => r.requestContext.condition)).toEqual(['RetryAttemptsExhausted']);
  });
});

describe('runners sharing one DynamoDB Local (the jest preset)', () => {
  let engine: DynamoDbLocal;
  beforeAll(async () => {
    engine = await startDynamoDbLocal();
    process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE] = engine.endpoint;
  });
  afterAll(async () => {
    delete process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE];
    await engine?.stop();
  });

  test('each runner has tables of its own, which its functions see, and deletes them at stop', async () => {
    const [first, second] = await Promise.all([LocalRunner.start({ app: buildApp() }), LocalRunner.start({ app: buildApp() })]);
    const client = new DynamoDBClient({ endpoint: engine.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      expect(first.endpoint).not.toBe(second.endpoint);
      const names = [first, second].map((r) => r.table('Events').tableName);
      expect(names[0]).not.toBe(names[1]);
      // One name as deployed, a prefix per runner.
      expect(names.map((n) => n.replace(/^r\d+-\d+-/, ''))).toEqual([names[1].replace(/^r\d+-\d+-/, ''), names[0].replace(/^r\d+-\d+-/, '')]);
      expect(names.every((n) => /^r\d+-\d+-ApiTest-/.test(n))).toBe(true);
      // The same key in both: each run sees only its own write.
      await Promise.all([first, second].map((r) => r.table('Events').put({ pk: 'same' })));
      await Promise.all([first.waitForIdle(), second.waitForIdle()]);
      for (const [i, r] of [first, second].entries()) {
        expect(r.function('Echo').stdout.map((l) => JSON.parse(l))).toEqual([{ msg: 'received', records: 1, ownTable: names[i] }]);
        expect((await r.summary()).delivered).toBe(1);
      }
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    const left = await client.send(new ListTablesCommand({}));
    client.destroy();
    expect(left.TableNames ?? []).toEqual([]);
  });
});
