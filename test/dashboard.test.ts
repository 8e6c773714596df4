/**
 * The stream's dashboard (`dashboard: true`, `addToDashboard`) and the change-log metric filter it reads.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { event, invoke, loadEvent, loadHandler } from './fixtures/harness';
import { newStack, PK, synth } from './helpers';
import { StreamHandler, StreamTriggeredTable } from '../src';

interface Widget {
  readonly type: string;
  readonly properties: Record<string, any>;
}

/** The dashboard's widgets, its tokens written as `<{"Ref":...}>` so the body parses as JSON. */
function widgets(template: Template, logicalId?: string): Widget[] {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  const dashboard: any = logicalId ? dashboards[logicalId] : Object.values(dashboards)[0];
  const body = dashboard.Properties.DashboardBody;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const text = parts.map((p) => (typeof p === 'string' ? p : `<${JSON.stringify(p).replace(/"/g, '\'')}>`)).join('');
  return JSON.parse(text).widgets;
}

/** The metric names a graph draws (each metric is [namespace, name, dimension, value, ..., options]). */
function metricNames(widget: Widget): string[] {
  return (widget.properties.metrics ?? []).map((m: unknown[]) => m[1]);
}

const titled = (all: Widget[], title: string) => all.find((w) => w.properties.title === title)!;

const ownFunction = (stack: Stack) => new lambda.Function(stack, 'Mine', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
});

describe('dashboard: true', () => {
  test('off by default: no dashboard, no metric filter', () => {
    const { construct, template } = synth({ partitionKey: PK });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    expect(construct.dashboard).toBeUndefined();
    expect(construct.changeLogMetricFilter).toBeUndefined();
  });

  test('one dashboard, reachable from `dashboard`, under a stable id', () => {
    const { construct, template } = synth({ partitionKey: PK, dashboard: true });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(construct.dashboard!.node.path).toBe('TestStack/Orders/Dashboard');
  });

  test('iterator age with maxRecordAge and the alarm threshold drawn as lines', () => {
    const { template } = synth({ partitionKey: PK, dashboard: true, maxRecordAge: Duration.hours(2) });
    const lag = titled(widgets(template), 'Iterator age (ms, maximum)');
    expect(metricNames(lag)).toEqual(['IteratorAge']);
    expect(lag.properties.metrics[0]).toContainEqual(expect.objectContaining({ stat: 'Maximum' }));
    expect(lag.properties.annotations.horizontal).toEqual([
      expect.objectContaining({ value: 7_200_000, label: expect.stringContaining('maxRecordAge (2 hours)') }),
      expect.objectContaining({ value: 300_000 }),
    ]);
  });

  test('invocations, errors, throttles, duration p99', () => {
    const { template } = synth({ partitionKey: PK, dashboard: true });
    const all = widgets(template);
    expect(metricNames(titled(all, 'Invocations, errors, throttles'))).toEqual(['Invocations', 'Errors', 'Throttles']);
    const duration = titled(all, 'Duration p99 (ms)');
    expect(metricNames(duration)).toEqual(['Duration']);
    expect(duration.properties.metrics[0]).toContainEqual(expect.objectContaining({ stat: 'p99' }));
  });

  test('the mapping\'s event counts: polled, filtered out, sent to the failure destination, dropped', () => {
    const { template } = synth({ partitionKey: PK, dashboard: true });
    const mapping = titled(widgets(template), 'Event source mapping: records');
    expect(metricNames(mapping)).toEqual(['PolledEventCount', 'FilteredOutEventCount',
      'OnFailureDestinationDeliveredEventCount', 'DroppedEventCount']);
    const mappingId = template.getResourceId('AWS::Lambda::EventSourceMapping');
    for (const metric of mapping.properties.metrics) {
      expect(metric.slice(2, 4)).toEqual(['EventSourceMappingUUID', `<{'Ref':'${mappingId}'}>`]);
    }
  });

  test('mappingMetrics: false says the counts are off instead of drawing empty graphs', () => {
    const { template } = synth({
      partitionKey: PK,
      dashboard: true,
      mappingMetrics: false,
      failureDestinationAlarm: { enabled: false },
      droppedRecordsAlarm: { enabled: false },
    });
    const all = widgets(template);
    expect(all.find((w) => w.properties.title === 'Event source mapping: records')).toBeUndefined();
    expect(all.some((w) => w.type === 'text' && String(w.properties.markdown).includes('mappingMetrics: false'))).toBe(true);
  });

  test('the change log per event name, from a metric filter on the handler\'s log group', () => {
    const { construct, template } = synth({ partitionKey: PK, dashboard: true });
    template.resourceCountIs('AWS::Logs::MetricFilter', 1);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: template.getResourceId('AWS::Logs::LogGroup') },
      FilterPattern: '{ $.message = "change" }',
      MetricTransformations: [{
        MetricNamespace: 'StreamTriggeredTable',
        MetricName: 'ChangeLogRecords',
        MetricValue: '1',
        Unit: 'Count',
        Dimensions: [{ Key: 'FunctionName', Value: '$.function_name' }, { Key: 'EventName', Value: '$.eventName' }],
      }],
    });
    expect(construct.changeLogMetricFilter!.node.path).toBe('TestStack/Orders/ChangeLogMetricFilter');
    const changeLog = titled(widgets(template), 'Change log: records per event name');
    expect(changeLog.properties.stacked).toBe(true);
    const functionId = template.getResourceId('AWS::Lambda::Function');
    expect(changeLog.properties.metrics.map((m: unknown[]) => m.slice(0, 6))).toEqual(['INSERT', 'MODIFY', 'REMOVE'].map((name) => [
      'StreamTriggeredTable', 'ChangeLogRecords', 'EventName', name, 'FunctionName', `<{'Ref':'${functionId}'}>`,
    ]));
  });

  test('the alarms\' state', () => {
    const { construct, template } = synth({ partitionKey: PK, dashboard: true });
    const status = widgets(template).find((w) => w.type === 'alarm')!;
    expect(status.properties.alarms).toHaveLength(construct.alarms.length);
    expect(construct.alarms).toHaveLength(5);
  });

  test('a consumer added later gets its rows on the table\'s dashboard', () => {
    const stack = newStack();
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK, dashboard: true });
    const audit = orders.addConsumer('Audit', { handler: StreamHandler.fromFunction(ownFunction(stack)) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const all = widgets(template);
    const headings = all.filter((w) => w.type === 'text' && String(w.properties.markdown).startsWith('### '))
      .map((w) => w.properties.markdown.split('\n')[0]);
    expect(headings).toEqual(['### TestStack/Orders', '### TestStack/Orders/Audit']);
    expect(all.filter((w) => w.properties.title === 'Iterator age (ms, maximum)')).toHaveLength(2);
    // Its own function: no change log to count.
    expect(audit.changeLogMetricFilter).toBeUndefined();
    expect(all.some((w) => String(w.properties.markdown).includes('runs its own function'))).toBe(true);
    template.resourceCountIs('AWS::Logs::MetricFilter', 1);
  });

  test('dashboard: false is accepted and creates nothing', () => {
    synth({ partitionKey: PK, dashboard: false }).template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});

