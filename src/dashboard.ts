import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { IStreamConsumer } from './stream-consumer';

/** Namespace and name of the change log's records-per-event-name metric (one metric filter per bundled handler). */
export const CHANGE_LOG_METRIC_NAMESPACE = 'StreamTriggeredTable';
export const CHANGE_LOG_METRIC_NAME = 'ChangeLogRecords';
const EVENT_NAMES = ['INSERT', 'MODIFY', 'REMOVE'];

/** The consumer's function, alarms and metrics that the dashboard draws. */
export type DashboardConsumer = Pick<IStreamConsumer, 'handlerFunction' | 'alarms' | 'iteratorAgeAlarm' | 'metricIteratorAge'
| 'metricErrors' | 'metricThrottles' | 'metricPolledEvents' | 'metricFilteredOutEvents' | 'metricFailureDestinationDelivered'
| 'metricDroppedEvents'>;

/** How the dashboard draws one consumer of a stream. */
export interface ConsumerDashboardLayout {
  /** Heading of the consumer's rows (its construct path). */
  readonly title: string;
  /** The mapping's maxRecordAge, drawn on the iterator age graph; undefined when it is a token. */
  readonly maxRecordAge?: Duration;
  /** The mapping's event counts exist only with `mappingMetrics`. */
  readonly mappingMetricsEnabled: boolean;
  /** The bundled handler's change log per event name (its metric filter exists). */
  readonly changeLog: boolean;
}

/**
 * The metric filter that counts change lines per event name on a bundled handler's log group. Its
 * dimensions come from the line itself: the function name (so two consumers never add up) and the event name.
 */
export function createChangeLogMetricFilter(scope: Construct, logGroup: logs.ILogGroup): logs.MetricFilter {
  return new logs.MetricFilter(scope, 'ChangeLogMetricFilter', {
    logGroup,
    filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'change'),
    metricNamespace: CHANGE_LOG_METRIC_NAMESPACE,
    metricName: CHANGE_LOG_METRIC_NAME,
    metricValue: '1',
    unit: cloudwatch.Unit.COUNT,
    dimensions: { FunctionName: '$.function_name', EventName: '$.eventName' },
  });
}

/** The change log's records of one event name, as the metric filter publishes them. */
export function changeLogRecordsMetric(handlerFunction: lambda.IFunction, eventName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: CHANGE_LOG_METRIC_NAMESPACE,
    metricName: CHANGE_LOG_METRIC_NAME,
    dimensionsMap: { FunctionName: handlerFunction.functionName, EventName: eventName },
    statistic: cloudwatch.Stats.SUM,
    label: eventName,
  });
}

/**
 * Adds one consumer's rows: a heading; lag (iterator age against maxRecordAge), invocations with errors and
 * throttles, duration p99; the mapping's event counts and the change log per event name; the alarms' state.
 */
export function addConsumerWidgets(dashboard: cloudwatch.Dashboard, source: DashboardConsumer, layout: ConsumerDashboardLayout): void {
  const fn = source.handlerFunction;
  const lagAnnotations: cloudwatch.HorizontalAnnotation[] = [];
  if (layout.maxRecordAge) {
    lagAnnotations.push({
      value: layout.maxRecordAge.toMilliseconds(),
      label: `maxRecordAge (${layout.maxRecordAge.toHumanString()}): older records go to the failure destination`,
      color: cloudwatch.Color.RED,
    });
  }
  if (source.iteratorAgeAlarm) {
    lagAnnotations.push(source.iteratorAgeAlarm.toAnnotation());
  }

  dashboard.addWidgets(new cloudwatch.TextWidget({
    markdown: `### ${layout.title}\nStream health: lag must stay well under maxRecordAge; records sent to the failure `
      + 'destination or dropped need a replay (see the README).',
    width: 24,
    height: 2,
  }));
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Iterator age (ms, maximum)',
      left: [source.metricIteratorAge({ label: 'IteratorAge' })],
      leftAnnotations: lagAnnotations,
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Invocations, errors, throttles',
      left: [fn.metricInvocations({ label: 'Invocations' })],
      right: [source.metricErrors({ label: 'Errors' }), source.metricThrottles({ label: 'Throttles' })],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Duration p99 (ms)',
      left: [fn.metricDuration({ statistic: cloudwatch.Stats.p(99), label: 'Duration p99' })],
      width: 8,
    }),
  );
  dashboard.addWidgets(
    layout.mappingMetricsEnabled
      ? new cloudwatch.GraphWidget({
        title: 'Event source mapping: records',
        left: [
          source.metricPolledEvents({ label: 'Polled' }),
          source.metricFilteredOutEvents({ label: 'Filtered out' }),
        ],
        right: [
          source.metricFailureDestinationDelivered({ label: 'Sent to the failure destination' }),
          source.metricDroppedEvents({ label: 'Dropped' }),
        ],
        width: 12,
      })
      : new cloudwatch.TextWidget({
        markdown: 'The mapping\'s event counts are off (`mappingMetrics: false`).',
        width: 12,
        height: 6,
      }),
    layout.changeLog
      ? new cloudwatch.GraphWidget({
        title: 'Change log: records per event name',
        left: EVENT_NAMES.map((eventName) => changeLogRecordsMetric(fn, eventName)),
        stacked: true,
        width: 12,
      })
      : new cloudwatch.TextWidget({
        markdown: 'No change log: this consumer runs its own function.',
        width: 12,
        height: 6,
      }),
  );
  if (source.alarms.length > 0) {
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({
      title: 'Alarms',
      alarms: source.alarms,
      width: 24,
      height: 3,
    }));
  }
}
