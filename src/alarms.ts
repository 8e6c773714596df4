import { Duration } from 'aws-cdk-lib';

/**
 * Settings of one alarm. Each alarm is on by default; every field can be overridden.
 */
export interface AlarmOptions {
  /**
   * Whether the alarm is created.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The threshold, in the metric's unit (milliseconds for the iterator age, a count otherwise).
   * The alarm fires when the metric is greater than or equal to it.
   *
   * @default - per alarm, see the README
   */
  readonly threshold?: number;

  /**
   * The period over which the metric is aggregated.
   *
   * @default - per alarm, see the README
   */
  readonly period?: Duration;

  /**
   * Number of periods evaluated.
   *
   * @default - per alarm, see the README
   */
  readonly evaluationPeriods?: number;

  /**
   * Number of breaching periods (out of `evaluationPeriods`) that fire the alarm.
   *
   * @default - equal to `evaluationPeriods`
   */
  readonly datapointsToAlarm?: number;

  /**
   * Description of the alarm.
   *
   * @default - explains what the alarm means and what to do
   */
  readonly description?: string;
}
