/**
 * The jest preset's global setup: one DynamoDB Local for the whole jest run, shared by every worker, and, when the
 * jest config names one, the run's app, built and synthesized once (see run-app.ts) while the JVM starts. The
 * endpoint and the assembly go into the environment, which jest's workers inherit; `LocalRunner.start()` in a
 * test file then joins the engine with tables of its own (a prefix per runner), instead of starting a JVM per
 * file, and runs the assembly.
 */
import { configuredAppModule, ProjectConfigLike, synthesizeRunApp } from './run-app';
import { sharedAssembly, sharedEngine } from './setup-handover';
import { SHARED_ASSEMBLY_VARIABLE } from '../assembly/shared-assembly';
import { startDynamoDbLocal } from '../engine/dynamodb-local';
import { testEngineJavaOptions } from '../engine/java-options';
import { SHARED_DYNAMODB_ENDPOINT_VARIABLE } from '../engine/shared-dynamodb';

export default async function globalSetup(_globalConfig: unknown, projectConfig?: ProjectConfigLike): Promise<void> {
  const appModule = configuredAppModule(projectConfig);
  // One given from outside (a DynamoDB Local the CI job already runs) is used as it is.
  let spawned = (): void => undefined;
  const jvmSpawned = new Promise<void>((resolve) => (spawned = resolve));
  const engine = process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE]
    ? undefined
    : startDynamoDbLocal({ javaOptions: testEngineJavaOptions(), onSpawned: () => spawned() });
  // Awaited below, after the app: a failed start is not an unhandled rejection meanwhile.
  engine?.catch(() => undefined);
  try {
    if (appModule) {
      // The app is built in this process while the JVM starts in its own: once the JVM is spawned (or could not
      // be), since building the app leaves the event loop no turn. Its folder is aws-cdk-lib's (a temporary one
      // unless the app names its outdir), as for an app synthesized in a test.
      if (engine) await Promise.race([jvmSpawned, engine.then(() => undefined, () => undefined)]);
      const assembly = await synthesizeRunApp(appModule);
      sharedAssembly.hold(assembly);
      process.env[SHARED_ASSEMBLY_VARIABLE] = assembly;
    }
  } catch (error) {
    await engine?.then((e) => e.stop(), () => undefined);
    throw error;
  }
  if (engine) {
    const started = await engine;
    sharedEngine.hold(started);
    process.env[SHARED_DYNAMODB_ENDPOINT_VARIABLE] = started.endpoint;
  }
}
