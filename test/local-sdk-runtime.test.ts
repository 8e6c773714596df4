/**
 * The AWS SDK that functions find offline without bundling it (assets/local-runner/runtime, built by the
 * bundle step): loaded the way a function loads it, from a child `node` whose code folder has no
 * node_modules and whose NODE_PATH is the runtime folder, as Lambda's is /var/runtime/node_modules.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { tempDir } from './local-runner-helpers';
import { DynamoDbLocal, startDynamoDbLocal } from '../local/engine/dynamodb-local';
import { PROVIDED_SDK_PACKAGES, sdkRuntimeModulesDir } from '../local/lambda/sdk-runtime';

const root = path.join(__dirname, '..');
const modulesDir = sdkRuntimeModulesDir();
const scratch = tempDir('stt-sdk-runtime-');

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface FunctionRun {
  readonly stderr: string;
  /** What the script printed last on stdout, parsed. */
  readonly result: any;
}

/** Runs `script` as a function's code: its own folder (`codeDir`) for cwd, the runtime on NODE_PATH. */
function runAsFunction(codeDir: string, script: string, env: Record<string, string> = {}): FunctionRun {
  const file = path.join(codeDir, 'handler.js');
  fs.writeFileSync(file, script);
  const out = spawnSync(process.execPath, [file], {
    cwd: codeDir,
    encoding: 'utf-8',
    timeout: 60_000,
    // Only what Lambda would set: no credentials or endpoints from this machine, no ~/.aws profile.
    env: { PATH: process.env.PATH ?? '', HOME: codeDir, NODE_PATH: modulesDir, AWS_REGION: 'us-east-1', ...env },
  });
  const lastLine = out.stdout.trim().split('\n').pop() ?? '';
  if (out.status !== 0) throw new Error(`function script failed (${out.status}): ${out.stderr}`);
  return { stderr: out.stderr, result: JSON.parse(lastLine) };
}

function emptyCodeDir(name: string): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** One class or function each package must export (and the bundle could lose). */
const EXPECTED_EXPORT: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/lib-dynamodb': 'DynamoDBDocumentClient',
  '@aws-sdk/util-dynamodb': 'marshall',
  '@aws-sdk/client-dynamodb-streams': 'DynamoDBStreamsClient',
  '@aws-sdk/client-s3': 'S3Client',
  '@aws-sdk/client-sns': 'SNSClient',
  '@aws-sdk/client-sqs': 'SQSClient',
  '@aws-sdk/client-eventbridge': 'EventBridgeClient',
  '@aws-sdk/client-lambda': 'LambdaClient',
};

