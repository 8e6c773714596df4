/**
 * The saved Logs Insights queries: what the construct creates, that docs/change-log.md holds their exact
 * text, and that each filter, run over lines the built handler printed, selects what its title promises.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { event, handEdited, invoke, loadEvent, loadHandler, LogLine } from './fixtures/harness';
import { newStack, PK, synth, synthError } from './helpers';
import { StreamHandler, StreamTriggeredTable } from '../src';
import { changeLogQueries, ITEM_KEY_PLACEHOLDER } from '../src/log-queries';

const ownFunction = (stack: Stack) => new lambda.Function(stack, 'Mine', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
});

const QUERY_IDS = ['ItemHistoryQuery', 'ChangesPerEventNameQuery', 'TtlDeletesQuery', 'FailedBatchesQuery'];

/** The fenced blocks of a Markdown page that have no language (where the query texts are). */
function plainBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)\n```$/gm)].filter((m) => m[1] === '').map((m) => m[2]);
}

function queryText(id: string, partitionKeyName?: string): string {
  return changeLogQueries(partitionKeyName).find((q) => q.id === id)!.queryString.toString();
}

describe('query definitions in the template', () => {
  test('four saved queries on the handler\'s log group, in a folder named after the construct', () => {
    const { construct, template } = synth({ partitionKey: PK });
    const definitions = template.findResources('AWS::Logs::QueryDefinition');
    expect(construct.logQueries).toHaveLength(4);
    expect(Object.values(definitions).map((d: any) => d.Properties.Name)).toEqual([
      'stream-triggered-table/TestStack/Orders/History of one item',
      'stream-triggered-table/TestStack/Orders/Changes per event name',
      'stream-triggered-table/TestStack/Orders/Deletes made by TTL',
      'stream-triggered-table/TestStack/Orders/Batches with failures',
    ]);
    const logGroupId = template.getResourceId('AWS::Logs::LogGroup');
    for (const [index, id] of QUERY_IDS.entries()) {
      const definition: any = Object.values(definitions)[index];
      expect(definition.Properties.LogGroupNames).toEqual([{ Ref: logGroupId }]);
      expect(definition.Properties.QueryString).toBe(queryText(id, 'pk'));
    }
  });

  test('stable construct ids, reachable from logQueries', () => {
    const { construct } = synth({ partitionKey: PK });
    expect(construct.logQueries.map((q) => q.node.id)).toEqual(QUERY_IDS);
    expect(construct.logQueries.every((q) => q.node.scope === construct)).toBe(true);
  });

  test('the history query filters on the table\'s own partition key, quoted when Logs Insights needs it', () => {
    const { template } = synth({ partitionKey: { name: 'order-id', type: dynamodb.AttributeType.STRING } });
    const history = Object.values(template.findResources('AWS::Logs::QueryDefinition'))[0] as any;
    expect(history.Properties.QueryString).toContain('| filter keys.`order-id` = "<partition key value>"');
  });

  test('an existing table (key unknown): the history query matches the value under any key attribute', () => {
    const stack = newStack();
    const existingTable = dynamodb.Table.fromTableAttributes(stack, 'Existing', {
      tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
      tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000',
    });
    const construct = new StreamTriggeredTable(stack, 'Orders', { existingTable });
    expect(construct.logQueries).toHaveLength(4);
    const texts = Object.values(Template.fromStack(stack).findResources('AWS::Logs::QueryDefinition'))
      .map((d: any) => d.Properties.QueryString);
    expect(texts[0]).toContain('| filter @message like /"keys":\\{[^}]*"<partition key value>"/');
  });

  test('createLogQueries: false creates none', () => {
    const { construct, template } = synth({ partitionKey: PK, createLogQueries: false });
    template.resourceCountIs('AWS::Logs::QueryDefinition', 0);
    expect(construct.logQueries).toEqual([]);
  });

  test('an added consumer gets its own queries on its own log group', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    const audit = orders.addConsumer('Audit');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::QueryDefinition', 8);
    expect(audit.logQueries.map((q) => q.node.path)).toEqual(QUERY_IDS.map((id) => `TestStack/Orders/Audit/${id}`));
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: 'stream-triggered-table/TestStack/Orders/Audit/History of one item',
      LogGroupNames: [{ Ref: stack.getLogicalId(audit.logGroup!.node.defaultChild as any) }],
    });
  });

  test('your own function: no change log, no queries', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK, handler: StreamHandler.fromFunction(ownFunction(stack)) });
    expect(orders.logQueries).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::Logs::QueryDefinition', 0);
  });

  test('createLogQueries: true with your own function is refused', () => {
    expect(synthError((stack) => ({
      partitionKey: PK,
      createLogQueries: true,
      handler: StreamHandler.fromFunction(ownFunction(stack)),
    }))).toBe('createLogQueries is true, but the saved queries read the bundled handler\'s change log and this handler is '
      + 'your own function (StreamHandler.fromFunction); leave createLogQueries unset or false');
  });
});

test('the README shows the exact text of every saved query', () => {
  const blocks = plainBlocks(fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8'));
  for (const id of QUERY_IDS) {
    expect(blocks).toContain(queryText(id, 'pk'));
  }
});

test('docs/change-log.md holds the exact text of every saved query', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'change-log.md'), 'utf8');
  const blocks = plainBlocks(doc);
  for (const id of QUERY_IDS) {
    expect(blocks).toContain(queryText(id, 'pk'));
  }
  expect(doc).toContain(`\`${queryText('ItemHistoryQuery').split('\n')[2].slice(2)}\``);
});

