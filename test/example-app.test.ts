import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { synthExampleApp } from './helpers';
import { readAssembly } from '../local/assembly/read-assembly';

// The example app, synthesized with the real CDK CLI as a user would, then read back from cdk.out.
const root = path.join(__dirname, '..');
const appDir = path.join(root, 'examples', 'orders-app');
let out: string;

beforeAll(() => {
  out = mkdtempSync(path.join(tmpdir(), 'stt-example-'));
  synthExampleApp(out);
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

test('cdk synth writes both stream-triggered tables with their documented wiring', () => {
  const tables = readAssembly(out);
  expect(tables.map((t) => t.id)).toEqual(['OrdersExample/Orders', 'OrdersExample/Payments']);
  const [orders, payments] = tables;

  expect(orders.table).toMatchObject({ partitionKey: { name: 'pk', type: 'S' }, streamViewType: 'NEW_AND_OLD_IMAGES', timeToLiveAttribute: 'expiresAt' });
  expect(orders.handler).toMatchObject({ handler: 'index.handler', runtime: 'nodejs24.x', memorySize: 256, timeoutSeconds: 30 });
  expect(orders.handler.environment).toEqual({
    POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: 'stream-triggered-table', CHANGE_LOG_IMAGES: 'true', CHANGE_LOG_REDACT: '["email"]',
  });
  expect(orders.mapping).toMatchObject({
    startingPosition: 'TRIM_HORIZON',
    batchSize: 100,
    maximumRetryAttempts: 10,
    maximumRecordAgeSeconds: 21600,
    bisectBatchOnFunctionError: true,
    reportBatchItemFailures: true,
    filterPatterns: [{ dynamodb: { Keys: { pk: { S: [{ 'anything-but': { prefix: 'tmp#' } }] } } } }],
    onFailure: { kind: 's3' },
  });
  expect(orders.alarmMetrics).toHaveLength(5);

  expect(payments.mapping).toMatchObject({ maximumRetryAttempts: 2, filterPatterns: [], onFailure: { kind: 's3' } });
  expect(payments.handler.environment).toEqual({});
});

test('the bundled handler asset in cdk.out is the one built into assets/', () => {
  const [orders] = readAssembly(out);
  const shipped = readFileSync(path.join(root, 'assets', 'stream-handler', 'index.js'));
  expect(readFileSync(path.join(orders.handler.assetPath!, 'index.js')).equals(shipped)).toBe(true);
});

test('readAssembly explains a folder that is not a cloud assembly', () => {
  expect(() => readAssembly(appDir)).toThrow(`${appDir} is not a cloud assembly (no manifest.json): run \`cdk synth\` first`);
});
