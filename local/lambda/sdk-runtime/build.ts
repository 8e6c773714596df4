/**
 * Builds the AWS SDK that offline functions get (see `index.ts`) into `assets/local-runner/runtime/`:
 *
 * - `aws-sdk.js`: one esbuild bundle of every provided package, exporting each package's module object by
 *   name. One module graph, so every package shares one SDK core (`@smithy/*`, `@aws-sdk/core`) and one
 *   `@aws-sdk/client-dynamodb`. Each package is a getter, so a function that requires one client evaluates
 *   only that client's modules.
 * - `node_modules/<package>/`: a shim per package (`package.json` with the installed version, `index.js`
 *   re-exporting its entry of the bundle), for Node's resolution through NODE_PATH.
 *
 * Run by the `bundle:local-runner` task: `ts-node --project scripts/tsconfig.json local/lambda/sdk-runtime/build.ts`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { PROVIDED_SDK_PACKAGES } from './index';

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
/** Where `sdkRuntimeModulesDir()` finds it: next to the bundled runner. */
const RUNTIME_DIR = path.join(REPO_ROOT, 'assets', 'local-runner', 'runtime');
const BUNDLE_FILE = 'aws-sdk.js';

async function main(): Promise<void> {
  // Start clean: a package dropped from the list must not linger in the shipped folder.
  fs.rmSync(RUNTIME_DIR, { recursive: true, force: true });
  const modulesDir = path.join(RUNTIME_DIR, 'node_modules');
  fs.mkdirSync(modulesDir, { recursive: true });

  await build({
    stdin: { contents: bundleEntry(PROVIDED_SDK_PACKAGES), resolveDir: REPO_ROOT, sourcefile: 'aws-sdk-entry.js', loader: 'js' },
    outfile: path.join(RUNTIME_DIR, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    legalComments: 'none',
    // Whitespace and syntax only: a third smaller and faster to load than unminified. Identifiers are not
    // mangled, and keepNames restores the class names that bundling renames (`_ConditionalCheckFailedException`),
    // so `err.constructor.name` reads as with the SDK installed.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    logLevel: 'warning',
  });

  for (const name of PROVIDED_SDK_PACKAGES) {
    writeShim(path.join(modulesDir, name), name, installedVersion(name));
  }

  checkEveryPackageLoads(modulesDir);
  const bytes = fs.statSync(path.join(RUNTIME_DIR, BUNDLE_FILE)).size;
  console.log(`${path.relative(REPO_ROOT, RUNTIME_DIR)}: ${PROVIDED_SDK_PACKAGES.length} packages, ${BUNDLE_FILE} ${(bytes / 1024 / 1024).toFixed(2)} MiB`);
}

/** CommonJS exporting one getter per package, so that requiring one package evaluates only what it needs. */
function bundleEntry(packages: readonly string[]): string {
  const getters = packages.map((name) => `  get ${JSON.stringify(name)}() { return require(${JSON.stringify(name)}); },`);
  return ['module.exports = {', ...getters, '};', ''].join('\n');
}

function writeShim(dir: string, name: string, version: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name, version, main: 'index.js', type: 'commonjs' };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, undefined, 2) + '\n');
  // From runtime/node_modules/@aws-sdk/<name>/ up to runtime/.
  const bundle = path.posix.join(path.posix.relative(`node_modules/${name}`, '.'), BUNDLE_FILE);
  fs.writeFileSync(path.join(dir, 'index.js'), `module.exports = require(${JSON.stringify(bundle)})[${JSON.stringify(name)}];\n`);
}

/** The version installed as a devDependency: the one bundled. */
function installedVersion(name: string): string {
  const manifest = require.resolve(`${name}/package.json`, { paths: [REPO_ROOT] });
  return (JSON.parse(fs.readFileSync(manifest, 'utf-8')) as { version: string }).version;
}

/** Fails the build on a package that resolves to nothing (a name the bundle does not export). */
function checkEveryPackageLoads(modulesDir: string): void {
  for (const name of PROVIDED_SDK_PACKAGES) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported: unknown = require(path.join(modulesDir, name));
    if (typeof exported !== 'object' || exported === null || Object.keys(exported).length === 0) {
      throw new Error(`${name} exports nothing from ${path.join(RUNTIME_DIR, BUNDLE_FILE)}`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
