import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ConsumedStream, ConsumerWiring } from './consumer-wiring';
import { TABLE_DEFAULTS } from './defaults';
import { IStreamConsumer, StreamConsumer } from './stream-consumer';
import { StreamConsumerOptions } from './stream-consumer-options';
import { countStreamReadersAtSynth } from './stream-readers';
import { StreamTriggeredTableProps } from './stream-triggered-table-props';
import { validateTableProps } from './validation';


/**
 * A DynamoDB table whose every item change runs code: the table and its stream, a Lambda event
 * source mapping with bounded retries and bisection, the bundled change-log handler (or your
 * function), a failure destination that keeps the records, alarms and least-privilege IAM.
 *
 * The props' handler is the stream's first consumer, and the table exposes its resources directly;
 * `addConsumer` adds more, each wired the same way in its own StreamConsumer.
 */
export class StreamTriggeredTable extends Construct implements IStreamConsumer {
  /** The table (created, or the existing one). */
  public readonly table: dynamodb.ITable;

  /** ARN of the table's stream. */
  public readonly tableStreamArn: string;

  /** The function the mapping invokes. */
  public readonly handlerFunction: lambda.IFunction;

  /** The event source mapping from the stream to the function. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;

  /** The bucket created to keep failed records, when the failure destination is a new bucket. */
  public readonly failureBucket?: s3.Bucket;

  /** The log group of the bundled handler (undefined for a bring-your-own function). */
  public readonly logGroup?: logs.ILogGroup;

  /** Every alarm created. */
  public readonly alarms: cloudwatch.Alarm[];

  /** Lag alarm (maximum IteratorAge). */
  public readonly iteratorAgeAlarm?: cloudwatch.Alarm;

  /** Function errors alarm. */
  public readonly errorsAlarm?: cloudwatch.Alarm;

  /** Function throttles alarm. */
  public readonly throttlesAlarm?: cloudwatch.Alarm;

  /** Records-sent-to-the-failure-destination alarm. */
  public readonly failureDestinationAlarm?: cloudwatch.Alarm;

  /** Dropped-or-lost records alarm. */
  public readonly droppedRecordsAlarm?: cloudwatch.Alarm;

  /** Saved Logs Insights queries on the change log (empty for your own function or `createLogQueries: false`). */
  public readonly logQueries: logs.QueryDefinition[];

  /** The stream's dashboard, with `dashboard: true`. */
  public readonly dashboard?: cloudwatch.Dashboard;

  /**
   * What a consumer needs to know about this table's stream.
   *
   * @internal
   */
  public readonly _stream: ConsumedStream;

  private readonly firstConsumer: ConsumerWiring;
  private readonly addedConsumers: StreamConsumer[] = [];

  constructor(scope: Construct, id: string, props: StreamTriggeredTableProps) {
    super(scope, id);
    validateTableProps(props);
    const removalPolicy = props.removalPolicy ?? TABLE_DEFAULTS.removalPolicy;

    this.table = props.existingTable ?? new dynamodb.TableV2(this, 'Table', {
      partitionKey: props.partitionKey!,
      sortKey: props.sortKey,
      tableName: props.tableName,
      billing: props.billing ?? dynamodb.Billing.onDemand(),
      encryption: props.encryption ?? dynamodb.TableEncryptionV2.dynamoOwnedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? TABLE_DEFAULTS.pointInTimeRecovery },
      deletionProtection: props.deletionProtection ?? TABLE_DEFAULTS.deletionProtection,
      removalPolicy,
      timeToLiveAttribute: props.timeToLiveAttribute,
      dynamoStream: props.streamViewType ?? TABLE_DEFAULTS.streamViewType,
    });
    this.tableStreamArn = this.table.tableStreamArn!;
    this._stream = {
      table: this.table,
      streamArn: this.tableStreamArn,
      // For an existing table the view type is known only when the user declares it.
      viewType: props.existingTable ? props.streamViewType : (props.streamViewType ?? TABLE_DEFAULTS.streamViewType),
      removalPolicy,
      partitionKeyName: props.existingTable ? undefined : props.partitionKey?.name,
    };

