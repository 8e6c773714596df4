/**
 * The JVM options of the jest run's DynamoDB Local. It lives for one test run, and serves mostly small requests:
 * the JVM's quick-start compiler alone (C1, `-XX:TieredStopAtLevel=1`) starts it with about half the CPU, which
 * the optimizing compiler's warm-up would spend on a 2-core machine while the test files wait. The optimizing
 * compiler pays off only after thousands of writes (docs/offline-runner.md has the figures); a suite that makes
 * that many sets its own options.
 */
export const JAVA_OPTIONS_VARIABLE = 'CDK_STREAM_TRIGGERED_TABLE_JAVA_OPTIONS';

export const TEST_ENGINE_JAVA_OPTIONS: readonly string[] = ['-XX:TieredStopAtLevel=1'];

/** `CDK_STREAM_TRIGGERED_TABLE_JAVA_OPTIONS` (options separated by spaces; empty for none), else the default above. */
export function testEngineJavaOptions(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const given = env[JAVA_OPTIONS_VARIABLE];
  return given === undefined ? TEST_ENGINE_JAVA_OPTIONS : given.split(/\s+/).filter(Boolean);
}
