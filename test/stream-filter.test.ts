import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { AttributeCondition, AttributeValueType, ChangeEventName, StreamFilter, StreamTriggeredTable } from '../src';
import { newStack, PK } from './helpers';

// Each typed helper produces the pattern AWS documents, with the DynamoDB type key in the path.
describe('AttributeCondition fragments', () => {
  test.each([
    [AttributeCondition.stringEquals(['A', 'B']), { S: ['A', 'B'] }],
    [AttributeCondition.stringPrefix('ord-'), { S: [{ prefix: 'ord-' }] }],
    [AttributeCondition.stringSuffix('.pdf'), { S: [{ suffix: '.pdf' }] }],
    [AttributeCondition.stringEqualsIgnoreCase('shipped'), { S: [{ 'equals-ignore-case': 'shipped' }] }],
    [AttributeCondition.stringAnythingBut(['DRAFT']), { S: [{ 'anything-but': ['DRAFT'] }] }],
    [AttributeCondition.stringAnythingButPrefix('tmp#'), { S: [{ 'anything-but': { prefix: 'tmp#' } }] }],
    [AttributeCondition.numberEquals(['42', '7.5']), { N: ['42', '7.5'] }],
    [AttributeCondition.booleanEquals(true), { BOOL: [true] }],
    [AttributeCondition.exists(AttributeValueType.STRING), { S: [{ exists: true }] }],
    [AttributeCondition.notExists(AttributeValueType.MAP), { M: [{ exists: false }] }],
    [AttributeCondition.isNull(), { NULL: [true] }],
  ])('%# %j', (condition, fragment) => {
    expect(condition.toFragment()).toEqual(fragment);
  });
});

describe('StreamFilter patterns', () => {
  test('eventName, newImage, oldImage, key', () => {
    expect(StreamFilter.eventName([ChangeEventName.INSERT, ChangeEventName.REMOVE]).toPattern()).toEqual({ eventName: ['INSERT', 'REMOVE'] });
    expect(StreamFilter.newImage('status', AttributeCondition.stringEquals(['SHIPPED'])).toPattern())
      .toEqual({ dynamodb: { NewImage: { status: { S: ['SHIPPED'] } } } });
    expect(StreamFilter.oldImage('status', AttributeCondition.stringEquals(['PENDING'])).toPattern())
      .toEqual({ dynamodb: { OldImage: { status: { S: ['PENDING'] } } } });
    expect(StreamFilter.key('pk', AttributeCondition.stringPrefix('ORDER#')).toPattern())
      .toEqual({ dynamodb: { Keys: { pk: { S: [{ prefix: 'ORDER#' }] } } } });
  });

  test('TTL deletes and everything but TTL deletes', () => {
    expect(StreamFilter.ttlDeletes().toPattern()).toEqual({
      eventName: ['REMOVE'], userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
    });
    expect(StreamFilter.excludeTtlDeletes().toPattern()).toEqual({
      $or: [{ eventName: ['INSERT', 'MODIFY'] }, { eventName: ['REMOVE'], userIdentity: { type: [{ exists: false }] } }],
    });
  });

  test('allOf and and() merge paths deeply (AND)', () => {
    const merged = StreamFilter.allOf([
      StreamFilter.eventName([ChangeEventName.MODIFY]),
      StreamFilter.newImage('status', AttributeCondition.stringEquals(['SHIPPED'])),
      StreamFilter.oldImage('status', AttributeCondition.stringAnythingBut(['SHIPPED'])),
    ]);
    expect(merged.toPattern()).toEqual({
      eventName: ['MODIFY'],
      dynamodb: { NewImage: { status: { S: ['SHIPPED'] } }, OldImage: { status: { S: [{ 'anything-but': ['SHIPPED'] }] } } },
    });
    expect(StreamFilter.eventName([ChangeEventName.MODIFY]).and(StreamFilter.key('pk', AttributeCondition.stringEquals(['a']))).toPattern())
      .toEqual({ eventName: ['MODIFY'], dynamodb: { Keys: { pk: { S: ['a'] } } } });
  });

  test('toPattern returns a copy: changing it does not change the filter', () => {
    const filter = StreamFilter.eventName([ChangeEventName.INSERT]);
    filter.toPattern().eventName.push('MODIFY');
    expect(filter.toPattern()).toEqual({ eventName: ['INSERT'] });
  });

  test('every typed helper passes the synth-time checks on a NEW_AND_OLD_IMAGES table', () => {
    const conditions = [
      AttributeCondition.stringEquals(['A']), AttributeCondition.stringPrefix('p'), AttributeCondition.stringSuffix('s'),
      AttributeCondition.stringEqualsIgnoreCase('x'), AttributeCondition.stringAnythingBut(['y']), AttributeCondition.stringAnythingButPrefix('z'), AttributeCondition.numberEquals(['1']),
      AttributeCondition.booleanEquals(false), AttributeCondition.exists(AttributeValueType.NUMBER),
      AttributeCondition.notExists(AttributeValueType.STRING), AttributeCondition.isNull(),
    ];
    for (const condition of conditions) {
      const stack = newStack();
      expect(() => new StreamTriggeredTable(stack, 'T', {
        partitionKey: PK,
        streamViewType: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        filters: [
          StreamFilter.newImage('a', condition), StreamFilter.oldImage('a', condition), StreamFilter.key('pk', condition),
          StreamFilter.ttlDeletes(), StreamFilter.excludeTtlDeletes(),
        ],
      })).not.toThrow();
    }
  });

  test('nested map attributes need their type keys too', () => {
    const stack = newStack();
    expect(() => new StreamTriggeredTable(stack, 'T', {
      partitionKey: PK, filters: [StreamFilter.fromPattern({ dynamodb: { NewImage: { address: { M: { city: { S: ['Paris'] } } } } } })],
    })).not.toThrow();
    expect(() => new StreamTriggeredTable(newStack(), 'T', {
      partitionKey: PK, filters: [StreamFilter.fromPattern({ dynamodb: { NewImage: { address: { M: { city: ['Paris'] } } } } })],
    })).toThrow('filters[0]: dynamodb.NewImage.address.M.city leaves out the DynamoDB type key and can never match');
  });
});
