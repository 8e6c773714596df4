/**
 * DynamoDB stream sequence numbers are decimal strings of 21 to 40 digits: they order as integers,
 * never as strings ("9" > "10" as text). Everything in the runner compares them through here.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function lowestSequenceNumber(values: readonly string[]): string {
  return values.reduce((low, v) => (compareSequenceNumbers(v, low) < 0 ? v : low));
}
