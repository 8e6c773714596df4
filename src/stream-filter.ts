import { isPlainObject } from './shared/is-plain-object';

/**
 * The kind of change a stream record describes.
 */
export enum ChangeEventName {
  /** A new item was written. */
  INSERT = 'INSERT',
  /** An existing item was changed. */
  MODIFY = 'MODIFY',
  /** An item was deleted (by a user or by TTL). */
  REMOVE = 'REMOVE',
}

/**
 * DynamoDB attribute value types, as they appear in stream records (the "type key").
 */
export enum AttributeValueType {
  /** String. */
  STRING = 'S',
  /** Number (carried as a string). */
  NUMBER = 'N',
  /** Binary (base64). */
  BINARY = 'B',
  /** Boolean. */
  BOOLEAN = 'BOOL',
  /** Null. */
  NULL = 'NULL',
  /** Map. */
  MAP = 'M',
  /** List. */
  LIST = 'L',
  /** String set. */
  STRING_SET = 'SS',
  /** Number set. */
  NUMBER_SET = 'NS',
  /** Binary set. */
  BINARY_SET = 'BS',
}

/**
 * A condition on one attribute of a stream record's keys or images. Each condition names the
 * DynamoDB type key, without which a filter silently matches nothing.
 */
export abstract class AttributeCondition {
  /** The string attribute equals one of the values. */
  public static stringEquals(values: string[]): AttributeCondition {
    return new Condition({ S: [...values] });
  }

  /** The string attribute starts with the prefix. */
  public static stringPrefix(prefix: string): AttributeCondition {
    return new Condition({ S: [{ prefix }] });
  }

  /** The string attribute ends with the suffix. */
  public static stringSuffix(suffix: string): AttributeCondition {
    return new Condition({ S: [{ suffix }] });
  }

  /** The string attribute equals the value, ignoring case. */
  public static stringEqualsIgnoreCase(value: string): AttributeCondition {
    return new Condition({ S: [{ 'equals-ignore-case': value }] });
  }

  /** The string attribute is present and equals none of the values. */
  public static stringAnythingBut(values: string[]): AttributeCondition {
    return new Condition({ S: [{ 'anything-but': [...values] }] });
  }

  /** The string attribute is present and does not start with the prefix. */
  public static stringAnythingButPrefix(prefix: string): AttributeCondition {
    return new Condition({ S: [{ 'anything-but': { prefix } }] });
  }

  /**
   * The number attribute equals one of the values, compared as the exact strings DynamoDB
   * stores (`"42"`, not `"42.0"`). Range comparisons are impossible on stream records: DynamoDB
   * numbers are strings, and a `numeric` rule never matches them.
   */
  public static numberEquals(values: string[]): AttributeCondition {
    return new Condition({ N: [...values] });
  }

  /** The boolean attribute has the value. */
  public static booleanEquals(value: boolean): AttributeCondition {
    return new Condition({ BOOL: [value] });
  }

  /** The attribute is present with the given type. */
  public static exists(type: AttributeValueType): AttributeCondition {
    return new Condition({ [type]: [{ exists: true }] });
  }

  /** The attribute has no value of the given type (it is absent, or has another type). */
  public static notExists(type: AttributeValueType): AttributeCondition {
    return new Condition({ [type]: [{ exists: false }] });
  }

  /** The attribute is present and is a DynamoDB NULL. */
  public static isNull(): AttributeCondition {
    return new Condition({ NULL: [true] });
  }

  /** The pattern fragment placed under the attribute name. */
  public abstract toFragment(): any;
}

class Condition extends AttributeCondition {
  constructor(private readonly fragment: Record<string, unknown>) {
    super();
  }

  public toFragment(): any {
    return JSON.parse(JSON.stringify(this.fragment));
  }
}

/**
 * A filter on the event source mapping: records that do not match are dropped (never delivered,
 * never retried) and the mapping moves past them. A StreamTriggeredTable accepts up to 5 filters;
 * a record is delivered when it matches any of them.
 */
export abstract class StreamFilter {
  /** The record's `eventName` is one of the given names. */
  public static eventName(names: ChangeEventName[]): StreamFilter {
    return new PatternFilter({ eventName: [...names] });
  }

  /** A condition on an attribute of the new image (needs NEW_IMAGE or NEW_AND_OLD_IMAGES). */
  public static newImage(attribute: string, condition: AttributeCondition): StreamFilter {
    return new PatternFilter({ dynamodb: { NewImage: { [attribute]: condition.toFragment() } } });
  }

  /** A condition on an attribute of the old image (needs OLD_IMAGE or NEW_AND_OLD_IMAGES). */
  public static oldImage(attribute: string, condition: AttributeCondition): StreamFilter {
    return new PatternFilter({ dynamodb: { OldImage: { [attribute]: condition.toFragment() } } });
  }

  /** A condition on a key attribute (available under every view type). */
  public static key(attribute: string, condition: AttributeCondition): StreamFilter {
    return new PatternFilter({ dynamodb: { Keys: { [attribute]: condition.toFragment() } } });
  }

  /** Only deletes made by TTL expiry. */
  public static ttlDeletes(): StreamFilter {
    return new PatternFilter({
      eventName: [ChangeEventName.REMOVE],
      userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
    });
  }

  /** Every change except deletes made by TTL expiry. */
  public static excludeTtlDeletes(): StreamFilter {
    return new PatternFilter({
      $or: [
        { eventName: [ChangeEventName.INSERT, ChangeEventName.MODIFY] },
        { eventName: [ChangeEventName.REMOVE], userIdentity: { type: [{ exists: false }] } },
      ],
    });
  }

  /** A record matches when it matches every one of the filters. */
  public static allOf(filters: StreamFilter[]): StreamFilter {
    if (filters.length === 0) {
      throw new Error('StreamFilter.allOf needs at least one filter, got an empty list');
    }
    return new PatternFilter(filters.map((f) => f.toPattern()).reduce((a, b) => mergePatterns(a, b, '')));
  }

  /**
   * A raw EventBridge-style pattern on the whole record (the escape hatch). It is checked at synth
   * time against the rules DynamoDB stream filters follow.
   */
  public static fromPattern(pattern: { [key: string]: any }): StreamFilter {
    return new PatternFilter(pattern);
  }

  /** A record matches when it matches this filter and the other one. */
  public and(other: StreamFilter): StreamFilter {
    return StreamFilter.allOf([this, other]);
  }

  /** The filter pattern as an object. */
  public abstract toPattern(): { [key: string]: any };
}

class PatternFilter extends StreamFilter {
  constructor(private readonly pattern: { [key: string]: any }) {
    super();
  }

  public toPattern(): { [key: string]: any } {
    return JSON.parse(JSON.stringify(this.pattern));
  }
}

/** Deep-merges two patterns (AND). The same leaf in both would OR, which is not what AND means. */
function mergePatterns(a: any, b: any, path: string): any {
  const out: Record<string, any> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const here = path ? `${path}.${key}` : key;
    if (!(key in out)) {
      out[key] = value;
    } else if (isPlainObject(out[key]) && isPlainObject(value)) {
      out[key] = mergePatterns(out[key], value, here);
    } else {
      throw new Error(`StreamFilter.allOf cannot combine two conditions on ${here}: `
        + 'combine them in one AttributeCondition, or use separate filters (which OR together)');
    }
  }
  return out;
}
