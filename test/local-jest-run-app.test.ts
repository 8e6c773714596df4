/**
 * The app of a jest run (jest config `globals['cdk-stream-triggered-table'].app`): found in the config, built
 * from its module and synthesized once, its construct paths kept with the assembly for the test files' runners.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { readConstructPaths } from '../local/assembly/construct-paths';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from '../local/engine/shared-dynamodb';
import globalSetup from '../local/jest/global-setup';
import { configuredAppModule, synthesizeRunApp } from '../local/jest/run-app';

const fixtures = path.join(__dirname, 'fixtures', 'run-apps');

describe('configuredAppModule', () => {
  test('none without the preset\'s key in globals (or without a project config, as jest before 28 calls it)', () => {
    expect(configuredAppModule(undefined)).toBeUndefined();
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
    const buildThrows = path.join(fixtures, 'build-throws.ts');
    await expect(synthesizeRunApp(buildThrows)).rejects.toThrow(
      `the app module ${buildThrows} (jest config globals['cdk-stream-triggered-table'].app) could not be built and synthesized: no such context key: stage`);
    const missing = path.join(fixtures, 'missing.ts');
    await expect(synthesizeRunApp(missing)).rejects.toThrow(`the app module ${missing} (jest config globals['cdk-stream-triggered-table'].app) could not be loaded: `);
  });
});

test('every run of jest --watch builds the app afresh: the user\'s modules are loaded again, packages are not', () => {
  // In a Node process of its own: jest's parent process, where the global setup runs, has Node's module cache.
  const dir = mkdtempSync(path.join(tmpdir(), 'run-app-watch-'));
  try {
    const appFile = path.join(dir, 'app.js');
    const stackFile = path.join(dir, 'stack.js');
    // A stand-in for an App (what the global setup reads of one): the "stack" module decides its folder.
    writeFileSync(appFile, "module.exports = () => ({ node: { findAll: () => [] }, synth: () => ({ directory: require('./stack').directory }) });");
    const script = `
      const fs = require('fs');
      const { synthesizeRunApp } = require(${JSON.stringify(path.join(__dirname, '..', 'local', 'jest', 'run-app.ts'))});
      (async () => {
        fs.writeFileSync(${JSON.stringify(stackFile)}, 'exports.directory = ' + JSON.stringify(${JSON.stringify(path.join(dir, 'first'))}));
        fs.mkdirSync(${JSON.stringify(path.join(dir, 'first'))});
        const first = await synthesizeRunApp(${JSON.stringify(appFile)});
        fs.writeFileSync(${JSON.stringify(stackFile)}, 'exports.directory = ' + JSON.stringify(${JSON.stringify(path.join(dir, 'second'))}));
        fs.mkdirSync(${JSON.stringify(path.join(dir, 'second'))});
        const second = await synthesizeRunApp(${JSON.stringify(appFile)});
        console.log(JSON.stringify([first, second]));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const out = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script], { encoding: 'utf-8' });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual([path.join(dir, 'first'), path.join(dir, 'second')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the global setup spawns the JVM before it builds the app, so that the two overlap', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-app-order-'));
  const saved = { ...process.env };
  try {
    // A Java that notes when it starts, then fails; an app module that notes when it is built.
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'java'), `#!/bin/sh\nnode -e "console.log(Date.now())" > ${dir}/java-started\nexit 3\n`, { mode: 0o755 });
    writeFileSync(path.join(dir, 'app.js'), `module.exports = () => {
  const started = Date.now();
  while (Date.now() - started < 1500) { /* a build that gives the event loop no turn, as aws-cdk-lib's */ }
  require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'app-built'))}, String(started));
  return { node: { findAll: () => [] }, synth: () => ({ directory: ${JSON.stringify(dir)} }) };
};`);
    process.env.JAVA_HOME = dir;
    delete process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE];
    await expect(globalSetup(undefined, { rootDir: dir, globals: { 'cdk-stream-triggered-table': { app: 'app.js' } } }))
      .rejects.toThrow('DynamoDB Local exited before it was ready (exit code 3');
    const javaStarted = Number(readFileSync(path.join(dir, 'java-started'), 'utf-8'));
    const appStarted = Number(readFileSync(path.join(dir, 'app-built'), 'utf-8'));
    // The JVM's process was running while the app was being built (it wrote its mark before the build ended).
    expect(javaStarted).toBeLessThan(appStarted + 1500);
  } finally {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
