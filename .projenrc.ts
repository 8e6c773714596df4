import { awscdk, javascript, JsonFile } from 'projen';

// aws-cdk-lib floor: cdk-nag 3.x (used by the test suite and recommended to users) needs >= 2.257.0.
const CDK_VERSION = '2.257.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-stream-triggered-table',
  description:
    'A DynamoDB table whose every item change runs code: stream, Lambda event source mapping, bundled change-log handler, failure destination that loses no record, alarms and least-privilege IAM.',
  author: 'cdk-stream-triggered-table contributors',
  authorAddress: 'maintainers@cdk-stream-triggered-table.dev',
  repositoryUrl: 'https://github.com/cdk-stream-triggered-table/cdk-stream-triggered-table.git',
  license: 'Apache-2.0',
  keywords: ['aws-cdk', 'cdk', 'dynamodb', 'dynamodb-streams', 'lambda', 'event-source-mapping', 'construct'],
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  sampleCode: false,
  github: false,
  release: false,

  cdkVersion: CDK_VERSION,
  constructsVersion: '10.5.1',
  // typescript "latest" (7.x) breaks ts-node and ts-jest: keep jsii and TypeScript on the same line.
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',

  // Publishing targets (only the npm package is built on these machines).
  publishToPypi: {
    distName: 'cdk-stream-triggered-table',
    module: 'cdk_stream_triggered_table',
  },
  publishToMaven: {
    javaPackage: 'dev.cdkstreamtriggeredtable',
    mavenGroupId: 'dev.cdk-stream-triggered-table',
    mavenArtifactId: 'cdk-stream-triggered-table',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkStreamTriggeredTable',
    packageId: 'CdkStreamTriggeredTable',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-stream-triggered-table/cdk-stream-triggered-table-go',
  },

  // Pinned so that the bundled handler (and therefore asset hashes) is reproducible.
  bundlerOptions: { esbuildVersion: '0.25.12' },

  devDeps: [
    '@types/node@^20',
    '@types/aws-lambda@^8.10.0',
    '@aws-lambda-powertools/logger@2.36.0',
    '@aws-sdk/util-dynamodb@3.996.9',
    '@aws-sdk/client-dynamodb@3.1162.0',
    '@aws-sdk/client-dynamodb-streams@^3.919.0',
    // The AWS SDK that the offline runner gives a function, as Lambda's Node.js runtimes do (one version for all).
    '@aws-sdk/lib-dynamodb@3.1162.0',
    '@aws-sdk/client-s3@3.1162.0',
    '@aws-sdk/client-sns@3.1162.0',
    '@aws-sdk/client-sqs@3.1162.0',
    '@aws-sdk/client-eventbridge@3.1162.0',
    '@aws-sdk/client-lambda@3.1162.0',
    // The local S3 API behind the app's buckets offline.
    's3rver@3.7.1',
    'amplify-dynamodb-simulator@2.9.30',
    'aws-cdk@2.1148.1',
    'cdk-nag@3.0.2',
    // Peers measured side by side in bench/ (never copied into the repository).
    '@aws-solutions-constructs/aws-dynamodbstreams-lambda@2.101.0',
    '@aws-lambda-powertools/batch@2.35.0',
    // The jest preset users know for DynamoDB Local, measured against ours (3.x: the last line for Node 20).
    '@shelf/jest-dynamodb@3.5.0',
    // Integration tests (test/integ.*.ts): deployed by a maintainer, their snapshots verified in CI.
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-cdk/integ-runner@2.197.10',
    // The newest aws-cdk-lib beside the floor: the suite synthesizes every configuration on both ends of
    // the supported range, the newest with its built-in CloudFormation validation on.
    'aws-cdk-lib-latest@npm:aws-cdk-lib@2.276.0',
  ],
  jestOptions: {
    // Snapshots must fail on drift: never rewrite them during `npm test` (update with `npx jest -u`).
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 120_000,
      setupFiles: ['<rootDir>/test/setup-env.ts'],
    },
  },
  gitignore: ['/cdk.out', '/examples/**/cdk.out', '/.local-runner', '/examples/**/.local-runner', '/bench/.build'],

});

