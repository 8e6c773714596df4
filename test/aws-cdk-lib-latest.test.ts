import { execFileSync, spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import * as configurations from './configurations';

// Both ends of the supported aws-cdk-lib range. The suite runs on the floor (the peer dependency's
// minimum); this file synthesizes every configuration on the newest aws-cdk-lib (installed beside it as
// aws-cdk-lib-latest), with the jsii-compiled library that ships, and its built-in CloudFormation
// validation failing on any finding, so a template that CloudFormation would refuse cannot land.

const root = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf-8'));
const floor = (pkg.peerDependencies['aws-cdk-lib'] as string).replace(/^\^/, '');
const latest = (pkg.devDependencies['aws-cdk-lib-latest'] as string).replace(/^npm:aws-cdk-lib@/, '');

interface Report {
  awsCdkLibVersion: string;
  library: string;
  constructs: string[];
  results: Record<string, { findings: string[]; error?: string }>;
}
let report: Report;

beforeAll(() => {
  // The one staleness rule of `npm test`'s compile step (scripts/stale.js exits 0 when the target is stale).
  const stale = spawnSync(process.execPath, [path.join(root, 'scripts', 'stale.js'), path.join(root, 'lib', 'index.js'), path.join(root, 'src')]);
  if (stale.status !== 1) {
    throw new Error('lib/ is missing or older than src/: run `npx projen compile` (npm test does it when needed)');
  }
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: path.join(root, 'test', 'tsconfig.json') };
  delete env.CDK_VALIDATION; // `CDK_VALIDATION=false` would turn the validation off
  const stdout = execFileSync(process.execPath, [
    '-r', path.join(__dirname, 'aws-cdk-lib-latest', 'use-latest-aws-cdk-lib.js'),
    '-r', 'ts-node/register/transpile-only',
    path.join(__dirname, 'aws-cdk-lib-latest', 'synth-configurations.ts'),
  ], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024 });
  report = JSON.parse(stdout);
}, 180_000);

test('the floor is what the suite runs on', () => {
  expect(JSON.parse(readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf-8')).version).toBe(floor);
});

test('the newest aws-cdk-lib and the compiled library are what the check loads', () => {
  expect(report.awsCdkLibVersion).toBe(latest);
  expect(latest).not.toBe(floor);
  expect(report.library).toBe(path.join(root, 'lib', 'index.js'));
});

test('both load the one constructs package', () => {
  expect(report.constructs).toEqual([require.resolve('constructs'), require.resolve('constructs')]);
});

test('the validation reports a template CloudFormation would refuse (the control)', () => {
  expect(report.results.control.findings).toEqual([expect.stringMatching(/MessageRetentionPeriod: 10 is less than the minimum of 60/)]);
  expect(report.results.control.error).toMatch(/validation-report\.json/); // the synth failed
});

test.each(Object.keys(configurations))('%s synthesizes with no finding', (name) => {
  expect(report.results[name]).toEqual({ findings: [] });
});
