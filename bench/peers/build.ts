/**
 * Builds what the handler and cold-start benchmarks run, into bench/.build/handlers/ (generated, git-ignored):
 * the peers and the empty handler with esbuild exactly as our asset is built (`npx projen bundle`:
 * --bundle --platform=node --target=node20 --format=cjs --minify --legal-comments=none), the two child
 * scripts, and, for profiles, unminified builds of every contender (names survive in the profile).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { build, BuildOptions } from 'esbuild';

export const REPO = path.resolve(__dirname, '..', '..');
/** Ours alone: other benchmark sections build into bench/.build/ too. */
export const BUILD_DIR = path.join(REPO, 'bench', '.build', 'handlers');
/** Our handler as shipped: built by `npx projen bundle` (the bench task runs it first). */
export const OURS_ASSET = path.join(REPO, 'assets', 'stream-handler', 'index.js');
export const OURS_SOURCE = path.join(REPO, 'lambda', 'stream-handler', 'index.ts');

export interface Bundles {
  readonly ours: string;
  readonly powertoolsBatch: string;
  readonly floor: string;
  readonly empty: string;
  readonly harness: string;
  readonly coldStartProbe: string;
}

/** The same flags as our asset's bundle task. */
export const HANDLER_BUILD: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};

async function bundle(entry: string, outfile: string, options: BuildOptions = HANDLER_BUILD): Promise<string> {
  await build({ ...options, entryPoints: [entry], outfile, absWorkingDir: REPO });
  return outfile;
}

const peer = (name: string) => path.join(REPO, 'bench', 'peers', name);

export async function buildBundles(): Promise<Bundles> {
  const tool: BuildOptions = { ...HANDLER_BUILD, minify: false };
  const [powertoolsBatch, floor, empty, harness, coldStartProbe] = await Promise.all([
    bundle(peer('powertools-batch-handler.ts'), path.join(BUILD_DIR, 'powertools-batch', 'index.js')),
    bundle(peer('floor-handler.ts'), path.join(BUILD_DIR, 'floor', 'index.js')),
    bundle(peer('empty-handler.ts'), path.join(BUILD_DIR, 'empty', 'index.js')),
    bundle(peer('harness.ts'), path.join(BUILD_DIR, 'harness.js'), tool),
    bundle(peer('cold-start-probe.ts'), path.join(BUILD_DIR, 'cold-start-probe.js'), tool),
  ]);
  return { ours: OURS_ASSET, powertoolsBatch, floor, empty, harness, coldStartProbe };
}

/** Unminified builds of the three handler contenders, for CPU profiles with readable names. */
export async function buildProfileBundles(): Promise<{ ours: string; powertoolsBatch: string; floor: string }> {
  const options: BuildOptions = { ...HANDLER_BUILD, minify: false };
  const dir = path.join(BUILD_DIR, 'profile');
  const [ours, powertoolsBatch, floor] = await Promise.all([
    bundle(OURS_SOURCE, path.join(dir, 'ours.js'), options),
    bundle(peer('powertools-batch-handler.ts'), path.join(dir, 'powertools-batch.js'), options),
    bundle(peer('floor-handler.ts'), path.join(dir, 'floor.js'), options),
  ]);
  return { ours, powertoolsBatch, floor };
}

/** Whether assets/stream-handler/index.js is what lambda/stream-handler/ builds to now (else: run `npx projen bundle`). */
export async function oursAssetIsCurrent(): Promise<boolean> {
  const fresh = await bundle(OURS_SOURCE, path.join(BUILD_DIR, 'ours-from-source', 'index.js'));
  return readFileSync(fresh).equals(readFileSync(OURS_ASSET));
}

/**
 * The environment of every benchmark child: a clean one (nothing inherited that changes Node or Powertools,
 * such as NODE_OPTIONS or POWERTOOLS_DEV), with what Lambda sets and our handler's defaults as the construct
 * deploys them (docs/change-log.md). The peers read only POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL.
 */
export function childEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    TZ: 'UTC',
    LANG: 'C.UTF-8',
    AWS_REGION: 'eu-west-1',
    AWS_LAMBDA_FUNCTION_NAME: 'orders-change-log',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    POWERTOOLS_SERVICE_NAME: 'stream-triggered-table',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    CHANGE_LOG_IMAGES: 'true',
    CHANGE_LOG_REDACT: '[]',
  };
}