/** esbuild for Node.js code we ship: CommonJS, Node 20 syntax (runs on every supported Lambda runtime). */
const ESBUILD_NODE = 'esbuild --bundle --platform=node --target=node20 --format=cjs --legal-comments=none';

// The bundled change-log handler: built by esbuild into assets/ at build time and shipped in the tarball,
// so consumers need neither esbuild nor Docker. Everything is inlined (including @aws-sdk/*), so the
// handler does not depend on the SDK version of the managed runtime.
const bundleHandler = project.addTask('bundle:stream-handler', {
  description: 'Bundle the change-log handler into assets/stream-handler/index.js',
  exec: `${ESBUILD_NODE} lambda/stream-handler/index.ts --minify --outfile=assets/stream-handler/index.js`,
});
project.bundler.bundleTask.spawn(bundleHandler);

// The offline runner (local/): its CLI, its programmatic API and the worker that hosts a function, bundled
// with the AWS SDK inlined so the package needs no runtime dependency. The DynamoDB Local jar is looked up
// at run time in the user's project (it ships in the amplify-dynamodb-simulator npm package).
/** The runner's own copy of the AWS SDK keeps quiet about Node versions (it is not the user's to upgrade). */
const QUIET_SDK = '--define:process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=\'"true"\'';
const bundleRunner = project.addTask('bundle:local-runner', {
  description: 'Bundle the offline runner into assets/local-runner/',
  steps: [
    // The SDK that functions get, built below, is left as the Lambda runtime would have it.
    {
      exec: `${ESBUILD_NODE} local/index.ts local/lambda/function-worker.ts --entry-names=[name] --external:amplify-dynamodb-simulator `
      + `--external:./s3-modules ${QUIET_SDK} --outdir=assets/local-runner`,
    },
    // What only an app with S3 needs (s3rver, the S3 client): half the runner's code, in a file of its own that the
    // runner loads on first use, so a runner on an app without buckets neither compiles nor initializes it.
    { exec: `${ESBUILD_NODE} local/engine/s3-modules.ts ${QUIET_SDK} --outfile=assets/local-runner/s3-modules.js` },
    // The jest preset: its global setup and teardown need only Node (they start and stop DynamoDB Local).
    {
      exec: `${ESBUILD_NODE} local/jest/jest-preset.ts local/jest/global-setup.ts local/jest/global-teardown.ts `
      + '--entry-names=[name] --outdir=assets/local-runner/jest',
    },
    // The CLI loads the bundled API next to it instead of carrying a second copy.
    { exec: `${ESBUILD_NODE} local/cli.ts --external:./index --outfile=assets/local-runner/cli.js` },
    // The AWS SDK that functions find without bundling it offline, as every Lambda Node.js runtime provides one.
    { exec: 'ts-node --project scripts/tsconfig.json local/lambda/sdk-runtime/build.ts' },
    // Types of the programmatic API, for users' own tests. local/ reads src/shared/ (the rules it shares with the
    // construct and the handler), so they are declared from the repository root into a staging folder, then copied
    // into place with the same relative layout (assets/local-runner/ and assets/src/shared/): imports stay valid.
    { exec: 'tsc -p local/tsconfig.build.json' },
    {
      exec: 'node -e "const fs = require(\'fs\'); const from = \'.cache/local-runner-types\'; '
        + 'fs.cpSync(from + \'/local\', \'assets/local-runner\', { recursive: true }); '
        + 'fs.cpSync(from + \'/src/shared\', \'assets/src/shared\', { recursive: true }); '
        + 'fs.rmSync(from, { recursive: true, force: true })"',
    },
  ],
});
project.bundler.bundleTask.spawn(bundleRunner);
new JsonFile(project, 'local/tsconfig.build.json', {
  obj: {
    extends: '../tsconfig.json',
    compilerOptions: {
      rootDir: '..',
      outDir: '../.cache/local-runner-types',
      declaration: true,
      emitDeclarationOnly: true,
      noEmit: false,
      inlineSourceMap: false,
      inlineSources: false,
    },
    include: ['index.ts', 'cli.ts'],
  },
});
project.addBins({ 'cdk-stream-triggered-table-local': 'assets/local-runner/cli.js' });

