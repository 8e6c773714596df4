import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { synthExampleApp } from './helpers';
import { AppModel } from '../local/assembly/app-model';
import type { StreamMappingDefinition } from '../local/assembly/definitions';

// The example app, synthesized with the real CDK CLI as a user would, then read back from cdk.out.
const root = path.join(__dirname, '..');
const appDir = path.join(root, 'examples', 'orders-app');
let out: string;

beforeAll(() => {
  out = mkdtempSync(path.join(tmpdir(), 'stt-example-'));
  synthExampleApp(out);
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The app's mappings as the runner reads them (a stream label stands in for the one DynamoDB Local gives). */
function readMappings(cdkOut: string): StreamMappingDefinition[] {
  const model = AppModel.read(cdkOut);
  const tables = model.tables();
  for (const t of tables) if (t.streamViewType) model.setStreamLabel(t.tableArn, '2026-01-01T00:00:00.000');
  return model.mappings(tables).mappings;
}

test('cdk synth writes both stream-triggered tables with their documented wiring', () => {
  const mappings = readMappings(out);
  expect(mappings.map((t) => t.id)).toEqual(['OrdersExample/Orders', 'OrdersExample/Payments']);
  const [orders, payments] = mappings;

  expect(orders.table).toMatchObject({
    id: 'OrdersExample/Orders/Table',
    tableName: 'OrdersExample-OrdersTable1F8332C7',
    tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/OrdersExample-OrdersTable1F8332C7',
    partitionKey: { name: 'pk', type: 'S' },
    streamViewType: 'NEW_AND_OLD_IMAGES',
    timeToLiveAttribute: 'expiresAt',
  });
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
  const [orders] = readMappings(out);
  const shipped = readFileSync(path.join(root, 'assets', 'stream-handler', 'index.js'));
  expect(readFileSync(path.join(orders.handler.assetPath!, 'index.js')).equals(shipped)).toBe(true);
});

test('the app model explains a folder that is not a cloud assembly', () => {
  expect(() => AppModel.read(appDir)).toThrow(`${appDir} is not a cloud assembly (no manifest.json): run \`cdk synth\` first`);
});
