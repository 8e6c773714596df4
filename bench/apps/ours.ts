/** Contender (a): StreamTriggeredTable with its defaults (src/ is bundled into the app). */
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { runApp } from './common';
import { StreamTriggeredTable } from '../../src';

runApp((stack, id) => new StreamTriggeredTable(stack, id, {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
}));
