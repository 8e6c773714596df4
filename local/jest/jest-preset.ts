/**
 * `preset: 'cdk-stream-triggered-table/jest'` in a jest config: one DynamoDB Local per jest run (started
 * once, before the first test file, and stopped after the last), shared by every worker; each
 * `LocalRunner.start()` gets tables of its own on it, so test files run in parallel without seeing each
 * other's items. The test timeout leaves room for a runner's start and for `waitForIdle()`'s own timeout
 * (30 s by default), which then says what is still pending instead of jest's bare timeout.
 */
import * as path from 'path';

const preset = {
  globalSetup: path.join(__dirname, 'global-setup.js'),
  globalTeardown: path.join(__dirname, 'global-teardown.js'),
  testTimeout: 60_000,
};

export = preset;
