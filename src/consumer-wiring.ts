import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AlarmDefaults, createAlarm } from './alarm-factory';
import { AlarmOptions } from './alarms';
import { addConsumerWidgets, createChangeLogMetricFilter } from './dashboard';
import { MAPPING_DEFAULTS } from './defaults';
import { FailureDestination, FailureDestinationConfig } from './failure-destination';
import { createChangeLogQueries } from './log-queries';
import type { IStreamConsumer } from './stream-consumer';
import { StreamConsumerOptions } from './stream-consumer-options';
import { StreamHandler } from './stream-handler';
import { validateConsumerOptions } from './validation';

/** What every consumer needs to know about the stream it reads; the table that owns the stream gives it. */
export interface ConsumedStream {
  /** The table whose stream is read (stream read is granted on it, with decrypt for a customer managed key). */
  readonly table: dynamodb.ITable;
  /** ARN of the stream. */
  readonly streamArn: string;
  /** The stream's view type, to check what filters read; undefined when not known (an undeclared existing table). */
  readonly viewType?: dynamodb.StreamViewType;
  /** Removal policy of what a consumer creates that holds data (its log group and failure bucket). */
  readonly removalPolicy: RemovalPolicy;
  /** Name of the table's partition key, when known (a new table): the saved item-history query filters on it. */
  readonly partitionKeyName?: string;
}

/** The options that configure one alarm each. */
type AlarmProp = 'iteratorAgeAlarm' | 'errorsAlarm' | 'throttlesAlarm' | 'failureDestinationAlarm' | 'droppedRecordsAlarm';

/** Mapping defaults (explained on the options and in the README). */

/**
 * One consumer of a stream, wired in a scope: its handler and the handler's stream read, its failure
 * destination, its event source mapping, its alarms and metrics. The table wires its first consumer in
 * itself (so those construct ids never move) and each added consumer in its own StreamConsumer.
 */
export class ConsumerWiring {
  public readonly handlerFunction: lambda.IFunction;
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  public readonly failureBucket?: s3.Bucket;
  public readonly logGroup?: logs.ILogGroup;
  public readonly alarms: cloudwatch.Alarm[];
  public readonly iteratorAgeAlarm?: cloudwatch.Alarm;
  public readonly errorsAlarm?: cloudwatch.Alarm;
  public readonly throttlesAlarm?: cloudwatch.Alarm;
  public readonly failureDestinationAlarm?: cloudwatch.Alarm;
  public readonly droppedRecordsAlarm?: cloudwatch.Alarm;
  public readonly logQueries: logs.QueryDefinition[];

  private readonly mappingMetricsEnabled: boolean;
  private readonly maxRecordAge: Duration;
  private readonly failureDestination: FailureDestination;
  private readonly boundFailureDestination: FailureDestinationConfig;
  private changeLogMetricFilterCreated?: logs.MetricFilter;