// The replay of failed batches (replay/): `cdk-stream-triggered-table replay` and the same as a library
// (assets/replay/index.js), each with the AWS SDK inlined, as the runner's.
const bundleReplay = project.addTask('bundle:replay', {
  description: 'Bundle the replay command and library into assets/replay/',
  steps: [
    {
      exec: `${ESBUILD_NODE} replay/index.ts --outfile=assets/replay/index.js `
      + '--define:process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=\'"true"\'',
    },
    // The command loads the bundled library next to it instead of carrying a second copy.
    { exec: `${ESBUILD_NODE} replay/cli.ts --external:./index --outfile=assets/replay/cli.js` },
  ],
});
project.bundler.bundleTask.spawn(bundleReplay);
project.addBins({ 'cdk-stream-triggered-table': 'assets/replay/cli.js' });
// Public entry points: the construct library (what jsii and `require('cdk-stream-triggered-table')` load), the
// offline runner's API, and the jest preset (jest resolves `<preset>/jest-preset`). `typesVersions` gives
// TypeScript's classic `node` resolution (a `cdk init` app's) the runner's types too.
project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './local': { types: './assets/local-runner/index.d.ts', default: './assets/local-runner/index.js' },
  './jest': './assets/local-runner/jest/jest-preset.js',
  './jest/jest-preset': './assets/local-runner/jest/jest-preset.js',
  './jest/jest-preset.js': './assets/local-runner/jest/jest-preset.js',
  './assets/*': './assets/*',
  './package.json': './package.json',
  './.jsii': './.jsii',
});
project.package.addField('typesVersions', { '*': { local: ['assets/local-runner/index.d.ts'] } });

// Sources outside src/ (handler, offline runner, examples, scripts) get their own type-checked
// tsconfig so eslint's project service can lint them.
for (const dir of ['lambda', 'local', 'replay', 'examples', 'scripts', 'bench']) {
  new javascript.TypescriptConfig(project, {
    fileName: `${dir}/tsconfig.json`,
    extends: javascript.TypescriptConfigExtends.fromPaths(['../tsconfig.json']),
    include: ['**/*.ts'],
    exclude: ['**/cdk.out'],
    compilerOptions: { rootDir: '..', noEmit: true },
  });
  project.eslint?.addLintPattern(dir);
  // Their imports are devDependencies: esbuild inlines them, or they never ship.
  project.eslint?.allowDevDeps(`${dir}/**`);
}

// Tests exercise the built handler asset (what ships), so it is bundled before jest runs.
project.testTask.prependSpawn(project.bundler.bundleTask);

// The demo: synthesizes the example app with the real CDK CLI, then runs it offline with the local runner.
const demo = project.addTask('demo', {
  description: 'Synthesize the example app with the CDK CLI and run it offline on DynamoDB Local',
});
demo.spawn(project.bundler.bundleTask);
demo.exec('ts-node --project scripts/tsconfig.json scripts/demo.ts');

// Benchmarks: every section side by side with its peers and a floor, printed as tables and written to
// bench/results/ (JSON, Markdown, SVG) and BENCHMARKS.md. Not part of CI: the numbers need a quiet machine.
const bench = project.addTask('bench', { description: 'Run the benchmarks (see BENCHMARKS.md)', receiveArgs: true });
bench.spawn(project.bundler.bundleTask);
// The jest-suite figures load the compiled library, as a user's test does.
bench.spawn(project.compileTask);
bench.exec('ts-node --project bench/tsconfig.json bench/run.ts', { receiveArgs: true });

// README examples in every language: jsii-rosetta compiles each TypeScript example against the assembly and
// translates it (strict: an example that does not compile or translate fails the build). The translations
// are kept next to the assembly (.jsii.tabl.json), where jsii-pacmak reads them for the Python, Java, .NET and
// Go packages. TypeScript-only examples (the runner's JavaScript API) are fenced `mts`, which rosetta leaves as is.
const rosettaExtract = project.addTask('rosetta:extract', {
  description: 'Compile and translate the README examples (jsii-rosetta, strict)',
  exec: 'jsii-rosetta extract --strict',
});
project.postCompileTask.spawn(rosettaExtract);
project.gitignore.exclude('/.jsii.tabl.json');
project.addPackageIgnore('/rosetta/');

