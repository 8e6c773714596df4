import { Duration, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  ChangeEventName, FailureDestination, StreamConsumerOptions, StreamFilter, StreamHandler, StreamTriggeredTable, StreamTriggeredTableProps,
} from '../src';
import { consumerError, inStack, InStack, newStack, PK, synthError } from './helpers';

const existing = (stack: any, withStream = true) => dynamodb.Table.fromTableAttributes(stack, 'Existing', {
  tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing',
  tableStreamArn: withStream ? 'arn:aws:dynamodb:eu-west-1:123456789012:table/existing/stream/x' : undefined,
});

// One test per rule; each asserts that the message names the prop and the value received.
describe('table choice', () => {
  test('neither partitionKey nor existingTable', () => {
    expect(synthError({})).toBe('either partitionKey (to create a table) or existingTable (to use one) is required, got neither');
  });

  test('existingTable together with table props names every one of them', () => {
    expect(synthError((stack) => ({ existingTable: existing(stack), partitionKey: PK, timeToLiveAttribute: 'ttl' })))
      .toMatch(/^existingTable cannot be combined with partitionKey, timeToLiveAttribute: /);
  });

  test('existingTable without a stream ARN', () => {
    expect(synthError((stack) => ({ existingTable: dynamodb.Table.fromTableName(stack, 'NoStream', 'legacy') })))
      .toBe('existingTable "legacy" has no stream ARN: enable a stream on the table and import it with '
        + 'Table.fromTableAttributes({ tableArn, tableStreamArn })');
  });

  test('timeToLiveAttribute equal to a key attribute', () => {
    expect(synthError({ partitionKey: PK, sortKey: { name: 'sk', type: dynamodb.AttributeType.NUMBER }, timeToLiveAttribute: 'sk' }))
      .toBe('timeToLiveAttribute must not be a key attribute, got "sk" (keys: "pk", "sk"); TTL reads a number attribute outside the key');
  });
});

describe('mapping ranges', () => {
  test.each([
    ['batchSize', { batchSize: 0 }, 'batchSize must be an integer between 1 and 10000, got 0'],
    ['batchSize', { batchSize: 10_001 }, 'batchSize must be an integer between 1 and 10000, got 10001'],
    ['batchSize', { batchSize: 1.5 }, 'batchSize must be an integer between 1 and 10000, got 1.5'],
    ['parallelizationFactor', { parallelizationFactor: 11 }, 'parallelizationFactor must be an integer between 1 and 10, got 11'],
    ['parallelizationFactor', { parallelizationFactor: 0 }, 'parallelizationFactor must be an integer between 1 and 10, got 0'],
    ['retryAttempts', { retryAttempts: 10_001 }, 'retryAttempts must be an integer between 0 and 10000, got 10001'],
    ['maxBatchingWindow', { maxBatchingWindow: Duration.seconds(301) }, 'maxBatchingWindow must be a whole number of seconds between 0 and 300, got 301 seconds'],
    ['maxBatchingWindow', { maxBatchingWindow: Duration.millis(1500) }, 'maxBatchingWindow must be a whole number of seconds between 0 and 300, got 1.5 seconds'],
    ['maxRecordAge', { maxRecordAge: Duration.seconds(59) }, 'maxRecordAge must be a whole number of seconds between 60 and 604800, got 59 seconds'],
    ['maxRecordAge', { maxRecordAge: Duration.days(8) }, 'maxRecordAge must be a whole number of seconds between 60 and 604800, got 691200 seconds'],
    ['tumblingWindow', { tumblingWindow: Duration.seconds(901) }, 'tumblingWindow must be a whole number of seconds between 0 and 900, got 901 seconds'],
  ])('%s out of range: %j', (_name, props, message) => {
    expect(synthError({ partitionKey: PK, ...props })).toBe(message);
  });

  test('retryAttempts -1 (infinite) is refused with the reason', () => {
    expect(synthError({ partitionKey: PK, retryAttempts: -1 })).toMatch(/^retryAttempts must be between 0 and 10000, got -1: infinite retries/);
  });

  test('startingPosition AT_TIMESTAMP', () => {
    expect(synthError({ partitionKey: PK, startingPosition: lambda.StartingPosition.AT_TIMESTAMP }))
      .toBe('startingPosition AT_TIMESTAMP is not supported for DynamoDB streams, got AT_TIMESTAMP; use TRIM_HORIZON or LATEST');
  });

  test('maxRecordAge above the 24-hour retention synthesizes with a warning that says why', () => {
    const stack = newStack();
    new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK, maxRecordAge: Duration.hours(36) });
    Annotations.fromStack(stack).hasWarning('/TestStack/Orders',
      Match.stringLikeRegexp('maxRecordAge is 1 day 12 hours, longer than the stream\'s 24-hour retention: a failing record will be trimmed'));
  });

  test('maxRecordAge of exactly 24 hours gives no warning', () => {
    const stack = newStack();
    new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK, maxRecordAge: Duration.hours(24) });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('token values are not validated', () => {
    const stack = newStack();
    expect(() => new StreamTriggeredTable(stack, 'Orders', {
      partitionKey: PK,
      batchSize: Token.asNumber({ Ref: 'BatchSize' }),
      parallelizationFactor: Token.asNumber({ Ref: 'Factor' }),
      timeToLiveAttribute: Token.asString({ Ref: 'Ttl' }),
    })).not.toThrow();
  });
});

