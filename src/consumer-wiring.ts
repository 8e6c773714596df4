import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AlarmDefaults, createAlarm } from './alarm-factory';
import { AlarmOptions } from './alarms';
import { FailureDestination } from './failure-destination';
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
}

/** The options that configure one alarm each. */
type AlarmProp = 'iteratorAgeAlarm' | 'errorsAlarm' | 'throttlesAlarm' | 'failureDestinationAlarm' | 'droppedRecordsAlarm';

/** Mapping defaults (explained on the options and in the README). */
const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_RETRY_ATTEMPTS = 10;
const DEFAULT_MAX_RECORD_AGE = Duration.hours(6);

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

  private readonly mappingMetricsEnabled: boolean;

  /**
   * @param scope where the resources are created, under the ids `Handler`, `EventSourceMapping`, `FailureBucket`, ...
   * @param prefix starts every error and warning about these options: '' for the table's props,
   *   `consumer <id>: ` for an added consumer
   */
  constructor(private readonly scope: Construct, stream: ConsumedStream, options: StreamConsumerOptions,
    private readonly prefix: string) {
    validateConsumerOptions(scope, options, stream.viewType, prefix);
    const removalPolicy = stream.removalPolicy;

    const handler = (options.handler ?? StreamHandler.bundled()).bind(scope, { removalPolicy });
    this.handlerFunction = handler.handlerFunction;
    this.logGroup = handler.logGroup;
    if (!this.handlerFunction.role) {
      Annotations.of(scope).addWarningV2('cdk-stream-triggered-table:handlerWithoutRole',
        `${prefix}handler is a function whose role CDK does not know (an imported function): grant it read access to the `
        + 'stream and write access to the failure destination yourself');
    }

    const failure = (options.failureDestination ?? FailureDestination.newBucket()).bind(scope, { removalPolicy });
    this.failureBucket = failure.createdBucket;

    // Stream read on this stream only (ListStreams cannot be scoped; see the README).
    stream.table.grantStreamRead(this.handlerFunction);

    this.mappingMetricsEnabled = options.mappingMetrics ?? true;
    this.eventSourceMapping = new lambda.EventSourceMapping(scope, 'EventSourceMapping', {
      target: this.handlerFunction,
      eventSourceArn: stream.streamArn,
      startingPosition: options.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      maxBatchingWindow: options.maxBatchingWindow,
      parallelizationFactor: options.parallelizationFactor,
      retryAttempts: options.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
      maxRecordAge: options.maxRecordAge ?? DEFAULT_MAX_RECORD_AGE,
      bisectBatchOnError: options.bisectBatchOnError ?? true,
      reportBatchItemFailures: options.reportBatchItemFailures ?? true,
      tumblingWindow: options.tumblingWindow,
      filters: options.filters?.map((f) => lambda.FilterCriteria.filter(f.toPattern())),
      filterEncryption: options.filterEncryption,
      enabled: options.enabled ?? true,
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