// The four other languages' sources, generated without their compilers or registries, then checked.
const languages = project.addTask('languages', {
  description: 'Generate the Python, Java, .NET and Go sources (jsii-pacmak --code-only) and check them',
  steps: [
    { exec: 'node -e "require(\'fs\').rmSync(\'dist/code-only\', { recursive: true, force: true })"' },
    { exec: 'jsii-pacmak --code-only --target python --target java --target dotnet --target go --outdir dist/code-only --rosetta-unknown-snippets fail' },
    { exec: 'ts-node --project scripts/tsconfig.json scripts/check-languages.ts dist/code-only' },
  ],
});

// Integration tests (test/integ.*.ts): each is an app with assertions that run on deploy. The suite only
// synthesizes them and compares with the committed snapshots (no account needed); a maintainer deploys them.
const INTEG_RUNNER = 'integ-runner --language typescript --app "node -r ts-node/register/transpile-only {filePath}"';
const integSnapshot = project.addTask('integ:snapshot', {
  description: 'Synthesize the integration tests and compare with their committed snapshots (no AWS account)',
  exec: INTEG_RUNNER,
  receiveArgs: true,
});
// Snapshots are integ-runner's output, committed so that drift shows: reviewers read the template diffs.
project.gitattributes.addAttributes('/test/*.snapshot/**', 'linguist-generated');
// integ-runner's working folders (removed when a run ends; left behind when one is interrupted).
project.gitignore.exclude('/test/cdk-integ.out.*');
project.addTask('integ:update-snapshots', {
  description: 'Rewrite the snapshots of the integration tests that changed, without deploying',
  exec: `${INTEG_RUNNER} --update-on-failed --dry-run`,
  receiveArgs: true,
});
project.addTask('integ:deploy', {
  description: 'Deploy every integration test to the AWS account of your credentials, run its assertions, destroy it, update its snapshot',
  exec: `${INTEG_RUNNER} --update-on-failed --force`,
  receiveArgs: true,
});

// `npm test` on a fresh clone: the jsii assembly is built first when missing or stale (the latest-aws-cdk-lib
// test loads lib/), and the README translations every time: jsii-rosetta reuses each translation whose snippet,
// fixture and types did not change (seconds), and fails again on one that does not compile (its tablet keeps
// it, so a condition on the tablet's age would pass the second run). Then the integ snapshots and the four
// languages are checked.
project.testTask.prependSpawn(rosettaExtract);
project.testTask.prependSpawn(project.compileTask, { condition: 'node scripts/stale.js .jsii src README.md package.json' });
project.testTask.spawn(integSnapshot);
project.testTask.spawn(languages);

// The README's two commands work on a fresh clone: the bootstrap installs dependencies when they are
// missing (or stale) before projen itself is needed.
project.package.setScript('test', 'node scripts/bootstrap.js && projen test');
project.package.setScript('demo', 'node scripts/bootstrap.js && projen demo');
project.package.setScript('bench', 'node scripts/bootstrap.js && projen bench');

// npm blocks dependencies' install scripts unless package.json decides. Both of ours are refused on
// purpose: esbuild's postinstall only re-checks the platform binary that its optional dependency already
// installed, and @parcel/watcher's only compiles when no prebuilt binding fits the platform.
project.package.addField('allowScripts', { 'esbuild': false, '@parcel/watcher': false });

// Handler sources, examples and scripts are for the repository, not the tarball (the built asset is).
project.addPackageIgnore('/lambda/');
project.addPackageIgnore('/examples/');
project.addPackageIgnore('/scripts/');
project.addPackageIgnore('/local/');
project.addPackageIgnore('/replay/');
project.addPackageIgnore('/bench/');
project.addPackageIgnore('/.ci/');

project.synth();
