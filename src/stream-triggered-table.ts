import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ConsumedStream, ConsumerWiring, WiredConsumer } from './consumer-wiring';
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
export class StreamTriggeredTable extends WiredConsumer implements IStreamConsumer {
  /** The table (created, or the existing one). */
  public readonly table: dynamodb.ITable;

  /** ARN of the table's stream. */
  public readonly tableStreamArn: string;

  /** The stream's dashboard, with `dashboard: true`. */
  public readonly dashboard?: cloudwatch.Dashboard;

  /**
   * What a consumer needs to know about this table's stream.
   *
   * @internal
   */
  public readonly _stream: ConsumedStream;

  /** @internal */
  protected readonly _wiring: ConsumerWiring;
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
    this._wiring = new ConsumerWiring(this, this._stream, props, '');

    if (props.dashboard) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        defaultInterval: Duration.hours(3),
      });
      this._wiring.addToDashboard(this.dashboard);
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

  /**
   * Adds the rows of the table's own consumer (lag, invocations, errors, throttles, duration, mapping event
   * counts, change log per event name, alarms) to a dashboard. Consumers added with `addConsumer` have
   * their own `addToDashboard`.
   */
  public addToDashboard(dashboard: cloudwatch.Dashboard): void {
    super.addToDashboard(dashboard);
  }

  /**
   * Grants the least the replay command (`cdk-stream-triggered-table replay`) needs.
   *
   * It may invoke the function; list the failure bucket, read and delete the objects under `aws/lambda/` and copy them to
   * `replayed/aws/lambda/` (with the bucket's key); or, for a queue, receive and delete its messages and read
   * the stream back. For the table's own consumer (added consumers have their own). Refused when the failure destination is `FailureDestination.none()`.
   */
  public grantReplay(grantee: iam.IGrantable): void {
    super.grantReplay(grantee);
  }
}
