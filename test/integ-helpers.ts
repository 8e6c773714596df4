// What the integration tests (test/integ.*.ts) share. Not a test itself: integ-runner runs only integ.*.ts.
import { ExpectedResult, IApiCall, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The code of a function that reports every record whose new image has `poison: true` as failed, every time. */
export function rejectPoisonCode(): lambda.Code {
  return lambda.Code.fromInline([
    'exports.handler = async (event) => ({',
    '  batchItemFailures: event.Records.filter((r) => r.dynamodb.NewImage?.poison?.BOOL === true)',
    '    .map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })),',
    '});',
  ].join('\n'));
}

/** Waits for `alarm` to be in ALARM (the failure-destination alarm, once the poison record was sent there). */
export function expectInAlarm(integ: IntegTest, alarm: cloudwatch.IAlarm): IApiCall {
  return integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNames: [alarm.alarmName] })
    .expect(ExpectedResult.objectLike({ MetricAlarms: [Match.objectLike({ StateValue: 'ALARM' })] }))
    .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) });
}
