import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { ConsumerWiring, WiredConsumer } from './consumer-wiring';
import { StreamConsumerOptions } from './stream-consumer-options';
import type { StreamTriggeredTable } from './stream-triggered-table';

/**
 * One consumer of a table's stream: its function, event source mapping, failure destination and alarms.
 * A StreamTriggeredTable is its own first consumer; `addConsumer` returns the others.
 */
export interface IStreamConsumer extends IConstruct {
  /** The function the mapping invokes. */
  readonly handlerFunction: lambda.IFunction;

  /** The event source mapping from the stream to the function. */
  readonly eventSourceMapping: lambda.EventSourceMapping;

  /** The bucket created to keep failed records, when the failure destination is a new bucket. */
  readonly failureBucket?: s3.Bucket;

  /** The log group of the bundled handler (undefined for a bring-your-own function). */
  readonly logGroup?: logs.ILogGroup;

  /** Every alarm created. */
  readonly alarms: cloudwatch.Alarm[];

  /** Lag alarm (maximum IteratorAge). */
  readonly iteratorAgeAlarm?: cloudwatch.Alarm;

  /** Function errors alarm. */
  readonly errorsAlarm?: cloudwatch.Alarm;

  /** Function throttles alarm. */
  readonly throttlesAlarm?: cloudwatch.Alarm;

  /** Records-sent-to-the-failure-destination alarm. */
  readonly failureDestinationAlarm?: cloudwatch.Alarm;

  /** Dropped-or-lost records alarm. */
  readonly droppedRecordsAlarm?: cloudwatch.Alarm;

  /** Saved Logs Insights queries on the change log (empty for your own function or `createLogQueries: false`). */
  readonly logQueries: logs.QueryDefinition[];

  /** The metric filter counting change lines per event name: created when a dashboard first shows this consumer. */
  readonly changeLogMetricFilter?: logs.MetricFilter;

  /**
   * Adds this consumer's rows (lag, invocations, errors, throttles, duration, mapping event counts, change log
   * per event name, alarms) to a dashboard.
   */
  addToDashboard(dashboard: cloudwatch.Dashboard): void;

  /**
   * Grants the least the replay command (`cdk-stream-triggered-table replay`) needs.
   *
   * It may invoke the function; list the failure bucket, read and delete the objects under `aws/lambda/` and copy them to
   * `replayed/aws/lambda/` (with the bucket's key); or, for a queue, receive and delete its messages and read
   * the stream back. Refused when the failure destination is `FailureDestination.none()`.
   */
  grantReplay(grantee: iam.IGrantable): void;

  /** Age of the last record of each batch when it was sent (ms); Maximum by default. */
  metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Function errors (sum). */
  metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Function throttles (sum). */
  metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Invocations failed to reach the failure destination (sum of DestinationDeliveryFailures). */
  metricDestinationDeliveryFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Records delivered to the failure destination (needs `mappingMetrics`). */
  metricFailureDestinationDelivered(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Records dropped by the mapping (needs `mappingMetrics`). */
  metricDroppedEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Records dropped out by filters (needs `mappingMetrics`). */
  metricFilteredOutEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Records polled from the stream (needs `mappingMetrics`). */
  metricPolledEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Records dropped by the mapping plus failed deliveries to the failure destination. */
  metricDroppedOrLost(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression;
}

/**
 * Props of a StreamConsumer: the table whose stream it reads, and how it runs.
 */
export interface StreamConsumerProps extends StreamConsumerOptions {
  /** The table whose stream the consumer reads. */
  readonly table: StreamTriggeredTable;
}

/**
 * A further consumer of a StreamTriggeredTable's stream, with the same wiring, defaults, checks and alarms
 * as the table's first consumer: its own function (or yours), mapping, failure destination and alarms, and
 * a role that reads this stream only. Its log group and failure bucket follow the table's removal policy.
 * Create it with `table.addConsumer(id, options)`.
 */
export class StreamConsumer extends WiredConsumer implements IStreamConsumer {
  /** The table whose stream this consumer reads. */
  public readonly table: StreamTriggeredTable;

  /** @internal */
  protected readonly _wiring: ConsumerWiring;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    this.table = props.table;
    // Messages name the consumer, so that an error is traced to the right one of several.
    this._wiring = new ConsumerWiring(this, props.table._stream, props, `consumer ${id}: `);
    props.table._registerConsumer(this);
    // The table's page shows every consumer of its stream.
    if (props.table.dashboard) {
      this.addToDashboard(props.table.dashboard);
    }
  }
}
