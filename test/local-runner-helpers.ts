import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { LocalRunner, LocalTable } from '../local/runner';

/** A temp directory for one test file's assembly and failure destinations. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface Invocation {
  readonly size: number;
  readonly seqs: string[];
  readonly keys: string[];
  readonly window?: { start: string; end: string };
  readonly isFinalInvokeForWindow?: boolean;
}

/** The invocations the test handler logged (one 'invoked' line each), in order. */
export function invocations(table: LocalTable): Invocation[] {
  return parsed(table).filter((l) => l.msg === 'invoked');
}

export function parsed(source: { readonly logLines: readonly string[] }): any[] {
  return source.logLines.flatMap((line) => {
    try {
      const value = JSON.parse(line);
      return typeof value === 'object' && value !== null ? [value] : [];
    } catch {
      return [];
    }
  });
}

/** The sequence number of the first record of an item (by its pk) seen in any invocation. */
export function seqOf(table: LocalTable, pk: string): string {
  for (const inv of invocations(table)) {
    const i = inv.keys.indexOf(pk);
    if (i >= 0) return inv.seqs[i];
  }
  throw new Error(`no invocation carried ${pk}`);
}

/** The ledger's view of every record of a table (of each of its mappings), by sequence number. */
export function dispositions(runner: LocalRunner, table: LocalTable) {
  const keys = new Set(table.mappings.map((m) => m.ledgerKey));
  return runner.ledger.all().filter((d) => keys.has(d.streamArn));
}

/** Checks the ledger invariant: every record in the streams disposed of (none lost), first deliveries in order. */
export async function expectNothingLost(runner: LocalRunner): Promise<void> {
  const summary = await runner.summary();
  expect(summary.lost).toBe(0);
  expect(summary.outOfOrderItems).toEqual([]);
}
