/**
 * Set by the jest preset's global setup to the assembly of the app it built and synthesized once for the whole
 * jest run: `LocalRunner.start()` without `app` or `cdkOut` runs it, so the test files load no aws-cdk-lib.
 */
export const SHARED_ASSEMBLY_VARIABLE = 'CDK_STREAM_TRIGGERED_TABLE_ASSEMBLY';
