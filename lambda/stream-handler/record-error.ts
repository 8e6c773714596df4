/**
 * The error for a record that cannot be described. It carries where in the record the problem is,
 * collected as the error travels up through nested values, so that paths are only built on failure.
 * Reasons never quote attribute values: a value could be one that redaction is meant to hide.
 */
export class RecordError extends Error {
  /** Attribute names (map keys) and indexes (list and set positions), outermost first. */
  public readonly path: Array<string | number> = [];
  /** The field of the record the path starts from, e.g. `dynamodb.NewImage`. */
  public where = '';

  constructor(public readonly reason: string) {
    super(reason);
    this.name = 'RecordError';
  }

  /** Called by each enclosing map, list or set on the way up. */
  public within(segment: string | number): this {
    this.path.unshift(segment);
    return this;
  }

  /** e.g. `dynamodb.NewImage.customer.phones[1].number: N is not a valid number` */
  public describe(): string {
    let location = this.where;
    for (const segment of this.path) {
      location += typeof segment === 'number'
        ? `[${segment}]`
        : PLAIN_NAME.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
    }
    return location ? `${location}: ${this.reason}` : this.reason;
  }
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
