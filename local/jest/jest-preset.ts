/**
 * `preset: 'cdk-stream-triggered-table/jest'` in a jest config: one DynamoDB Local per jest run (started
 * once, before the first test file, and stopped after the last), shared by every worker; each
 * `LocalRunner.start()` gets tables of its own on it, so test files run in parallel without seeing each
 * other's items. The test timeout leaves room for a runner's start and for `waitForIdle()`'s own timeout
 * (30 s by default), which then says what is still pending instead of jest's bare timeout.
 */
import * as path from 'path';

/** This package's root (the preset is `assets/local-runner/jest/jest-preset.js`). */
const packageRoot = path.resolve(__dirname, '..', '..', '..');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const preset = {
  globalSetup: path.join(__dirname, 'global-setup.js'),
  globalTeardown: path.join(__dirname, 'global-teardown.js'),
  testTimeout: 60_000,
  // The package's code is plain CommonJS: never transformed, also where it is linked from outside node_modules
  // (npm link, a workspace), which jest's default would have babel-jest transform (4 MB, seconds per worker).
  transformIgnorePatterns: ['/node_modules/', ...['lib', 'assets'].map((folder) => `^${escape(path.join(packageRoot, folder) + path.sep)}`)],
};

export = preset;
