import { writeFileSync } from 'fs';
import * as path from 'path';
import { synthSlowApp } from './fixtures/whole-app';
import { buildCli, childrenOf, CliRun, runCli, stillRunning, waitForOutput } from './local-cli-helpers';
import { tempDir } from './local-runner-helpers';

// The CLI stopped as users stop it, by real signals to a real process: Ctrl-C in a terminal (SIGINT to the
// whole foreground process group), SIGTERM from a process manager, and parts of the run killed under it (a
// function process, DynamoDB Local). Each time the ledger is printed, the exit code says what it says, and
// no process the CLI started is left: checked by pid.

const dir = tempDir('stt-cli-signals-');
const cdkOut = path.join(dir, 'cdk.out');
const seedFile = path.join(dir, 'seed.json');
let cli: string;

beforeAll(() => {
  cli = buildCli();
  // Each batch takes 30 s: the seeded record is in flight whenever a test stops the run.
  synthSlowApp(cdkOut, 30_000);
  writeFileSync(seedFile, JSON.stringify({ Orders: [{ pk: 'order-1' }] }));
});

/** The CLI on the slow app, once its seeded record is in the function, with every process it started. */
async function startWithRecordInFlight(name: string) {
  const run = runCli(cli, ['--cdk-out', cdkOut, '--out', path.join(dir, name), '--seed', seedFile]);
  await waitForOutput(run, '"msg":"receipt"');
  const started = childrenOf(run.pid);
  expect(started.jvm).toHaveLength(1);
  expect(started.watchdog).toHaveLength(1);
  expect(started.workers).toHaveLength(1);
  return { run, pids: started.all.map((p) => p.pid) };
}

/** The ledger's row of the slow app's mapping: written, delivered, filtered, failure destination, dropped, pending, lost. */
function ledgerRow(run: CliRun): number[] {
  const row = /\nSlowApp\/Orders((?: +\d+){8})\n/.exec(run.stdout);
  if (!row) throw new Error(`no ledger in the CLI's output:\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  return row[1].trim().split(/ +/).map(Number).slice(0, 7);
}

test('Ctrl-C (SIGINT to the process group): the batch in flight is pending at stop, the ledger is printed, exit 0, nothing left', async () => {
  const { run, pids } = await startWithRecordInFlight('sigint');

  process.kill(-run.pid, 'SIGINT');
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect(run.stdout).toContain('stopping: the batches in flight get up to 2 s to finish (Ctrl-C again to stop now)');
  expect(ledgerRow(run)).toEqual([1, 0, 0, 0, 0, 1, 0]);
  expect(run.stdout).toContain('pending at stop: 1 record was still queued, in flight or waiting for a retry');
  expect(run.stdout).toMatch(/\nlost: 0\n?$/);
  // DynamoDB Local was still there for the ledger: the signal did not reach it.
  expect(run.stderr).not.toMatch(/ECONNREFUSED|stopped answering/);
  expect(await stillRunning(pids)).toEqual([]);
}, 120_000);

test('SIGTERM to the CLI alone, twice: the second skips the wait for the batch in flight', async () => {
  const { run, pids } = await startWithRecordInFlight('sigterm');
  const started = Date.now();

  run.child.kill('SIGTERM');
  await waitForOutput(run, 'stopping:');
  run.child.kill('SIGTERM');
  expect(await run.exited).toEqual({ code: 0, signal: null });
  // Well within the 2 s grace (and the function's 30 s), on a loaded machine too.
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(ledgerRow(run)).toEqual([1, 0, 0, 0, 0, 1, 0]);
  expect(await stillRunning(pids)).toEqual([]);
}, 120_000);

test('a function process killed mid-run: the failed invocation and its retry are reported, a new process takes it, Ctrl-C prints the ledger', async () => {
  const { run, pids } = await startWithRecordInFlight('worker-killed');
  const [worker] = childrenOf(run.pid).workers;

  process.kill(worker.pid, 'SIGKILL');
  await waitForOutput(run, 'invocation of a 1-record batch failed: Runtime.ExitError: ');
  expect(run.stdout).toMatch(/Error: Runtime exited with error: signal: killed\n/);
  await waitForOutput(run, /\[SlowApp\/Orders\] retry 1 of a 1-record batch on shard \S+: /);
  // The retry is delivered to a fresh process.
  await waitForOutput(run, /"msg":"receipt"[^\n]*\n[\s\S]*"msg":"receipt"/);
  const [second] = childrenOf(run.pid).workers;
  expect(second.pid).not.toBe(worker.pid);

  process.kill(-run.pid, 'SIGINT');
  expect((await run.exited).code).toBe(0);
  expect(ledgerRow(run)).toEqual([1, 0, 0, 0, 0, 1, 0]);
  expect(await stillRunning([...pids, second.pid])).toEqual([]);
}, 120_000);

test('DynamoDB Local killed mid-run: said once, the ledger printed from what was known, exit 3, nothing left', async () => {
  const { run, pids } = await startWithRecordInFlight('jvm-killed');
  const [jvm] = childrenOf(run.pid).jvm;

  process.kill(jvm.pid, 'SIGKILL');
  expect(await run.exited).toEqual({ code: 3, signal: null });
  const failures = run.stderr.split('\n').filter((l) => l.startsWith('error: DynamoDB stopped answering'));
  expect(failures).toHaveLength(1);
  expect(failures[0]).toMatch(/^error: DynamoDB stopped answering during the run: cannot reach DynamoDB at http:\/\/127\.0\.0\.1:\d+: the connection was refused/);
  expect(run.stdout).toContain('the streams were not read again for this ledger');
  // What the streams said when last read (here: before the seed), and nothing counted as lost.
  expect(ledgerRow(run)[6]).toBe(0);
  expect(await stillRunning(pids)).toEqual([]);
}, 120_000);

test('a signal before the app runs exits at once with the signal\'s code, and leaves nothing', async () => {
  const run = runCli(cli, ['--cdk-out', cdkOut, '--out', path.join(dir, 'early')]);
  // As soon as DynamoDB Local is being started: the JVM is there, the app is not running yet.
  const deadline = Date.now() + 30_000;
  while (childrenOf(run.pid).jvm.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const pids = childrenOf(run.pid).all.map((p) => p.pid);
  expect(pids.length).toBeGreaterThan(0);

  process.kill(-run.pid, 'SIGINT');
  expect(await run.exited).toEqual({ code: 130, signal: null });
  expect(run.stdout).not.toContain('running:');
  expect(await stillRunning(pids)).toEqual([]);
}, 60_000);