describe('addToDashboard', () => {
  test('puts the rows on a dashboard of your own, once per consumer, one metric filter however often', () => {
    const stack = newStack();
    const mine = new cloudwatch.Dashboard(stack, 'Operations');
    const other = new cloudwatch.Dashboard(stack, 'Oncall');
    const orders = new StreamTriggeredTable(stack, 'Orders', { partitionKey: PK });
    const audit = orders.addConsumer('Audit');
    orders.addToDashboard(mine);
    audit.addToDashboard(mine);
    orders.addToDashboard(other);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 2);
    template.resourceCountIs('AWS::Logs::MetricFilter', 2);
    expect(orders.dashboard).toBeUndefined();
    const onMine = widgets(template, stack.getLogicalId(mine.node.defaultChild as any));
    expect(onMine.filter((w) => w.properties.title === 'Change log: records per event name')).toHaveLength(2);
    expect(widgets(template, stack.getLogicalId(other.node.defaultChild as any))
      .filter((w) => w.properties.title === 'Duration p99 (ms)')).toHaveLength(1);
  });
});

test('the metric filter\'s fields are on every change line the built handler prints', async () => {
  const { handler } = loadHandler({});
  const context = { functionName: 'orders-change-log', awsRequestId: 'r-1', invokedFunctionArn: 'arn', memoryLimitInMB: '256' };
  const run = await invoke(handler, event(loadEvent('stream-new-and-old-images.json').Records), context);
  const changes = run.printed.lines.filter((l) => l.message === 'change');
  expect(changes).toHaveLength(5);
  expect(changes.map((l) => [l.function_name, l.eventName])).toEqual([
    ['orders-change-log', 'INSERT'], ['orders-change-log', 'MODIFY'], ['orders-change-log', 'REMOVE'],
    ['orders-change-log', 'INSERT'], ['orders-change-log', 'REMOVE'],
  ]);
  // Other lines never count as changes.
  expect(run.printed.lines.filter((l) => l.message !== 'change').map((l) => l.message)).toEqual(['batch']);
});
