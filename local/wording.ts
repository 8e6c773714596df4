/** Counts in words, as every message of the runner writes them: "1 record", "2 records", "a 5-record batch". */

/** `n` and the noun, singular or plural: `plural(1, 'record')` is "1 record", `plural(2, 'record')` "2 records". */
export function plural(n: number, noun: string, plurals = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plurals}`;
}

/**
 * A batch by its size: "a 1-record batch", "an 8-record batch", "an 11-record batch" (the compound adjective
 * stays singular; "an" before a number said with a vowel first: eight..., eleven, eighteen, eleven thousand).
 */
export function batchOf(records: number): string {
  const digits = String(records);
  const article = digits.startsWith('8') || /^1[18](\d{3})*$/.test(digits) ? 'an' : 'a';
  return `${article} ${records}-record batch`;
}