describe('filters', () => {
  const f = (pattern: object) => StreamFilter.fromPattern(pattern as any);

  test('more than 5 filters', () => {
    const filters = Array.from({ length: 6 }, () => StreamFilter.eventName([ChangeEventName.INSERT]));
    expect(synthError({ partitionKey: PK, filters })).toBe('filters may hold at most 5 filters, got 6; combine alternatives with $or');
  });

  test('filterEncryption without filters', () => {
    expect(synthError((stack) => ({ partitionKey: PK, filterEncryption: new kms.Key(stack, 'K') })))
      .toBe('filterEncryption is set but filters is empty: there is nothing to encrypt; remove filterEncryption or add filters');
  });

  test('NewImage under a KEYS_ONLY stream', () => {
    expect(synthError({ partitionKey: PK, streamViewType: dynamodb.StreamViewType.KEYS_ONLY, filters: [f({ dynamodb: { NewImage: { s: { S: ['x'] } } } })] }))
      .toBe('filters[0]: dynamodb.NewImage reads NewImage, which a KEYS_ONLY stream never carries: it can never match');
  });

  test('NewImage under an OLD_IMAGE stream', () => {
    expect(synthError({ partitionKey: PK, streamViewType: dynamodb.StreamViewType.OLD_IMAGE, filters: [f({ dynamodb: { NewImage: { s: { S: ['x'] } } } })] }))
      .toBe('filters[0]: dynamodb.NewImage reads NewImage, which a OLD_IMAGE stream never carries: it can never match');
  });

  test('OldImage under a NEW_IMAGE stream (checked inside $or too)', () => {
    expect(synthError({
      partitionKey: PK,
      streamViewType: dynamodb.StreamViewType.NEW_IMAGE,
      filters: [StreamFilter.eventName([ChangeEventName.INSERT]), f({ $or: [{ eventName: ['REMOVE'] }, { dynamodb: { OldImage: { s: { S: ['x'] } } } }] })],
    })).toBe('filters[1]: dynamodb.OldImage reads OldImage, which a NEW_IMAGE stream never carries: it can never match');
  });

  test('OldImage under a KEYS_ONLY stream', () => {
    expect(synthError({ partitionKey: PK, streamViewType: dynamodb.StreamViewType.KEYS_ONLY, filters: [f({ dynamodb: { OldImage: { s: { S: ['x'] } } } })] }))
      .toBe('filters[0]: dynamodb.OldImage reads OldImage, which a KEYS_ONLY stream never carries: it can never match');
  });

  test('an existing table is checked against the view type the user declares', () => {
    expect(synthError((stack) => ({
      existingTable: existing(stack),
      streamViewType: dynamodb.StreamViewType.KEYS_ONLY,
      filters: [f({ dynamodb: { NewImage: { s: { S: ['x'] } } } })],
    }))).toBe('filters[0]: dynamodb.NewImage reads NewImage, which a KEYS_ONLY stream never carries: it can never match');
  });

  test('numeric on a DynamoDB N value', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ dynamodb: { NewImage: { qty: { N: [{ numeric: ['>', 5] }] } } } })] }))
      .toMatch(/^filters\[0\]: dynamodb\.NewImage\.qty\.N uses numeric on a DynamoDB number, which is carried as a string in stream records: it can never match/);
  });

  test('an attribute without its type key', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ dynamodb: { NewImage: { status: ['SHIPPED'] } } })] }))
      .toBe('filters[0]: dynamodb.NewImage.status leaves out the DynamoDB type key and can never match; write {"status": {"S": ["SHIPPED"]}} (or the type the attribute has)');
  });

  test('exists on a non-leaf (an attribute)', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ dynamodb: { NewImage: { email: [{ exists: true }] } } })] }))
      .toMatch(/^filters\[0\]: dynamodb\.NewImage\.email uses exists on a value that is not a leaf \(it is an object in stream records\): it can never match; /);
  });

  test('exists: false on a non-leaf (userIdentity) would match every record', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ userIdentity: [{ exists: false }] })] }))
      .toMatch(/^filters\[0\]: userIdentity uses exists on a value that is not a leaf \(it is an object in stream records\): it matches every record; /);
  });

  test('an unknown type key', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ dynamodb: { Keys: { pk: { STRING: ['a'] } } } })] }))
      .toMatch(/^filters\[0\]: dynamodb\.Keys\.pk\.STRING is not a DynamoDB type key/);
  });

  test('an empty pattern', () => {
    expect(synthError({ partitionKey: PK, filters: [f({})] })).toBe('filters[0] must be a non-empty pattern object, got {}');
  });

  test('malformed: a bare value instead of an array', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ eventName: 'INSERT' })] }))
      .toBe('filters[0]: eventName must be an array of values or a nested object, got "INSERT"; write {"eventName":["INSERT"]}');
  });

  test('malformed: an empty array', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ eventName: [] })] })).toBe('filters[0]: eventName is an empty array, which matches nothing');
  });

  test('malformed: an unknown operator', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ eventName: [{ wildcard: 'IN*' }] })] }))
      .toBe('filters[0]: eventName holds the operator object {"wildcard":"IN*"}; supported operators are prefix, suffix, equals-ignore-case, anything-but, numeric, exists, one per object');
  });

  test('malformed: a numeric rule with a bad shape', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ dynamodb: { SizeBytes: [{ numeric: ['>>', 5] }] } })] }))
      .toMatch(/^filters\[0\]: dynamodb\.SizeBytes uses numeric with \[">>",5\]/);
  });

  test('malformed: a field no stream record has', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ detail: { status: ['x'] } })] }))
      .toMatch(/^filters\[0\]: detail names no field of a DynamoDB stream record/);
  });

  test('malformed: a $or with one alternative', () => {
    expect(synthError({ partitionKey: PK, filters: [f({ $or: [{ eventName: ['INSERT'] }] })] }))
      .toBe('filters[0]: $or must be an array of at least two pattern objects, got [{"eventName":["INSERT"]}]');
  });

  test('a pattern longer than 4,096 characters', () => {
    const values = Array.from({ length: 500 }, (_, i) => `value-${i}`);
    expect(synthError({ partitionKey: PK, filters: [f({ eventName: values })] }))
      .toMatch(/^filters\[0\] is \d+ characters long once serialized; a filter pattern may be at most 4096$/);
  });

  test('numeric on a real number field is accepted', () => {
    const stack = newStack();
    expect(() => new StreamTriggeredTable(stack, 'Orders', {
      partitionKey: PK, filters: [f({ dynamodb: { SizeBytes: [{ numeric: ['>', 100, '<=', 4000] }] } })],
    })).not.toThrow();
  });
});

