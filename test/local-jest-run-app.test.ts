/**
 * The app of a jest run (jest config `globals['cdk-stream-triggered-table'].app`): found in the config, built
 * from its module and synthesized once, its construct paths kept with the assembly for the test files' runners.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { readConstructPaths } from '../local/assembly/construct-paths';
import { configuredAppModule, synthesizeRunApp } from '../local/jest/run-app';

const fixtures = path.join(__dirname, 'fixtures', 'run-apps');

describe('configuredAppModule', () => {
  test('none without the preset\'s key in globals', () => {
    expect(configuredAppModule({ rootDir: '/app' })).toBeUndefined();
    expect(configuredAppModule({ rootDir: '/app', globals: { other: { app: 'x.ts' } } })).toBeUndefined();
  });

  test('the module path, relative to the config\'s rootDir', () => {
    expect(configuredAppModule({ rootDir: '/home/me/app', globals: { 'cdk-stream-triggered-table': { app: 'test/orders-app.ts' } } }))
      .toBe(path.resolve('/home/me/app/test/orders-app.ts'));
    expect(configuredAppModule({ rootDir: '/home/me/app', globals: { 'cdk-stream-triggered-table': { app: '/elsewhere/app.js' } } }))
      .toBe(path.resolve('/elsewhere/app.js'));
  });

  test('refuses a key without a module path, naming what it got', () => {
    for (const options of [{}, { app: '' }, { app: 3 }, null]) {
      expect(() => configuredAppModule({ rootDir: '/app', globals: { 'cdk-stream-triggered-table': options } }))
        .toThrow(`jest config globals['cdk-stream-triggered-table'].app must be the path of the module that builds the app, got ${JSON.stringify((options as { app?: unknown } | null)?.app)}`);
    }
  });
});

describe('synthesizeRunApp', () => {
  test('a default-exported (async) function building an App: synthesized, construct paths kept next to the assembly', async () => {
    const directory = await synthesizeRunApp(path.join(fixtures, 'orders-app.ts'));
    expect(existsSync(path.join(directory, 'manifest.json'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(directory, 'RunApp.template.json'), 'utf-8')).Resources).toBeDefined();
    const paths = readConstructPaths(directory)!;
    expect([...paths.values()]).toContain('RunApp/Orders/Table/Resource');
  });

  test('a module whose export is a stack runs the stack\'s app', async () => {
    const directory = await synthesizeRunApp(path.join(fixtures, 'stack-module.ts'));
    expect([...readConstructPaths(directory)!.values()]).toContain('StackModule/Audit/Table/Resource');
  });

  test('a module that exports no app, or fails to load, is named with the config key', async () => {
    const noApp = path.join(fixtures, 'no-app.ts');
    await expect(synthesizeRunApp(noApp)).rejects.toThrow(
      `the app module ${noApp} (jest config globals['cdk-stream-triggered-table'].app) exports neither an App (a Stage, or a Stack of one) nor a function that returns one`);
    const throws = path.join(fixtures, 'throws.ts');
    await expect(synthesizeRunApp(throws)).rejects.toThrow(`the app module ${throws} (jest config globals['cdk-stream-triggered-table'].app) could not be loaded: the app needs STAGE set`);
    const missing = path.join(fixtures, 'missing.ts');
    await expect(synthesizeRunApp(missing)).rejects.toThrow(`the app module ${missing} (jest config globals['cdk-stream-triggered-table'].app) could not be loaded: `);
  });
});
