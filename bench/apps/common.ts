/**
 * What every benchmark app shares: the table count (from BENCH_TABLES), one stack, the handler's
 * settings, and the phase timings each app writes for the synth section (BENCH_PHASES_FILE).
 *
 * The apps are bundled by bench/synth.ts with esbuild; `__dirname` in this folder and in src/ is
 * pinned to the source folder, so paths resolve as they would unbundled.
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { TABLES_PER_STACK } from './layout';

/** Root of the repository. */
export const REPO_ROOT = path.join(__dirname, '..', '..');

/** The prebuilt handler that StreamTriggeredTable ships (`npx projen bundle`). */
export const HANDLER_ASSET_DIR = path.join(REPO_ROOT, 'assets', 'stream-handler');

/** The handler's TypeScript source (bundled at synth by the nodejs-function app). */
export const HANDLER_ENTRY = path.join(REPO_ROOT, 'lambda', 'stream-handler', 'index.ts');

/** The function settings of StreamTriggeredTable's bundled handler, with its defaults. */
export const HANDLER_SETTINGS = {
  handler: 'index.handler',
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  memorySize: 256,
  timeout: Duration.seconds(30),
  tracing: lambda.Tracing.DISABLED,
  loggingFormat: lambda.LoggingFormat.JSON,
  applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
  description: 'Writes one structured JSON log line per DynamoDB item change (cdk-stream-triggered-table)',
  environment: {
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: 'stream-triggered-table',
    CHANGE_LOG_IMAGES: 'true',
    CHANGE_LOG_REDACT: '[]',
  },
} as const;

/** Number of tables the app creates. */
export function tableCount(): number {
  const n = Number(process.env.BENCH_TABLES ?? '1');
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_TABLES must be a positive integer, got ${process.env.BENCH_TABLES}`);
  return n;
}

/**
 * Builds `tableCount()` tables (each added by `addTable`), `TABLES_PER_STACK` per stack (Bench1,
 * Bench2, ...), synthesizes the app and, when BENCH_PHASES_FILE is set, writes how long construction
 * and synthesis took, the process's CPU time so far and its peak resident memory.
 */
export function runApp(addTable: (stack: Stack, id: string) => void): void {
  const loaded = performance.now();
  const app = new App();
  const n = tableCount();
  let stack: Stack | undefined;
  for (let i = 0; i < n; i++) {
    if (i % TABLES_PER_STACK === 0) {
      stack = new Stack(app, `Bench${i / TABLES_PER_STACK + 1}`, { env: { account: '123456789012', region: 'eu-west-1' } });
    }
    addTable(stack!, `T${i}`);
  }
  const constructed = performance.now();
  app.synth();
  const synthesized = performance.now();
  const file = process.env.BENCH_PHASES_FILE;
  if (file) {
    const cpu = process.cpuUsage();
    writeFileSync(file, JSON.stringify({
      constructMs: constructed - loaded,
      synthMs: synthesized - constructed,
      peakMiB: process.resourceUsage().maxRSS / 1024,
      cpuMs: (cpu.user + cpu.system) / 1000,
    }));
  }
}