  /**
   * @param scope where the resources are created, under the ids `Handler`, `EventSourceMapping`, `FailureBucket`, ...
   * @param prefix starts every error and warning about these options: '' for the table's props,
   *   `consumer <id>: ` for an added consumer
   */
  constructor(private readonly scope: Construct, private readonly stream: ConsumedStream, options: StreamConsumerOptions,
    private readonly prefix: string) {
    validateConsumerOptions(scope, options, stream.viewType, prefix);
    const removalPolicy = stream.removalPolicy;

    const handler = (options.handler ?? StreamHandler.bundled()).bind(scope, { removalPolicy });
    this.handlerFunction = handler.handlerFunction;
    this.logGroup = handler.logGroup;
    if (options.createLogQueries === true && !this.logGroup) {
      throw new Error(`${prefix}createLogQueries is true, but the saved queries read the bundled handler's change log `
        + 'and this handler is your own function (StreamHandler.fromFunction); leave createLogQueries unset or false');
    }
    // Saved queries cost nothing: on by default wherever there is a change log.
    this.logQueries = this.logGroup && (options.createLogQueries ?? true)
      ? createChangeLogQueries(scope, this.logGroup, stream.partitionKeyName)
      : [];
    if (!this.handlerFunction.role) {
      Annotations.of(scope).addWarningV2('cdk-stream-triggered-table:handlerWithoutRole',
        `${prefix}handler is a function whose role CDK does not know (an imported function): grant it read access to the `
        + 'stream and write access to the failure destination yourself');
    }

    this.failureDestination = options.failureDestination ?? FailureDestination.newBucket();
    const failure = this.failureDestination.bind(scope, { removalPolicy });
    this.boundFailureDestination = failure;
    this.failureBucket = failure.createdBucket;

    // Stream read on this stream only (ListStreams cannot be scoped; see the README).
    stream.table.grantStreamRead(this.handlerFunction);

    this.mappingMetricsEnabled = options.mappingMetrics ?? MAPPING_DEFAULTS.mappingMetrics;
    this.maxRecordAge = options.maxRecordAge ?? MAPPING_DEFAULTS.maxRecordAge;
    this.eventSourceMapping = new lambda.EventSourceMapping(scope, 'EventSourceMapping', {
      target: this.handlerFunction,
      eventSourceArn: stream.streamArn,
      startingPosition: options.startingPosition ?? MAPPING_DEFAULTS.startingPosition,
      batchSize: options.batchSize ?? MAPPING_DEFAULTS.batchSize,
      maxBatchingWindow: options.maxBatchingWindow,
      parallelizationFactor: options.parallelizationFactor,
      retryAttempts: options.retryAttempts ?? MAPPING_DEFAULTS.retryAttempts,
      maxRecordAge: this.maxRecordAge,
      bisectBatchOnError: options.bisectBatchOnError ?? MAPPING_DEFAULTS.bisectBatchOnError,
      reportBatchItemFailures: options.reportBatchItemFailures ?? MAPPING_DEFAULTS.reportBatchItemFailures,
      tumblingWindow: options.tumblingWindow,
      filters: options.filters?.map((f) => lambda.FilterCriteria.filter(f.toPattern())),
      filterEncryption: options.filterEncryption,
      enabled: options.enabled ?? MAPPING_DEFAULTS.enabled,
      onFailure: failure.onFailure,
      metricsConfig: this.mappingMetricsEnabled ? { metrics: [lambda.MetricType.EVENT_COUNT] } : undefined,
    });
    // The mapping must not be created before its role can read the stream and write the destination.
    if (this.handlerFunction.role) {
      this.eventSourceMapping.node.addDependency(this.handlerFunction.role);
    }

    this.iteratorAgeAlarm = this.alarm(options, 'iteratorAgeAlarm', this.metricIteratorAge(), {
      threshold: Duration.minutes(5).toMilliseconds(),
      period: Duration.minutes(1),
      evaluationPeriods: 5,
      description: 'Stream processing lags: the newest record of the last batch was older than the threshold '
        + 'for every period. Records older than maxRecordAge go to the failure destination unprocessed.',
    });
    this.errorsAlarm = this.alarm(options, 'errorsAlarm', this.metricErrors(), {
      threshold: 1,
      period: Duration.minutes(5),
      evaluationPeriods: 1,
      description: 'The stream handler failed (threw, timed out or ran out of memory). Its shard is retried and '
        + 'blocked until the batch succeeds or its retries run out.',
    });
    this.throttlesAlarm = this.alarm(options, 'throttlesAlarm', this.metricThrottles(), {
      threshold: 1,
      period: Duration.minutes(5),
      evaluationPeriods: 3,
      description: 'The stream handler was throttled for 15 minutes: processing falls behind. Check concurrency limits.',
    });
    this.failureDestinationAlarm = this.alarm(options, 'failureDestinationAlarm', this.metricFailureDestinationDelivered(), {
      threshold: 1,
      period: Duration.minutes(5),
      evaluationPeriods: 1,
      description: 'Records reached the failure destination (retries or age ran out). Recover them as the README explains.',
    }, true);
    this.droppedRecordsAlarm = this.alarm(options, 'droppedRecordsAlarm', this.metricDroppedOrLost(), {
      threshold: 1,
      period: Duration.minutes(5),
      evaluationPeriods: 1,
      description: 'Records were dropped by the mapping or could not be delivered to the failure destination: '
        + 'they are lost unless read back from the stream within 24 hours.',
    }, true);

    this.alarms = [this.iteratorAgeAlarm, this.errorsAlarm, this.throttlesAlarm, this.failureDestinationAlarm,
      this.droppedRecordsAlarm].filter((a): a is cloudwatch.Alarm => a !== undefined);
  }

