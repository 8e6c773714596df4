import type { MappingActivity } from './mapping/mapping-emulator';
import type { RunSummary } from './runner';
import { batchOf, plural } from './wording';

/** One line for what a mapping did, or undefined for the routine (successful invocations, polls). */
export function formatActivity(a: MappingActivity): string | undefined {
  switch (a.type) {
    case 'invoke':
      return a.result.status === 'error' ? `invocation of ${batchOf(a.records)} failed: ${a.result.errorType}: ${a.result.errorMessage}` : undefined;
    case 'retry':
      return `retry ${a.attempt} of ${batchOf(a.records)} on shard ${a.shardId}: ${a.reason}`;
    case 'bisect':
      return `bisecting a failed ${a.records}-record batch`;
    case 'failure-destination':
      return `${plural(a.records, 'record')} sent to the failure destination (${a.condition})${a.location ? `: ${a.location}` : ''}`;
    case 'dropped':
      return `${plural(a.records, 'record')} dropped (${a.condition}, no failure destination)`;
    case 'filtered':
      return `${plural(a.records, 'record')} filtered out`;
    case 'iterator-recovered':
      return `shard iterator ${a.reason}: re-taken after the last record read`;
    case 'error':
      return `error${a.component ? ` in ${a.component}` : ''}: ${a.message}${a.affects ? ` (${a.affects})` : ''}`;
    case 'recovered':
      return `${a.operation} works again after ${plural(a.failures, 'failure')} (${a.component}${a.shardId !== '-' ? `, shard ${a.shardId}` : ''})`;
    case 'destination-delivery-failed':
      return `${plural(a.records, 'record')} could not be written to ${a.destination} (${a.condition}, ${plural(a.attempts, 'try', 'tries')}): ${a.message}`;
    case 'stopped':
      return a.pending ? `stopped with ${plural(a.pending, 'record')} pending` : undefined;
  }
}

/** The run's ledger as a small table: one row per mapping (a stream's records count once per mapping that reads it). */
export function formatSummary(s: RunSummary): string {
  const header = ['mapping', 'written', 'delivered', 'filtered', 'failure destination', 'dropped', 'pending', 'lost', 'log lines'];
  const logLinesOf = (functionId: string) => s.functions.find((f) => f.id === functionId)?.logLines ?? 0;
  const rows = s.mappings.map((m) => [m.id, m.summary.written, m.summary.delivered, m.summary.filtered,
    m.summary.sentToFailureDestination, m.summary.dropped, m.summary.pending, m.summary.lost, logLinesOf(m.function)].map(String));
  rows.push(['total', s.written, s.delivered, s.filtered, s.sentToFailureDestination, s.dropped, s.pending, s.lost,
    s.functions.reduce((n, f) => n + f.logLines, 0)].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const disabled = s.mappings.filter((m) => !m.enabled);
  return [
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...s.skipped.map((m) => `not run: ${m.id} (${m.reason})`),
    ...disabled.map((m) => `disabled: ${m.id} (Enabled: false in the template; `
      + `its ${plural(m.summary.notRead, 'record')} ${m.summary.notRead === 1 ? 'was' : 'were'} not read)`),
    ...(s.destinationDeliveryFailed ? [`${plural(s.destinationDeliveryFailed, 'record')} could not be written to `
      + `${s.destinationDeliveryFailed === 1 ? 'its' : 'their'} failure destination `
      + '(counted as DestinationDeliveryFailures; see the errors above)'] : []),
    ...(s.pendingAtStop ? [`pending at stop: ${plural(s.pendingAtStop, 'record')} ${s.pendingAtStop === 1 ? 'was' : 'were'} still queued, `
      + 'in flight or waiting for a retry'] : []),
    ...(s.engineFailure ? [`${s.engineFailure}: the streams were not read again for this ledger`] : []),
    '',
    `lost: ${s.lost}${s.outOfOrderItems.length ? `; out of order: ${plural(s.outOfOrderItems.length, 'item')}` : ''}`,
  ].join('\n');
}
