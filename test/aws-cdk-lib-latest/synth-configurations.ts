// Synthesizes every configuration of test/configurations.ts (and one template CloudFormation would refuse,
// the control) in one process on the newest aws-cdk-lib, and prints one JSON report: what `aws-cdk-lib`
// resolved to, where the library and `constructs` were loaded from, and each configuration's findings.
// Started by aws-cdk-lib-latest.test.ts with use-latest-aws-cdk-lib.js preloaded, which makes every
// `aws-cdk-lib` import (the configurations', the library's) this one.
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib-latest';
import * as cxapi from 'aws-cdk-lib-latest/cx-api';
import * as configurations from '../configurations';

/** A queue whose retention is below CloudFormation's minimum (60 s): proves the validation reports findings. */
function control(stack: Stack): void {
  new CfnResource(stack, 'TooShortRetention', { type: 'AWS::SQS::Queue', properties: { MessageRetentionPeriod: 10 } });
}

// The configurations are typed against the floor's Stack; at run time their `aws-cdk-lib` is this one.
const builds = { ...configurations, control } as unknown as Record<string, (stack: Stack) => unknown>;
const outdirs = mkdtempSync(path.join(tmpdir(), 'stt-latest-cdk-'));
const results: Record<string, { findings: string[]; error?: string }> = {};
try {
  for (const [name, build] of Object.entries(builds)) {
    const outdir = path.join(outdirs, name);
    const app = new App({
      outdir,
      // On by default in the newest aws-cdk-lib; stated, so that the check never depends on the default.
      builtinCloudFormationValidation: true,
      context: {
        // The app a new user gets from `cdk init` on this aws-cdk-lib: its recommended feature flags, which
        // include reporting the validator's errors as errors (not the default downgrade to warnings) ...
        ...cxapi.CURRENTLY_RECOMMENDED_FLAGS,
        [cxapi.VALIDATE_AGAINST_DEFAULT_RULES]: true,
        // ... and the synth fails on warnings too (construct-library strict mode).
        [cxapi.STRICT_CFN_VALIDATE_ERRORS]: true,
      },
    });
    build(new Stack(app, 'Latest', { env: { account: '123456789012', region: 'eu-west-1' } }));
    let error: string | undefined;
    try {
      app.synth();
    } catch (e) {
      error = (e as Error).message;
    }
    // The report that synth writes into the assembly lists every finding, whatever its severity;
    // an acknowledged one counts too (the library must not hide a finding from its users).
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf-8'));
    const findings: string[] = [];
    for (const plugin of report.pluginReports) {
      for (const v of [...plugin.violations, ...plugin.suppressedViolations ?? []]) {
        const where = v.violatingConstructs.map((c: { constructPath: string }) => c.constructPath).join(', ');
        findings.push(`${plugin.pluginName} ${v.ruleName} (${v.severity}) at ${where}: ${v.description}`);
      }
    }
    results[name] = { findings, error };
  }
} finally {
  rmSync(outdirs, { recursive: true, force: true });
}

process.stdout.write(JSON.stringify({
  // What `aws-cdk-lib` resolves to, for the configurations and the library alike.
  awsCdkLibVersion: JSON.parse(readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf-8')).version,
  library: require.resolve('../../src'),
  // The `constructs` that the newest aws-cdk-lib and the library each load: one copy, so one construct tree.
  constructs: [require.resolve('aws-cdk-lib'), require.resolve('../../src')]
    .map((from) => require.resolve('constructs', { paths: [path.dirname(from)] })),
  results,
}));
