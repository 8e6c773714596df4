/**
 * Construct paths of an app synthesized outside the CDK CLI. Its assembly has no `aws:cdk:path` metadata, so
 * the paths come from the app's construct tree: read here in the process that built the app, and kept next to
 * the assembly when another process runs it (the jest preset synthesizes once, every test file runs it).
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';

/** Kept in the assembly's folder: `<stack name>/<logical id>` -> construct path. */
const FILE = 'construct-paths.local-runner.json';

/**
 * `<stack name>/<logical id>` -> construct path, for every CloudFormation resource in the app's tree. Read by
 * shape (a CfnResource has `cfnResourceType`, `logicalId` and `stack`), so the runner does not load aws-cdk-lib itself.
 */
export function constructPathsOf(app: { readonly node?: { findAll(): readonly unknown[] } }): Map<string, string> {
  const paths = new Map<string, string>();
  for (const construct of app.node?.findAll() ?? []) {
    const resource = construct as {
      cfnResourceType?: unknown;
      logicalId?: unknown;
      node?: { path?: unknown };
      stack?: { stackName?: unknown; resolve(value: unknown): unknown };
    };
    if (typeof resource.cfnResourceType !== 'string' || !resource.stack || typeof resource.node?.path !== 'string') continue;
    try {
      const logicalId = resource.stack.resolve(resource.logicalId);
      const stackName = resource.stack.resolve(resource.stack.stackName);
      if (typeof logicalId === 'string' && typeof stackName === 'string') paths.set(`${stackName}/${logicalId}`, resource.node.path);
    } catch {
      // A nested stack's name is only known at deploy time: its resources keep `<stack>/<logicalId>`.
    }
  }
  return paths;
}

export function writeConstructPaths(cdkOut: string, paths: ReadonlyMap<string, string>): void {
  writeFileSync(path.join(cdkOut, FILE), JSON.stringify(Object.fromEntries(paths)));
}

/** The paths kept next to the assembly, if they were. */
export function readConstructPaths(cdkOut: string): Map<string, string> | undefined {
  const file = path.join(cdkOut, FILE);
  if (!existsSync(file)) return undefined;
  return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf-8')) as Record<string, string>));
}