describe('failure destination and handler options', () => {
  test('a FIFO queue', () => {
    expect(synthError((stack) => ({
      partitionKey: PK, failureDestination: FailureDestination.queue(new sqs.Queue(stack, 'Q', { fifo: true, queueName: 'failed.fifo' })),
    }))).toBe('failureDestination must be a standard SQS queue, got the FIFO queue TestStack/Q');
  });

  test('a FIFO topic', () => {
    expect(synthError((stack) => ({
      partitionKey: PK, failureDestination: FailureDestination.topic(new sns.Topic(stack, 'T', { fifo: true, topicName: 'failed' })),
    }))).toMatch(/^failureDestination must be a standard SNS topic, got the FIFO topic /);
  });

  test('a new bucket expiring in under a day', () => {
    expect(() => FailureDestination.newBucket({ expiration: Duration.hours(12) }))
      .toThrow('failureDestination expiration must be at least 1 day, got 12 hours');
  });

  test('bundled handler memory out of range', () => {
    expect(() => StreamHandler.bundled({ memorySize: 64 })).toThrow('handler memorySize must be an integer between 128 and 10240 MiB, got 64');
  });

  test('bundled handler timeout above 15 minutes', () => {
    expect(() => StreamHandler.bundled({ timeout: Duration.minutes(16) })).toThrow('handler timeout must be between 1 second and 15 minutes, got 16 minutes');
  });

  test('bundled handler redaction entry that is not a name or path', () => {
    expect(() => StreamHandler.bundled({ redactAttributes: ['a..b'] }))
      .toThrow('handler redactAttributes entries must be attribute names or dotted paths, got "a..b"');
  });

  test('failure-destination alarm without mapping metrics', () => {
    expect(synthError({ partitionKey: PK, mappingMetrics: false, droppedRecordsAlarm: { enabled: false } }))
      .toBe('failureDestinationAlarm reads the mapping\'s event-count metrics, but mappingMetrics is false; '
        + 'set mappingMetrics: true or failureDestinationAlarm: { enabled: false }');
  });

  test('dropped-records alarm without mapping metrics', () => {
    expect(synthError({ partitionKey: PK, mappingMetrics: false, failureDestinationAlarm: { enabled: false } }))
      .toBe('droppedRecordsAlarm reads the mapping\'s event-count metrics, but mappingMetrics is false; '
        + 'set mappingMetrics: true or droppedRecordsAlarm: { enabled: false }');
  });

  test.each([
    [{ evaluationPeriods: 0 }, 'errorsAlarm.evaluationPeriods must be a positive integer, got 0'],
    [{ evaluationPeriods: 2, datapointsToAlarm: 3 }, 'errorsAlarm.datapointsToAlarm must not exceed evaluationPeriods (2), got 3'],
    [{ threshold: -1 }, 'errorsAlarm.threshold must be a finite number >= 0, got -1'],
    [{ period: Duration.seconds(90) }, 'errorsAlarm.period must be a whole number of minutes (Lambda publishes metrics every minute), got 90 seconds'],
  ])('alarm options %j', (errorsAlarm, message) => {
    expect(synthError({ partitionKey: PK, errorsAlarm })).toBe(message);
  });

  test('StreamFilter.allOf with two conditions on the same attribute', () => {
    expect(() => StreamFilter.allOf([StreamFilter.eventName([ChangeEventName.INSERT]), StreamFilter.eventName([ChangeEventName.MODIFY])]))
      .toThrow('StreamFilter.allOf cannot combine two conditions on eventName: combine them in one AttributeCondition, or use separate filters (which OR together)');
  });
});

