import { JAVA_OPTIONS_VARIABLE, testEngineJavaOptions } from '../local/engine/java-options';

// The jest run's DynamoDB Local: the JVM's quick-start compiler unless the user says otherwise.
test('the default is the quick-start compiler alone', () => {
  expect(testEngineJavaOptions({})).toEqual(['-XX:TieredStopAtLevel=1']);
});

test('CDK_STREAM_TRIGGERED_TABLE_JAVA_OPTIONS replaces it: options separated by spaces, empty for none', () => {
  expect(JAVA_OPTIONS_VARIABLE).toBe('CDK_STREAM_TRIGGERED_TABLE_JAVA_OPTIONS');
  expect(testEngineJavaOptions({ [JAVA_OPTIONS_VARIABLE]: ' -Xmx512m  -XX:+UseSerialGC ' })).toEqual(['-Xmx512m', '-XX:+UseSerialGC']);
  expect(testEngineJavaOptions({ [JAVA_OPTIONS_VARIABLE]: '' })).toEqual([]);
});