  /**
   * The least the replay command needs: invoke the function, list and mark the failed batches in the
   * destination, and read the stream when the destination holds only the range (a queue or topic).
   */
  public grantReplay(grantee: iam.IGrantable): void {
    if (this.failureDestination._grantReplay(grantee, this.boundFailureDestination) === 'stream') {
      this.stream.table.grantStreamRead(grantee);
    } else if (!this.boundFailureDestination.onFailure) {
      throw new Error(`${this.prefix}grantReplay: the failure destination is FailureDestination.none(), so there is nothing to replay`);
    }
    // The mapping invokes the unqualified function, and so does the replay: no versions or aliases (`:*`).
    iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.handlerFunction.functionArn] });
  }

  /** The metric filter counting change lines per event name, once a dashboard shows this consumer. */
  public get changeLogMetricFilter(): logs.MetricFilter | undefined {
    return this.changeLogMetricFilterCreated;
  }

  /**
   * Adds this consumer's rows to a dashboard. The change log's records per event name need a metric filter
   * on the log group: it is created here, once, as the metric it publishes is billed as a custom metric.
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    if (this.logGroup && !this.changeLogMetricFilterCreated) {
      this.changeLogMetricFilterCreated = createChangeLogMetricFilter(this.scope, this.logGroup);
    }
    addConsumerWidgets(dashboard, this, {
      title: this.scope.node.path,
      maxRecordAge: this.maxRecordAge.isUnresolved() ? undefined : this.maxRecordAge,
      mappingMetricsEnabled: this.mappingMetricsEnabled,
      changeLog: this.logGroup !== undefined,
    });
  }

  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.handlerFunction.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.handlerFunction.metricErrors(props);
  }

  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.handlerFunction.metricThrottles(props);
  }

  public metricDestinationDeliveryFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.handlerFunction.metric('DestinationDeliveryFailures', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  public metricFailureDestinationDelivered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.mappingMetric('OnFailureDestinationDeliveredEventCount', props);
  }

  public metricDroppedEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.mappingMetric('DroppedEventCount', props);
  }

  public metricFilteredOutEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.mappingMetric('FilteredOutEventCount', props);
  }

  public metricPolledEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.mappingMetric('PolledEventCount', props);
  }

  public metricDroppedOrLost(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'FILL(dropped, 0) + FILL(undelivered, 0)',
      usingMetrics: {
        dropped: this.metricDroppedEvents(),
        undelivered: this.metricDestinationDeliveryFailures(),
      },
      label: 'Records dropped or lost',
      period: Duration.minutes(5),
      ...props,
    });
  }

  private mappingMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: { EventSourceMappingUUID: this.eventSourceMapping.eventSourceMappingId },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  /**
   * One alarm, named after its option (`errorsAlarm` -> construct id `ErrorsAlarm`), unless `createAlarms` or
   * its own `enabled` turns it off. Alarms on the mapping's event counts need `mappingMetrics`.
   */
  private alarm(options: StreamConsumerOptions, propName: AlarmProp, metric: cloudwatch.IMetric, defaults: AlarmDefaults,
    readsMappingMetrics = false): cloudwatch.Alarm | undefined {
    const alarmOptions: AlarmOptions | undefined = (options.createAlarms ?? true) ? options[propName] : { enabled: false };
    if (readsMappingMetrics && alarmOptions?.enabled !== false && !this.mappingMetricsEnabled) {
      throw new Error(`${this.prefix}${propName} reads the mapping's event-count metrics, but mappingMetrics is false; `
        + `set mappingMetrics: true or ${propName}: { enabled: false }`);
    }
    const id = propName.charAt(0).toUpperCase() + propName.slice(1);
    return createAlarm(this.scope, id, this.prefix + propName, metric, defaults, alarmOptions, options.alarmActions ?? []);
  }
}

/**
 * The members a consumer construct (StreamTriggeredTable for its first consumer, StreamConsumer) exposes of
 * its wiring, declared once. Not exported from the library: jsii copies them into both classes.
 *
 * @internal
 */
