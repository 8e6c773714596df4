import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import type { CloudFormationTemplate } from './intrinsics';

/**
 * The stacks of a synthesized cloud assembly (cdk.out), as CloudFormation would deploy them: every stack
 * artifact, the stacks of nested assemblies (CDK Stages), and nested stacks (AWS::CloudFormation::Stack
 * resources whose template is a file of the assembly).
 */
export interface StackTemplate {
  /** The name CloudFormation deploys the stack under (a nested stack: `<parent>-<logicalId>`). */
  readonly stackName: string;
  /** The artifact id, or `<parent artifact>/<logicalId>` for a nested stack. */
  readonly artifactId: string;
  /** Concrete region and account, or undefined for an environment-agnostic stack. */
  readonly region?: string;
  readonly account?: string;
  readonly template: CloudFormationTemplate;
  readonly templateFile: string;
  /** The folder asset paths of this template are relative to. */
  readonly assemblyDir: string;
  /** For a nested stack: the parent stack and the resource that creates it. */
  readonly parent?: { readonly stack: StackTemplate; readonly logicalId: string };
}

/** A cloud assembly's files are unusable: the message names the file and what to do. */
export class AssemblyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyError';
  }
}

export function readCloudAssembly(cdkOut: string): StackTemplate[] {
  const dir = path.resolve(cdkOut);
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    throw new AssemblyError(`${cdkOut} is not a cloud assembly (no manifest.json): run \`cdk synth\` first`);
  }
  const stacks: StackTemplate[] = [];
  readAssemblyDir(dir, stacks);
  return stacks;
}

function readAssemblyDir(dir: string, out: StackTemplate[]): void {
  const manifest = readJson(path.join(dir, 'manifest.json'), 'the cloud assembly manifest') as { artifacts?: Record<string, any> };
  const artifacts = manifest.artifacts ?? {};
  // Asset manifests tell which template file a nested stack's TemplateURL points at (when metadata is off).
  const assetFiles = new Map<string, string>();
  for (const artifact of Object.values(artifacts)) {
    if (artifact?.type !== 'cdk:asset-manifest' || typeof artifact.properties?.file !== 'string') continue;
    const assets = readJson(path.join(dir, artifact.properties.file), 'an asset manifest') as { files?: Record<string, any> };
    for (const file of Object.values(assets.files ?? {})) {
      for (const destination of Object.values<any>(file?.destinations ?? {})) {
        if (typeof destination?.objectKey === 'string' && typeof file?.source?.path === 'string') assetFiles.set(destination.objectKey, file.source.path);
      }
    }
  }
  for (const [artifactId, artifact] of Object.entries(artifacts)) {
    if (artifact?.type === 'cdk:cloud-assembly' && typeof artifact.properties?.directoryName === 'string') {
      readAssemblyDir(path.join(dir, artifact.properties.directoryName), out);
      continue;
    }
    if (artifact?.type !== 'aws:cloudformation:stack') continue;
    const templateFile = path.join(dir, String(artifact.properties?.templateFile ?? ''));
    const template = readTemplate(templateFile, `the template of stack ${artifactId}`);
    // "aws://123456789012/eu-west-1", or unknown-account / unknown-region for environment-agnostic stacks.
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    const concrete = (v: string | undefined) => (v && !v.startsWith('unknown-') ? v : undefined);
    const stack: StackTemplate = {
      stackName: artifact.properties?.stackName ?? artifactId,
      artifactId,
      account: concrete(env?.[1]),
      region: concrete(env?.[2]),
      template,
      templateFile,
      assemblyDir: dir,
    };
    out.push(stack);
    readNestedStacks(stack, assetFiles, out);
  }
}

function readNestedStacks(parent: StackTemplate, assetFiles: ReadonlyMap<string, string>, out: StackTemplate[]): void {
  for (const [logicalId, resource] of Object.entries(parent.template.Resources ?? {})) {
    if (resource.Type !== 'AWS::CloudFormation::Stack') continue;
    const file = nestedTemplateFile(resource, assetFiles);
    if (!file) {
      throw new AssemblyError(`nested stack ${logicalId} of stack ${parent.stackName}: its template is not a file of the assembly `
        + '(a TemplateURL outside the app is not run offline)');
    }
    const templateFile = path.join(parent.assemblyDir, file);
    const nested: StackTemplate = {
      stackName: `${parent.stackName}-${logicalId}`,
      artifactId: `${parent.artifactId}/${logicalId}`,
      region: parent.region,
      account: parent.account,
      template: readTemplate(templateFile, `the template of nested stack ${logicalId} in stack ${parent.stackName}`),
      templateFile,
      assemblyDir: parent.assemblyDir,
      parent: { stack: parent, logicalId },
    };
    out.push(nested);
    readNestedStacks(nested, assetFiles, out);
  }
}

/** The CLI records the file in metadata; otherwise the TemplateURL ends in the asset's object key. */
function nestedTemplateFile(resource: { Properties?: any; Metadata?: Record<string, any> },
  assetFiles: ReadonlyMap<string, string>): string | undefined {
  const fromMetadata = resource.Metadata?.['aws:asset:path'];
  if (typeof fromMetadata === 'string') return fromMetadata;
  const objectKey = /([0-9a-f]{64}\.json)/.exec(JSON.stringify(resource.Properties?.TemplateURL ?? ''))?.[1];
  return objectKey ? assetFiles.get(objectKey) : undefined;
}

function readTemplate(file: string, what: string): CloudFormationTemplate {
  const template = readJson(file, what);
  if (typeof template !== 'object' || template === null || typeof (template as any).Resources !== 'object') {
    throw new AssemblyError(`${file} (${what}) is not a CloudFormation template: it has no Resources section`);
  }
  return template as CloudFormationTemplate;
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf-8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AssemblyError(`cannot read ${file} (${what}): ${code === 'ENOENT' ? 'the file does not exist' : (e as Error).message}; run \`cdk synth\` again`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AssemblyError(`${file} (${what}) is not valid JSON: ${(e as Error).message}; run \`cdk synth\` again`);
  }
}