describe('an added consumer: the same rules and messages, naming the consumer', () => {
  const f = (pattern: object) => StreamFilter.fromPattern(pattern as any);
  const onStream = (streamViewType: dynamodb.StreamViewType): StreamTriggeredTableProps => ({ partitionKey: PK, streamViewType });
  const newImage = [f({ dynamodb: { NewImage: { s: { S: ['x'] } } } })];

  // One row per rule: the consumer's options, and the table's props when the rule reads the stream's view type.
  const rules: Array<[string, InStack<StreamConsumerOptions>, InStack<StreamTriggeredTableProps>?]> = [
    ['startingPosition AT_TIMESTAMP', { startingPosition: lambda.StartingPosition.AT_TIMESTAMP }],
    ['batchSize below 1', { batchSize: 0 }],
    ['batchSize above 10000', { batchSize: 10_001 }],
    ['batchSize not an integer', { batchSize: 1.5 }],
    ['parallelizationFactor above 10', { parallelizationFactor: 11 }],
    ['parallelizationFactor below 1', { parallelizationFactor: 0 }],
    ['retryAttempts -1 (infinite)', { retryAttempts: -1 }],
    ['retryAttempts above 10000', { retryAttempts: 10_001 }],
    ['maxBatchingWindow above 300 seconds', { maxBatchingWindow: Duration.seconds(301) }],
    ['maxBatchingWindow not whole seconds', { maxBatchingWindow: Duration.millis(1500) }],
    ['maxRecordAge below 60 seconds', { maxRecordAge: Duration.seconds(59) }],
    ['maxRecordAge above 7 days', { maxRecordAge: Duration.days(8) }],
    ['tumblingWindow above 900 seconds', { tumblingWindow: Duration.seconds(901) }],
    ['more than 5 filters', { filters: Array.from({ length: 6 }, () => StreamFilter.eventName([ChangeEventName.INSERT])) }],
    ['filterEncryption without filters', (stack) => ({ filterEncryption: new kms.Key(stack, 'K') })],
    ['NewImage under the table\'s KEYS_ONLY stream', { filters: newImage }, onStream(dynamodb.StreamViewType.KEYS_ONLY)],
    ['NewImage under the table\'s OLD_IMAGE stream', { filters: newImage }, onStream(dynamodb.StreamViewType.OLD_IMAGE)],
    ['OldImage under the table\'s NEW_IMAGE stream, inside $or', {
      filters: [f({ $or: [{ eventName: ['REMOVE'] }, { dynamodb: { OldImage: { s: { S: ['x'] } } } }] })],
    }, onStream(dynamodb.StreamViewType.NEW_IMAGE)],
    ['OldImage under the table\'s KEYS_ONLY stream', {
      filters: [f({ dynamodb: { OldImage: { s: { S: ['x'] } } } })],
    }, onStream(dynamodb.StreamViewType.KEYS_ONLY)],
    ['the view type declared for an existing table', { filters: newImage },
      (stack) => ({ existingTable: existing(stack), streamViewType: dynamodb.StreamViewType.KEYS_ONLY })],
    ['numeric on a DynamoDB N value', { filters: [f({ dynamodb: { NewImage: { qty: { N: [{ numeric: ['>', 5] }] } } } })] }],
    ['an attribute without its type key', { filters: [f({ dynamodb: { NewImage: { status: ['SHIPPED'] } } })] }],
    ['exists on a non-leaf (an attribute)', { filters: [f({ dynamodb: { NewImage: { email: [{ exists: true }] } } })] }],
    ['exists: false on a non-leaf (userIdentity)', { filters: [f({ userIdentity: [{ exists: false }] })] }],
    ['an unknown type key', { filters: [f({ dynamodb: { Keys: { pk: { STRING: ['a'] } } } })] }],
    ['an empty pattern', { filters: [f({})] }],
    ['a bare value instead of an array', { filters: [f({ eventName: 'INSERT' })] }],
    ['an empty array', { filters: [f({ eventName: [] })] }],
    ['an unknown operator', { filters: [f({ eventName: [{ wildcard: 'IN*' }] })] }],
    ['a numeric rule with a bad shape', { filters: [f({ dynamodb: { SizeBytes: [{ numeric: ['>>', 5] }] } })] }],
    ['a field no stream record has', { filters: [f({ detail: { status: ['x'] } })] }],
    ['a $or with one alternative', { filters: [f({ $or: [{ eventName: ['INSERT'] }] })] }],
    ['a pattern longer than 4,096 characters', { filters: [f({ eventName: Array.from({ length: 500 }, (_, i) => `value-${i}`) })] }],
    ['failure-destination alarm without mapping metrics', { mappingMetrics: false, droppedRecordsAlarm: { enabled: false } }],
    ['dropped-records alarm without mapping metrics', { mappingMetrics: false, failureDestinationAlarm: { enabled: false } }],
    ['alarm evaluationPeriods below 1', { errorsAlarm: { evaluationPeriods: 0 } }],
    ['alarm datapointsToAlarm above evaluationPeriods', { throttlesAlarm: { evaluationPeriods: 2, datapointsToAlarm: 3 } }],
    ['alarm threshold below 0', { iteratorAgeAlarm: { threshold: -1 } }],
    ['alarm period not whole minutes', { droppedRecordsAlarm: { period: Duration.seconds(90) } }],
  ];

  test.each(rules)('%s', (_rule, options, tableProps = { partitionKey: PK }) => {
    // The table's own message for the same values, asserted word for word by the tests above.
    const tableMessage = synthError((stack) => ({ ...inStack(tableProps, stack), ...inStack(options, stack) }));
    expect(consumerError(options, tableProps)).toBe(`consumer Projection: ${tableMessage}`);
  });

  test('the message names the consumer first, then the option and the value', () => {
    expect(consumerError({ batchSize: 0 })).toBe('consumer Projection: batchSize must be an integer between 1 and 10000, got 0');
  });

  test('maxRecordAge above the 24-hour retention warns on the consumer, naming it', () => {
    const stack = newStack();
    new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK }).addConsumer('Projection', { maxRecordAge: Duration.hours(36) });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/TestStack/Orders/Projection', Match.stringLikeRegexp(
      '^consumer Projection: maxRecordAge is 1 day 12 hours, longer than the stream\'s 24-hour retention: a failing record will be trimmed'));
    annotations.hasNoWarning('/TestStack/Orders', Match.anyValue());
  });

  test('a function without a known role warns on the consumer, naming it', () => {
    // An existing table: aws-cdk-lib refuses to grant a new TableV2's stream to a function without a role.
    const stack = newStack();
    new StreamTriggeredTable(stack, 'Orders', { existingTable: existing(stack) }).addConsumer('Projection', {
      handler: StreamHandler.fromFunction(lambda.Function.fromFunctionArn(stack, 'Imported',
        'arn:aws:lambda:eu-west-1:123456789012:function:projector')),
    });
    Annotations.fromStack(stack).hasWarning('/TestStack/Orders/Projection',
      Match.stringLikeRegexp('^consumer Projection: handler is a function whose role CDK does not know \\(an imported function\\)'));
  });

  test('token values are not validated', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    expect(() => orders.addConsumer('Projection', {
      batchSize: Token.asNumber({ Ref: 'BatchSize' }), parallelizationFactor: Token.asNumber({ Ref: 'Factor' }),
    })).not.toThrow();
  });

  // Factories refuse their input when called, before any table or consumer sees it: the message is the same for both.
  test('a FIFO queue as a consumer\'s destination', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    expect(() => orders.addConsumer('Projection', {
      failureDestination: FailureDestination.queue(new sqs.Queue(stack, 'Q', { fifo: true, queueName: 'failed.fifo' })),
    })).toThrow('failureDestination must be a standard SQS queue, got the FIFO queue TestStack/Q');
  });
});
