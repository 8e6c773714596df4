// `npm run demo`: synthesizes the example app with the real CDK CLI and prints, for every
// stream-triggered table in the cloud assembly, what was created and how it is wired.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { readAssembly, StreamTriggeredTableDefinition } from '../local/assembly';

const root = path.join(__dirname, '..');
const appDir = path.join(root, 'examples', 'orders-app');
const cdkOut = path.join(appDir, 'cdk.out');

function synth(): void {
  console.log('$ cdk synth (examples/orders-app)');
  const started = Date.now();
  execFileSync(path.join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--output', cdkOut], {
    cwd: appDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, JSII_DEPRECATED: 'quiet' },
  });
  console.log(`synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s into ${path.relative(root, cdkOut)}\n`);
}

function describe(t: StreamTriggeredTableDefinition): string {
  const m = t.mapping;
  const key = (k?: { name: string; type: string }) => (k ? `${k.name} (${k.type})` : '-');
  const code = t.handler.assetPath ? path.relative(root, t.handler.assetPath) : t.handler.inlineCode ? 'inline' : '-';
  const rows: Array<[string, string]> = [
    ['table', `${t.table.logicalId}: partition key ${key(t.table.partitionKey)}, sort key ${key(t.table.sortKey)}`],
    ['stream', t.table.streamViewType],
    ['TTL attribute', t.table.timeToLiveAttribute ?? '-'],
    ['handler', `${t.handler.logicalId}: ${t.handler.runtime}, ${t.handler.memorySize} MiB, ${t.handler.timeoutSeconds} s, ${t.handler.handler} in ${code}`],
    ['environment', Object.entries(t.handler.environment).map(([k, v]) => `${k}=${v}`).join(' ') || '-'],
    ['mapping', `start ${m.startingPosition}, batch ${m.batchSize}, window ${m.maxBatchingWindowSeconds} s, parallel ${m.parallelizationFactor}`],
    ['failures', `retries ${m.maximumRetryAttempts}, max record age ${m.maximumRecordAgeSeconds} s, bisect ${m.bisectBatchOnFunctionError}, `
      + `partial batch responses ${m.reportBatchItemFailures}`],
    ['filters', m.filterPatterns.length ? m.filterPatterns.map((f) => JSON.stringify(f)).join(' | ') : 'none (every record)'],
    ['failure destination', m.onFailure ? `${m.onFailure.kind.toUpperCase()} ${m.onFailure.logicalId}` : 'none'],
    ['alarms', `${t.alarmMetrics.length}: ${t.alarmMetrics.join(', ')}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`${t.id}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}

synth();
const tables = readAssembly(cdkOut);
if (tables.length === 0) {
  console.error('no stream-triggered table found in the assembly');
  process.exit(1);
}
console.log(`${tables.length} stream-triggered tables:\n`);
console.log(tables.map(describe).join('\n\n'));
