import { existsSync } from 'fs';
import * as path from 'path';

// The jest preset as the package ships it (assets/local-runner/jest/jest-preset.js, built by the bundle step).
const root = path.join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const preset = require(path.join(root, 'assets', 'local-runner', 'jest', 'jest-preset.js'));
const ignored = (file: string) => (preset.transformIgnorePatterns as string[]).some((pattern) => new RegExp(pattern).test(file));

test('its global setup and teardown are files of the package', () => {
  expect(existsSync(preset.globalSetup)).toBe(true);
  expect(existsSync(preset.globalTeardown)).toBe(true);
});

test('the package\'s code is never transformed, also when the package is linked from outside node_modules', () => {
  expect(ignored(path.join(root, 'assets', 'local-runner', 'index.js'))).toBe(true);
  expect(ignored(path.join(root, 'lib', 'index.js'))).toBe(true);
  // jest's default stays: nothing under node_modules.
  expect(ignored('/home/me/app/node_modules/some-package/index.js')).toBe(true);
});

test('the user\'s own files are transformed as jest would', () => {
  expect(ignored('/home/me/app/test/orders.test.ts')).toBe(false);
  expect(ignored('/home/me/app/lib/app-stack.ts')).toBe(false);
  expect(ignored(path.join(root, 'src', 'index.ts'))).toBe(false);
});
