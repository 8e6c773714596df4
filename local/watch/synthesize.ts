/**
 * Synthesizes a CDK app as `cdk synth` does, without the CDK CLI: runs the `app` command of the project's
 * `cdk.json` in the project's folder, with the assembly folder in `CDK_OUTDIR` and the context the CLI
 * would give (`cdk.json`'s and `cdk.context.json`'s, plus the construct-path and asset metadata the runner
 * reads), in `CDK_CONTEXT_JSON`.
 */
import { spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

export interface CdkProject {
  /** The folder holding `cdk.json`: the app command runs there. */
  readonly directory: string;
  /** `cdk.json`'s `app`. */
  readonly appCommand: string;
  /** `cdk.json`'s `output`, resolved (default `cdk.out`). */
  readonly output: string;
}

/** Reads `cdk.json` in `directory`; a clear error when it is missing or has no `app`. */
export function readCdkProject(directory: string): CdkProject {
  const file = path.join(directory, 'cdk.json');
  if (!existsSync(file)) throw new Error(`--watch: no cdk.json in ${directory}: run it from your CDK app's folder`);
  const config = readJson(file) as { app?: unknown; output?: unknown };
  if (typeof config.app !== 'string' || !config.app.trim()) throw new Error(`--watch: ${file} has no "app" command to synthesize the app with`);
  return {
    directory,
    appCommand: config.app,
    output: path.resolve(directory, typeof config.output === 'string' ? config.output : 'cdk.out'),
  };
}

export interface SynthResult {
  readonly ok: boolean;
  /** What the app printed (both streams), for a failed synthesis. */
  readonly output: string;
  readonly ms: number;
}

/** Runs the app command once; never rejects (a failing app is a result, with its output). */
export function synthesize(project: CdkProject, cdkOut: string): Promise<SynthResult> {
  const started = Date.now();
  // As the CDK CLI merges them: a key of cdk.json's `context` wins over the same key in cdk.context.json.
  const context = {
    ...readContext(path.join(project.directory, 'cdk.context.json')),
    ...readContext(path.join(project.directory, 'cdk.json')),
    // What the CDK CLI turns on by default, and the runner reads: construct paths and asset folders.
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
  };
  return new Promise((resolve) => {
    const child = spawn(project.appCommand, {
      cwd: project.directory,
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CDK_OUTDIR: cdkOut, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', (error) => resolve({ ok: false, output: `could not run "${project.appCommand}": ${error.message}`, ms: Date.now() - started }));
    child.once('close', (code, signal) => resolve({
      ok: code === 0,
      output: code === 0 ? output : `${output.trimEnd()}\n("${project.appCommand}" exited with ${signal ?? `code ${code}`})`.trimStart(),
      ms: Date.now() - started,
    }));
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf-8'));
  } catch (e) {
    throw new Error(`--watch: ${file}: ${(e as Error).message}`);
  }
}

/** `cdk.json`'s `context`, or the whole of `cdk.context.json`; nothing when the file is not there. */
function readContext(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const value = readJson(file) as Record<string, unknown>;
  const context = path.basename(file) === 'cdk.json' ? value.context : value;
  return typeof context === 'object' && context !== null ? context as Record<string, unknown> : {};
}