export abstract class WiredConsumer extends Construct implements IStreamConsumer {
  /** @internal */
  protected abstract readonly _wiring: ConsumerWiring;

  /** The function the mapping invokes. */
  public get handlerFunction(): lambda.IFunction {
    return this._wiring.handlerFunction;
  }

  /** The event source mapping from the stream to the function. */
  public get eventSourceMapping(): lambda.EventSourceMapping {
    return this._wiring.eventSourceMapping;
  }

  /** The bucket created to keep failed records, when the failure destination is a new bucket. */
  public get failureBucket(): s3.Bucket | undefined {
    return this._wiring.failureBucket;
  }

  /** The log group of the bundled handler (undefined for a bring-your-own function). */
  public get logGroup(): logs.ILogGroup | undefined {
    return this._wiring.logGroup;
  }

  /** Every alarm created. */
  public get alarms(): cloudwatch.Alarm[] {
    return this._wiring.alarms;
  }

  /** Lag alarm (maximum IteratorAge). */
  public get iteratorAgeAlarm(): cloudwatch.Alarm | undefined {
    return this._wiring.iteratorAgeAlarm;
  }

  /** Function errors alarm. */
  public get errorsAlarm(): cloudwatch.Alarm | undefined {
    return this._wiring.errorsAlarm;
  }

  /** Function throttles alarm. */
  public get throttlesAlarm(): cloudwatch.Alarm | undefined {
    return this._wiring.throttlesAlarm;
  }

  /** Records-sent-to-the-failure-destination alarm. */
  public get failureDestinationAlarm(): cloudwatch.Alarm | undefined {
    return this._wiring.failureDestinationAlarm;
  }

  /** Dropped-or-lost records alarm. */
  public get droppedRecordsAlarm(): cloudwatch.Alarm | undefined {
    return this._wiring.droppedRecordsAlarm;
  }

  /** Saved Logs Insights queries on the change log (empty for your own function or `createLogQueries: false`). */
  public get logQueries(): logs.QueryDefinition[] {
    return this._wiring.logQueries;
  }

  /** The metric filter counting change lines per event name: created when a dashboard first shows this consumer. */
  public get changeLogMetricFilter(): logs.MetricFilter | undefined {
    return this._wiring.changeLogMetricFilter;
  }

  /**
   * Adds this consumer's rows (lag, invocations, errors, throttles, duration, mapping event counts, change log
   * per event name, alarms) to a dashboard.
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    this._wiring.addToDashboard(dashboard);
  }

  /**
   * Grants the least the replay command (`cdk-stream-triggered-table replay`) needs.
   *
   * It may invoke the function; list the failure bucket, read and delete the objects under `aws/lambda/` and copy them to
   * `replayed/aws/lambda/` (with the bucket's key); or, for a queue, receive and delete its messages and read
   * the stream back. Refused when the failure destination is `FailureDestination.none()`.
   */
  public grantReplay(grantee: iam.IGrantable): void {
    this._wiring.grantReplay(grantee);
  }

  /** Age of the last record of each batch when it was sent (ms); Maximum by default. */
  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this._wiring.metricIteratorAge(props);
  }

  /** Function errors (sum). */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this._wiring.metricErrors(props);
  }

  /** Function throttles (sum). */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this._wiring.metricThrottles(props);
  }

  /** Invocations failed to reach the failure destination (sum of DestinationDeliveryFailures). */
  public metricDestinationDeliveryFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this._wiring.metricDestinationDeliveryFailures(props);
  }

  /** Records delivered to the failure destination (needs `mappingMetrics`). */
  public metricFailureDestinationDelivered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this._wiring.metricFailureDestinationDelivered(props);
  }

  /** Records dropped by the mapping (needs `mappingMetrics`). */
  public metricDroppedEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this._wiring.metricDroppedEvents(props);
  }

  /** Records dropped out by filters (needs `mappingMetrics`). */
  public metricFilteredOutEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this._wiring.metricFilteredOutEvents(props);
  }

  /** Records polled from the stream (needs `mappingMetrics`). */
  public metricPolledEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this._wiring.metricPolledEvents(props);
  }

  /** Records dropped by the mapping plus failed deliveries to the failure destination. */
  public metricDroppedOrLost(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this._wiring.metricDroppedOrLost(props);
  }
}
