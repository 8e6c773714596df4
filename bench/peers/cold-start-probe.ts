/**
 * The child process of the cold-start benchmark (bundled by build.ts into bench/.build/handlers/cold-start-probe.js):
 *
 *   node cold-start-probe.js /abs/path/to/handler-bundle.js [breakdown]
 *
 * performance.now() counts from performance.timeOrigin, the start of this process, so `readyMs` is the time
 * from process start to the handler export being ready, and `requireMs` the part of it spent inside require().
 * With `breakdown`, what a Powertools bundle's require() would do first is done (and timed) separately before
 * it: loading node:console and node:crypto, and creating the process.stdout and process.stderr streams.
 * Prints one JSON object on stdout.
 */
import { performance } from 'perf_hooks';

const steps: Record<string, number> = {};
if (process.argv[3] === 'breakdown') {
  let last = performance.now();
  const step = (name: string, load: () => unknown) => {
    load();
    const now = performance.now();
    steps[name] = now - last;
    last = now;
  };
  /* eslint-disable @typescript-eslint/no-require-imports */
  step('node:console', () => require('node:console'));
  step('node:crypto', () => require('node:crypto'));
  step('process.stdout and process.stderr', () => [process.stdout, process.stderr]);
  /* eslint-enable @typescript-eslint/no-require-imports */
}

const startMs = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loaded = require(process.argv[2]) as { handler?: unknown };
const readyMs = performance.now();
if (typeof loaded.handler !== 'function') {
  throw new Error(`${process.argv[2]} exports no handler function`);
}
process.stdout.write(JSON.stringify({ startMs, readyMs, requireMs: readyMs - startMs, steps }));
