import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { defaults, everyOption, existingTableOwnFunctionQueue, twoConsumers } from './configurations';
import { assetHashSerializer } from './helpers';

// Full-template snapshots catch drift; asset hashes are replaced so they move only when the template does.
expect.addSnapshotSerializer(assetHashSerializer);

const template = (build: (stack: Stack) => unknown) => {
  const stack = new Stack(new App(), 'Snapshot', { env: { account: '123456789012', region: 'eu-west-1' } });
  build(stack);
  return Template.fromStack(stack).toJSON();
};

test('defaults', () => {
  expect(template(defaults)).toMatchSnapshot();
});

test('existing table, bring-your-own function, SQS destination', () => {
  expect(template(existingTableOwnFunctionQueue)).toMatchSnapshot();
});

test('every option set', () => {
  expect(template(everyOption)).toMatchSnapshot();
});

test('two consumers on one stream', () => {
  expect(template(twoConsumers)).toMatchSnapshot();
});

test('the serializer hides asset hashes only', () => {
  const text = JSON.stringify(template(defaults));
  expect(text).toMatch(/[0-9a-f]{64}\.zip/);
  expect(assetHashSerializer.test(text)).toBe(true);
  expect(assetHashSerializer.test('no hash here')).toBe(false);
});
