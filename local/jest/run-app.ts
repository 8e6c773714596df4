/**
 * The app of a jest run: named in the jest config, built and synthesized once by the preset's global setup, run
 * by every test file's `LocalRunner.start()`. Test files then load no aws-cdk-lib: in a fresh module registry per
 * file, building the app is most of a file's cost.
 *
 * ```js
 * globals: { 'cdk-stream-triggered-table': { app: 'test/orders-app.ts' } }
 * ```
 *
 * The module (relative to the config's rootDir) exports, as its default export or as the module itself, an
 * aws-cdk-lib `App` (or `Stage`, or a `Stack` of one), or a function that returns one (or a promise of one). It is
 * loaded with Node's `require` in jest's own process, through the project's jest transform (ts-jest, babel-jest):
 * a CommonJS module, or TypeScript compiled to one; Node resolves its imports (jest's `moduleNameMapper` is for
 * test files). One app per jest run: with `projects`, the one of the project jest runs the global setup with.
 */
import * as path from 'path';
import { constructPathsOf, writeConstructPaths } from '../assembly/construct-paths';
import type { SynthesizableApp } from '../runner';

/** The key of the preset's options in the jest config's `globals`. */
export const CONFIG_KEY = 'cdk-stream-triggered-table';

/** What the global setup reads of the project config jest gives it. */
export interface ProjectConfigLike {
  readonly rootDir: string;
  readonly globals?: Record<string, unknown>;
}

/** The app module named in the config, if one is. */
export function configuredAppModule(config: ProjectConfigLike | undefined): string | undefined {
  const options = config?.globals?.[CONFIG_KEY];
  if (options === undefined) return undefined;
  const app = (options as { app?: unknown } | null)?.app;
  if (typeof app !== 'string' || app === '') {
    throw new Error(`jest config globals['${CONFIG_KEY}'].app must be the path of the module that builds the app, got ${JSON.stringify(app)}`);
  }
  return path.resolve(config!.rootDir, app);
}

/** Builds the app of `modulePath` and synthesizes it; resolves to the assembly's folder (construct paths kept in it). */
export async function synthesizeRunApp(modulePath: string): Promise<string> {
  const where = `the app module ${modulePath} (jest config globals['${CONFIG_KEY}'].app)`;
  // Jest runs the global setup again for every run of --watch, in the same process: the user's modules (not
  // packages) are loaded afresh, or an edited stack would go untested.
  for (const file of Object.keys(require.cache)) {
    if (!file.split(path.sep).includes('node_modules')) delete require.cache[file];
  }
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(modulePath);
  } catch (error) {
    throw new Error(`${where} could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  const failed = (error: unknown): never => {
    throw new Error(`${where} could not be built and synthesized: ${(error as Error).message}`, { cause: error });
  };
  const built: unknown = await (async () => {
    const value = (exported as { default?: unknown } | null)?.default ?? exported;
    return typeof value === 'function' ? (value as () => unknown)() : value;
  })().catch(failed);
  const app = synthesizable(built);
  if (!app) throw new Error(`${where} exports neither an App (a Stage, or a Stack of one) nor a function that returns one`);
  let directory: string;
  try {
    directory = path.resolve(app.synth().directory);
  } catch (error) {
    return failed(error);
  }
  writeConstructPaths(directory, constructPathsOf(app));
  return directory;
}

/** The app itself, the app of a stack, or nothing. */
function synthesizable(value: unknown): SynthesizableApp | undefined {
  const isApp = (v: unknown): v is SynthesizableApp => typeof (v as SynthesizableApp | null)?.synth === 'function';
  if (isApp(value)) return value;
  const root = (value as { node?: { root?: unknown } } | null)?.node?.root;
  return isApp(root) ? root : undefined;
}
