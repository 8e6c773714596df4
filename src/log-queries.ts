import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * What the saved history query filters on until the user types a real value (Logs Insights saved queries
 * have no parameters): a string no key of a real item is likely to hold, and plain to see in the console.
 */
export const ITEM_KEY_PLACEHOLDER = '<partition key value>';

/** One saved Logs Insights query on the bundled handler's change log (its text is in docs/change-log.md). */
export interface ChangeLogQuery {
  /** Construct id of the query definition. */
  readonly id: string;
  /** Its name in the console, after the folder. */
  readonly title: string;
  readonly queryString: logs.QueryString;
}

/**
 * The saved queries of a change log. `partitionKeyName` is the table's partition key when it is known
 * (a new table); for an existing table the history query matches the value anywhere in `keys` instead.
 */
export function changeLogQueries(partitionKeyName?: string): ChangeLogQuery[] {
  const keyField = partitionKeyName === undefined ? undefined : `keys.${insightsName(partitionKeyName)}`;
  const keyFilter = keyField === undefined
    ? `@message like /"keys":\\{[^}]*"${ITEM_KEY_PLACEHOLDER}"/`
    : `${keyField} = "${ITEM_KEY_PLACEHOLDER}"`;
  const keyFields = keyField === undefined ? ['@message'] : [keyField];
  return [
    {
      id: 'ItemHistoryQuery',
      title: 'History of one item',
      queryString: new logs.QueryString({
        fields: ['@timestamp', 'eventName', 'changedAttributes.0', 'changedAttributes.1', 'changedAttributes.2',
          'ttlDelete', 'sequenceNumber'],
        filterStatements: ['message = "change"', keyFilter],
        sort: '@timestamp asc',
      }),
    },
    {
      id: 'ChangesPerEventNameQuery',
      title: 'Changes per event name',
      queryString: new logs.QueryString({
        filterStatements: ['message = "change"'],
        statsStatements: ['count(*) as changes by bin(5m), eventName'],
      }),
    },
    {
      id: 'TtlDeletesQuery',
      title: 'Deletes made by TTL',
      queryString: new logs.QueryString({
        fields: ['@timestamp', ...keyFields, 'approximateCreationDateTime', 'sequenceNumber'],
        // Matched on the text: how Logs Insights compares a JSON boolean is not part of its documented contract.
        filterStatements: ['message = "change"', 'eventName = "REMOVE"', '@message like /"ttlDelete":true/'],
        sort: '@timestamp desc',
      }),
    },
    {
      id: 'FailedBatchesQuery',
      title: 'Batches with failures',
      queryString: new logs.QueryString({
        fields: ['@timestamp', 'outcome', 'records', 'processed', 'failures', 'failedSequenceNumber', 'function_request_id'],
        filterStatements: ['message = "batch"', 'outcome != "ok"'],
        sort: '@timestamp desc',
      }),
    },
  ];
}

/**
 * Creates the saved queries on a change log's log group, in one console folder per consumer
 * (`stream-triggered-table/<construct path>/`).
 */
export function createChangeLogQueries(scope: Construct, logGroup: logs.ILogGroup, partitionKeyName?: string): logs.QueryDefinition[] {
  const folder = `stream-triggered-table/${scope.node.path}`;
  return changeLogQueries(partitionKeyName).map((query) => new logs.QueryDefinition(scope, query.id, {
    queryDefinitionName: `${folder}/${query.title}`,
    queryString: query.queryString,
    logGroups: [logGroup],
  }));
}

/** A field name as Logs Insights reads it: names other than letters, digits and `_` go in backticks. */
function insightsName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}
