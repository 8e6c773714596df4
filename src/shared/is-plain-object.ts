/**
 * The one test for "a JSON object" (not null, not an array) used by the construct, the bundled handler
 * and the offline runner.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