/** A line as Logs Insights sees it: the parsed fields and the raw text (`@message`). */
interface Event {
  readonly fields: LogLine;
  readonly text: string;
}

/** One `filter` term of the saved queries: `field = "text"`, `field != "text"` or `field like /regex/`. */
function term(text: string): (e: Event) => boolean {
  const like = /^(\S+) like \/(.*)\/$/.exec(text);
  if (like) {
    const re = new RegExp(like[2]);
    return (e) => re.test(String(value(e, like[1])));
  }
  const compare = /^(\S+) (=|!=) "(.*)"$/.exec(text);
  if (!compare) throw new Error(`filter term not understood by this test: ${text}`);
  const [, field, op, expected] = compare;
  return (e) => (String(value(e, field)) === expected) === (op === '=');
}

/** A field by the Logs Insights name: `@message`, or a dotted path (flattened JSON, backticks around odd names). */
function value(e: Event, field: string): unknown {
  if (field === '@message') return e.text;
  const parts = field.match(/`(?:[^`]|``)+`|[^.]+/g)!.map((p) => (p.startsWith('`') ? p.slice(1, -1).replace(/``/g, '`') : p));
  let current: unknown = e.fields;
  for (const part of parts) {
    current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[part] : undefined;
  }
  return current;
}

/** The events a query's `filter` statements keep (they AND together, as do the terms of one statement). */
function filtered(query: string, events: Event[]): Event[] {
  const terms = query.split('\n').map((l) => l.replace(/^\| /, ''))
    .filter((l) => l.startsWith('filter '))
    .flatMap((l) => l.slice('filter '.length).split(' and '))
    .map(term);
  return events.filter((e) => terms.every((t) => t(e)));
}

describe('the saved filters over lines the built handler printed', () => {
  let events: Event[];

  beforeAll(async () => {
    const { handler } = loadHandler({});
    const printed: Event[] = [];
    const batches = [
      loadEvent('stream-new-and-old-images.json').Records,
      loadEvent('stream-keys-only.json').Records,
      // A batch whose second record cannot be read: handed back, the batch reported as partial.
      [loadEvent('stream-new-image.json').Records[0], handEdited('malformed-records.json', 'badNumberInNewImage')],
    ];
    for (const records of batches) {
      const run = await invoke(handler, event(records));
      expect(run.error).toBeUndefined();
      run.printed.lines.forEach((fields, i) => printed.push({ fields, text: run.printed.texts[i] }));
    }
    events = printed;
  });

  const changes = () => events.filter((e) => e.fields.message === 'change');

  test('history of one item: every change of that item and nothing else, in printed order', () => {
    const query = queryText('ItemHistoryQuery', 'pk').replace(ITEM_KEY_PLACEHOLDER, 'order#1');
    const kept = filtered(query, events);
    const expected = changes().filter((e) => (e.fields.keys as Record<string, unknown>).pk === 'order#1');
    expect(kept).toEqual(expected);
    // The same item in the three recorded tables: NEW_AND_OLD_IMAGES, KEYS_ONLY, then NEW_IMAGE's INSERT.
    expect(kept.map((e) => e.fields.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE', 'INSERT', 'MODIFY', 'REMOVE', 'INSERT']);
    expect(events.length - kept.length).toBeGreaterThan(5);
  });

  test('history of one item, key unknown: the same lines through the raw-text filter', () => {
    const byKey = filtered(queryText('ItemHistoryQuery', 'pk').replace(ITEM_KEY_PLACEHOLDER, 'session#1'), events);
    const byText = filtered(queryText('ItemHistoryQuery').replace(ITEM_KEY_PLACEHOLDER, 'session#1'), events);
    expect(byKey.length).toBeGreaterThan(0);
    expect(byText).toEqual(byKey);
  });

  test('changes per event name: the change lines, whose counts agree with the batch summaries', () => {
    const kept = filtered(queryText('ChangesPerEventNameQuery'), events);
    expect(kept).toEqual(changes());
    const counted: Record<string, number> = { INSERT: 0, MODIFY: 0, REMOVE: 0 };
    kept.forEach((e) => { counted[e.fields.eventName as string] += 1; });
    const summed: Record<string, number> = { INSERT: 0, MODIFY: 0, REMOVE: 0 };
    events.filter((e) => e.fields.message === 'batch').forEach((e) => {
      for (const [name, n] of Object.entries(e.fields.eventNames as Record<string, number>)) summed[name] += n;
    });
    expect(counted).toEqual(summed);
  });

  test('deletes made by TTL: exactly the REMOVEs the handler marked ttlDelete', () => {
    const kept = filtered(queryText('TtlDeletesQuery', 'pk'), events);
    expect(kept.length).toBe(2);
    expect(kept).toEqual(changes().filter((e) => e.fields.ttlDelete === true));
    expect(changes().some((e) => e.fields.eventName === 'REMOVE' && e.fields.ttlDelete === false)).toBe(true);
  });

  test('batches with failures: the partial batch only', () => {
    const kept = filtered(queryText('FailedBatchesQuery'), events);
    expect(kept.map((e) => [e.fields.outcome, e.fields.failures])).toEqual([['partial', 1]]);
    expect(events.filter((e) => e.fields.message === 'batch')).toHaveLength(3);
    expect(kept[0].fields.failedSequenceNumber).toBe(handEdited('malformed-records.json', 'badNumberInNewImage').dynamodb!.SequenceNumber);
  });
});
