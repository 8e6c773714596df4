/**
 * The built asset in a real `node` process, as Lambda runs it: proves that what the in-process harness
 * captures (by replacing process.stdout/stderr.write) is exactly what the process prints.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ASSET, FIXTURES, invoke, loadEvent, loadHandler, LogLine, ours } from './fixtures/harness';

const RUNNER = `
const [asset, fixture] = process.argv.slice(1);
const { handler } = require(asset);
const event = JSON.parse(require('fs').readFileSync(fixture, 'utf8'));
handler(event).then(
  (result) => process.stdout.write(JSON.stringify({ runnerResult: result }) + '\\n'),
  (error) => { process.stdout.write(JSON.stringify({ runnerError: error.message }) + '\\n'); process.exitCode = 2; },
);
`;

function runInProcess(fixture: string, env: Record<string, string> = {}) {
  const child = spawnSync(process.execPath, ['-e', RUNNER, ASSET, path.resolve(FIXTURES, fixture)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  const parse = (text: string) => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
  return { status: child.status, stdout: child.stdout, stderr: child.stderr, parse };
}

const withoutAge = (line: LogLine) => {
  const { ageMs: _age, oldestAgeMs: _oldest, ...rest } = ours(line);
  return rest;
};

test('a node process prints the same lines as the harness captures', async () => {
  const env = { CHANGE_LOG_REDACT: '["email"]' };
  const child = runInProcess('stream-new-and-old-images.json', env);
  expect(child.status).toBe(0);
  expect(child.stderr).toBe('');
  const printed = child.parse(child.stdout);
  expect(printed.pop()).toStrictEqual({ runnerResult: { batchItemFailures: [] } });

  const { handler } = loadHandler(env);
  const run = await invoke(handler, loadEvent('stream-new-and-old-images.json'));
  expect(printed).toHaveLength(6);
  expect(printed.map(withoutAge)).toStrictEqual(run.printed.lines.map(withoutAge));
  expect(printed[1].newImage.customer.email).toBe('***REDACTED***');
});

test('a node process with an invalid configuration fails at init with the reason', () => {
  const child = runInProcess('stream-keys-only.json', { CHANGE_LOG_IMAGES: 'maybe' });
  expect(child.status).toBe(1);
  expect(child.stderr).toContain('invalid change-log handler configuration: CHANGE_LOG_IMAGES must be "true" or "false", got "maybe"');
});

test('a node process with a bad record prints the error and the summary on stderr and returns the failure', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'change-log-'));
  try {
    const { Records } = loadEvent('stream-keys-only.json');
    delete (Records[1] as { eventName?: string }).eventName;
    const file = path.join(dir, 'event.json');
    fs.writeFileSync(file, JSON.stringify({ Records }));
    const child = runInProcess(file);
    expect(child.status).toBe(0);
    const stdout = child.parse(child.stdout);
    expect(stdout.pop()).toStrictEqual({ runnerResult: { batchItemFailures: [{ itemIdentifier: Records[1].dynamodb!.SequenceNumber }] } });
    expect(stdout.map((line) => `${line.level} ${line.message}`)).toStrictEqual(['INFO change']);
    expect(child.parse(child.stderr).map((line) => `${line.level} ${line.message}`)).toStrictEqual(['ERROR record failed', 'WARN batch']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
