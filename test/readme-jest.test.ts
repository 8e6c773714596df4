import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from '../local/engine/shared-dynamodb';

// The README's "Test your stream handler with jest" section, run as written: its jest.config.js, its app module and
// its test file in a project of their own, where `cdk-stream-triggered-table` is this checkout (linked into
// node_modules, so the preset and `cdk-stream-triggered-table/local` resolve through the package's exports
// map as in a user's project), in a jest process of its own with the preset's global setup and teardown.
const root = path.join(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf-8');
const section = readme.slice(readme.indexOf('## Test your stream handler with jest'));
const jestConfig = /`jest\.config\.js`[^\n]*\n\n```js\n([\s\S]*?)```/.exec(section)?.[1];
const appModule = /`test\/orders-app\.ts`[\s\S]*?```mts\n([\s\S]*?)```/.exec(section)?.[1];
const testFile = /`test\/orders\.test\.ts`[^\n]*\n\n```mts\n([\s\S]*?)```/.exec(section)?.[1];

test('the README has the jest section with its config, the app module it names and a complete test file', () => {
  expect(jestConfig).toContain("preset: 'cdk-stream-triggered-table/jest'");
  expect(jestConfig).toContain("globals: { 'cdk-stream-triggered-table': { app: 'test/orders-app.ts' } }");
  expect(appModule).toContain('export default function');
  expect(testFile).toContain("from 'cdk-stream-triggered-table/local'");
  expect(testFile).toMatch(/\btest\(/);
});

test('the README\'s jest test file passes, as written, under the README\'s jest config', () => {
  const project = mkdtempSync(path.join(tmpdir(), 'readme-jest-'));
  try {
    const modules = path.join(project, 'node_modules');
    mkdirSync(path.join(modules, '@types'), { recursive: true });
    symlinkSync(root, path.join(modules, 'cdk-stream-triggered-table'), 'dir');
    for (const name of ['aws-cdk-lib', 'constructs', 'amplify-dynamodb-simulator', 'ts-jest', 'typescript', '@types/jest', '@types/node']) {
      symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name), 'dir');
    }
    // A `cdk init` app's tsconfig, in short.
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', lib: ['es2022'], strict: true, esModuleInterop: true, skipLibCheck: true, types: ['jest', 'node'] },
    }));
    // In the test files the library is this checkout's source (its compiled lib/ may not be built yet); the app
    // module, loaded by the preset's global setup in jest's own process, gets the package's lib/ as a user does.
    // Types are checked by the README examples' own test, so the harness only transpiles.
    if (!existsSync(path.join(root, 'lib', 'index.js'))) throw new Error('lib/ is not built: run `npx projen compile` first');
    writeFileSync(path.join(project, 'jest.config.js'), `${jestConfig}
const harness = module.exports;
harness.moduleNameMapper = { '^cdk-stream-triggered-table$': ${JSON.stringify(path.join(root, 'src', 'index.ts'))} };
harness.transform = { '^.+\\\\.tsx?$': ['ts-jest', { isolatedModules: true }] };
`);
    mkdirSync(path.join(project, 'test'));
    writeFileSync(path.join(project, 'test', 'orders-app.ts'), appModule!);
    writeFileSync(path.join(project, 'test', 'orders.test.ts'), testFile!);

    // The preset's global setup starts the jest run's DynamoDB Local: none is inherited from this suite.
    const env = { ...process.env };
    delete env[SHARED_DYNAMODB_ENDPOINT_VARIABLE];
    delete env.JEST_WORKER_ID;
    const run = spawnSync(process.execPath, [path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--coverage=false'], {
      cwd: project,
      encoding: 'utf-8',
      env,
      timeout: 240_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect({ status: run.status, output }).toEqual({ status: 0, output: expect.stringContaining('Tests:       2 passed, 2 total') });
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
