/**
 * How long an idle shard reader of the runner may wait between polls. Every write through the runner's
 * endpoint rings the doorbell and wakes the readers at once, so a poll only finds writes that bypass it:
 * anyone's, on a DynamoDB Local of the user's; DynamoDB Local's own TTL deletes; and nothing else.
 */
import type { TableDefinition } from '../assembly/definitions';

/** On a DynamoDB Local of the user's (`--endpoint`), which other clients may write to directly. */
export const USERS_ENDPOINT_IDLE_POLL_MS = 1_000;
/** A table with TTL: DynamoDB Local deletes expired items itself, within about a second of their time. */
export const TTL_TABLE_IDLE_POLL_MS = 10_000;
/** Any other table: only a write that bypasses the endpoint on purpose is read this late (waitForIdle() rings first). */
export const IDLE_POLL_MS = 60_000;

export function idlePollInterval(table: Pick<TableDefinition, 'timeToLiveAttribute'>, usersEndpoint: boolean): number {
  if (usersEndpoint) return USERS_ENDPOINT_IDLE_POLL_MS;
  return table.timeToLiveAttribute ? TTL_TABLE_IDLE_POLL_MS : IDLE_POLL_MS;
}