test('every provided package loads from the runtime folder, at the installed version, with the whole root API', () => {
  expect([...PROVIDED_SDK_PACKAGES].sort()).toEqual(Object.keys(EXPECTED_EXPORT).sort());
  const { result } = runAsFunction(emptyCodeDir('loads'), `
    const packages = ${JSON.stringify(PROVIDED_SDK_PACKAGES)};
    console.log(JSON.stringify(packages.map((name) => ({
      name,
      file: require.resolve(name),
      version: require(name + '/package.json').version,
      exports: Object.keys(require(name)).sort(),
    }))));
  `);
  for (const loaded of result) {
    const name: string = loaded.name;
    const installed = path.join(root, 'node_modules', name);
    expect(loaded.file).toBe(path.join(modulesDir, name, 'index.js'));
    expect(loaded.version).toBe(JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf-8')).version);
    expect(loaded.exports).toContain(EXPECTED_EXPORT[name]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(loaded.exports).toEqual(Object.keys(require(installed)).sort());
  }
});

describe('against DynamoDB Local', () => {
  let dynamo: DynamoDbLocal;
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  test('lib-dynamodb and client-dynamodb share one SDK: DocumentClient.from works, a failed condition is a ConditionalCheckFailedException', () => {
    const { result, stderr } = runAsFunction(emptyCodeDir('one-sdk'), `
      const { DynamoDBClient, CreateTableCommand, ConditionalCheckFailedException, PutItemCommand } = require('@aws-sdk/client-dynamodb');
      const { DynamoDBDocumentClient, GetCommand, PutCommand } = require('@aws-sdk/lib-dynamodb');
      // The SDK core's Command class that a command class extends: one object only if the SDK core is one copy.
      const coreCommand = (commandClass) => {
        for (let c = commandClass; c; c = Object.getPrototypeOf(c)) if (c.name === 'Command') return c;
      };
      (async () => {
        const client = new DynamoDBClient({});
        await client.send(new CreateTableCommand({
          TableName: 'Orders', BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        }));
        const documents = DynamoDBDocumentClient.from(client);
        const put = () => documents.send(new PutCommand({
          TableName: 'Orders', Item: { pk: 'order#1', total: 42 }, ConditionExpression: 'attribute_not_exists(pk)',
        }));
        await put();
        const stored = (await documents.send(new GetCommand({ TableName: 'Orders', Key: { pk: 'order#1' } }))).Item;
        try {
          await put();
          console.log(JSON.stringify({ stored, secondPut: 'succeeded' }));
        } catch (err) {
          console.log(JSON.stringify({
            stored, name: err.name, constructorName: err.constructor.name,
            isConditionalCheckFailed: err instanceof ConditionalCheckFailedException,
            oneCoreCommandClass: coreCommand(PutCommand) !== undefined && coreCommand(PutCommand) === coreCommand(PutItemCommand),
          }));
        }
      })();
    `, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });

    expect(result).toEqual({
      stored: { pk: 'order#1', total: 42 },
      name: 'ConditionalCheckFailedException',
      constructorName: 'ConditionalCheckFailedException',
      isConditionalCheckFailed: true,
      // instanceof alone would pass with two SDK copies too (ServiceException matches by name across copies).
      oneCoreCommandClass: true,
    });
    // The SDK's own Node.js version warning reaches the function's output, as on Lambda.
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    expect(stderr.includes('NodeVersionSupportWarning')).toBe(nodeMajor < 22);
  });
});

test("a function's own node_modules win over the runtime's, package by package", () => {
  const codeDir = emptyCodeDir('own-modules');
  const ownSns = path.join(codeDir, 'node_modules', '@aws-sdk', 'client-sns');
  fs.mkdirSync(ownSns, { recursive: true });
  fs.writeFileSync(path.join(ownSns, 'index.js'), 'module.exports = { bundledWithTheFunction: true };\n');

  const { result } = runAsFunction(codeDir, `
    console.log(JSON.stringify({
      sns: require('@aws-sdk/client-sns'),
      snsFile: require.resolve('@aws-sdk/client-sns'),
      sqsFile: require.resolve('@aws-sdk/client-sqs'),
    }));
  `);
  expect(result).toEqual({
    sns: { bundledWithTheFunction: true },
    snsFile: path.join(ownSns, 'index.js'),
    sqsFile: path.join(modulesDir, '@aws-sdk', 'client-sqs', 'index.js'),
  });
});

test('from the TypeScript sources, the folder is the one the bundle step builds in the repository', () => {
  expect(modulesDir).toBe(path.join(root, 'assets', 'local-runner', 'runtime', 'node_modules'));
});

test('bundled, the folder is next to the bundle; missing, the error names it and the bundle step', () => {
  const bundleDir = path.join(scratch, 'bundled-runner');
  buildSync({
    entryPoints: [path.join(root, 'local', 'lambda', 'sdk-runtime', 'index.ts')],
    outfile: path.join(bundleDir, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
  });
  const call = `
    try { console.log(JSON.stringify({ dir: require('./index.js').sdkRuntimeModulesDir() })); }
    catch (err) { console.log(JSON.stringify({ error: err.message })); }
  `;
  const expected = path.join(bundleDir, 'runtime', 'node_modules');

  expect(runAsFunction(bundleDir, call).result).toEqual({
    error: `The AWS SDK that offline functions get is missing at ${expected}: run the bundle step (npx projen bundle:local-runner)`,
  });
  fs.mkdirSync(expected, { recursive: true });
  expect(runAsFunction(bundleDir, call).result).toEqual({ dir: expected });
});
