import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { AlarmOptions } from './alarms';

/** Default shape of one alarm. */
export interface AlarmDefaults {
  readonly threshold: number;
  readonly period: Duration;
  readonly evaluationPeriods: number;
  readonly description: string;
}

/**
 * Creates one alarm from its defaults and the user's overrides, or nothing when it is disabled.
 *
 * @param label how messages name the alarm's prop (`errorsAlarm`, or `consumer Projection: errorsAlarm`)
 */
export function createAlarm(
  scope: Construct,
  id: string,
  label: string,
  metric: cloudwatch.IMetric,
  defaults: AlarmDefaults,
  options: AlarmOptions | undefined,
  actions: cloudwatch.IAlarmAction[],
): cloudwatch.Alarm | undefined {
  if (options?.enabled === false) return undefined;
  const evaluationPeriods = options?.evaluationPeriods ?? defaults.evaluationPeriods;
  const datapointsToAlarm = options?.datapointsToAlarm ?? evaluationPeriods;
  const threshold = options?.threshold ?? defaults.threshold;
  checkPositiveInt(`${label}.evaluationPeriods`, evaluationPeriods);
  checkPositiveInt(`${label}.datapointsToAlarm`, datapointsToAlarm);
  if (!Token.isUnresolved(datapointsToAlarm) && !Token.isUnresolved(evaluationPeriods) && datapointsToAlarm > evaluationPeriods) {
    throw new Error(`${label}.datapointsToAlarm must not exceed evaluationPeriods (${evaluationPeriods}), got ${datapointsToAlarm}`);
  }
  if (!Token.isUnresolved(threshold) && (!Number.isFinite(threshold) || threshold < 0)) {
    throw new Error(`${label}.threshold must be a finite number >= 0, got ${threshold}`);
  }
  const period = options?.period ?? defaults.period;
  if (!period.isUnresolved()) {
    const s = period.toSeconds({ integral: false });
    if (s < 60 || s % 60 !== 0) {
      throw new Error(`${label}.period must be a whole number of minutes (Lambda publishes metrics every minute), got ${s} seconds`);
    }
  }
  const withPeriod = (metric as cloudwatch.Metric | cloudwatch.MathExpression).with({ period });
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric: withPeriod,
    threshold,
    evaluationPeriods,
    datapointsToAlarm,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // No data means nothing flowed (no records, no errors): that is healthy for every alarm here.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: options?.description ?? defaults.description,
  });
  if (actions.length > 0) alarm.addAlarmAction(...actions);
  return alarm;
}

function checkPositiveInt(name: string, value: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${value}`);
  }
}