    // The first consumer lives directly in the table, under the ids it has always had.
    this.firstConsumer = new ConsumerWiring(this, this._stream, props, '');
    this.handlerFunction = this.firstConsumer.handlerFunction;
    this.eventSourceMapping = this.firstConsumer.eventSourceMapping;
    this.failureBucket = this.firstConsumer.failureBucket;
    this.logGroup = this.firstConsumer.logGroup;
    this.alarms = this.firstConsumer.alarms;
    this.iteratorAgeAlarm = this.firstConsumer.iteratorAgeAlarm;
    this.errorsAlarm = this.firstConsumer.errorsAlarm;
    this.throttlesAlarm = this.firstConsumer.throttlesAlarm;
    this.failureDestinationAlarm = this.firstConsumer.failureDestinationAlarm;
    this.droppedRecordsAlarm = this.firstConsumer.droppedRecordsAlarm;
    this.logQueries = this.firstConsumer.logQueries;

    if (props.dashboard) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        defaultInterval: Duration.hours(3),
      });
      this.firstConsumer.addToDashboard(this.dashboard);
    }

    // Counted at synth, when mappings wired by hand elsewhere in the app exist too.
    countStreamReadersAtSynth(this, this.tableStreamArn);
  }

  /**
   * The consumers added with `addConsumer`, in order (the first consumer is the table itself).
   */
  public get consumers(): StreamConsumer[] {
    return [...this.addedConsumers];
  }

  /**
   * Adds a consumer of this table's stream: its own function (the bundled change log by default, or
   * `StreamHandler.fromFunction`), mapping, failure destination and alarms, with the same defaults and
   * checks as the table's props. Its resources go under `<table>/<id>/`. Synth warns when more than two
   * mappings read the stream.
   *
   * @param id construct id of the consumer, also how error messages name it (`consumer <id>: ...`)
   * @param options how the consumer runs; every option defaults as on the table's props
   */
  public addConsumer(id: string, options: StreamConsumerOptions = {}): StreamConsumer {
    return new StreamConsumer(this, id, { ...options, table: this });
  }

  /**
   * Records a consumer of this table's stream (StreamConsumer calls it).
   *
   * @internal
   */
  public _registerConsumer(consumer: StreamConsumer): void {
    this.addedConsumers.push(consumer);
  }

  /** The metric filter counting change lines per event name: created when a dashboard first shows this consumer. */
  public get changeLogMetricFilter(): logs.MetricFilter | undefined {
    return this.firstConsumer.changeLogMetricFilter;
  }

  /**
   * Adds the rows of the table's own consumer (lag, invocations, errors, throttles, duration, mapping event
   * counts, change log per event name, alarms) to a dashboard. Consumers added with `addConsumer` have
   * their own `addToDashboard`.
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    this.firstConsumer.addToDashboard(dashboard);
  }

  /**
   * Grants the least the replay command (`cdk-stream-triggered-table replay`) needs.
   *
   * It may invoke the function; list the failure bucket, read and delete the objects under `aws/lambda/` and copy them to
   * `replayed/aws/lambda/` (with the bucket's key); or, for a queue, receive and delete its messages and read
   * the stream back. For the table's own consumer (added consumers have their own). Refused when the failure destination is `FailureDestination.none()`.
   */
  public grantReplay(grantee: iam.IGrantable): void {
    this.firstConsumer.grantReplay(grantee);
  }

  /** Age of the last record of each batch when it was sent (ms); Maximum by default. */
  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.firstConsumer.metricIteratorAge(props);
  }

  /** Function errors (sum). */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.firstConsumer.metricErrors(props);
  }

  /** Function throttles (sum). */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.firstConsumer.metricThrottles(props);
  }

  /** Invocations failed to reach the failure destination (sum of DestinationDeliveryFailures). */
  public metricDestinationDeliveryFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.firstConsumer.metricDestinationDeliveryFailures(props);
  }

  /** Records delivered to the failure destination (needs `mappingMetrics`). */
  public metricFailureDestinationDelivered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.firstConsumer.metricFailureDestinationDelivered(props);
  }

  /** Records dropped by the mapping (needs `mappingMetrics`). */
  public metricDroppedEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.firstConsumer.metricDroppedEvents(props);
  }

  /** Records dropped out by filters (needs `mappingMetrics`). */
  public metricFilteredOutEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.firstConsumer.metricFilteredOutEvents(props);
  }

  /** Records polled from the stream (needs `mappingMetrics`). */
  public metricPolledEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.firstConsumer.metricPolledEvents(props);
  }

  /** Records dropped by the mapping plus failed deliveries to the failure destination. */
  public metricDroppedOrLost(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.firstConsumer.metricDroppedOrLost(props);
  }
}
