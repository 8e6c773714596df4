/**
 * The environment a function's process starts with: Lambda's variables, the function's own, and nothing
 * of this machine's AWS configuration (its profiles, credentials, endpoints, roles), so that a function
 * run offline never reaches a real AWS account by accident.
 */
import * as path from 'node:path';

export interface FunctionEnvironmentOptions {
  readonly functionName: string;
  readonly handler: string;
  readonly memorySize: number;
  readonly region: string;
  /** `LAMBDA_TASK_ROOT`: the function's code. */
  readonly taskRoot: string;
  /** The function's template environment. */
  readonly environment: Record<string, string>;
  /** Folders on `NODE_PATH`, in order; none: no `NODE_PATH`. */
  readonly nodePath: readonly string[];
  /** A directory that does not exist: the AWS SDK's shared config and credentials files point into it. */
  readonly absentAwsConfigDir: string;
}

/** The variables of the function's process (the log stream name excepted: each process has its own). */
export function functionEnvironment(options: FunctionEnvironmentOptions): Record<string, string> {
  return {
    // Built from scratch: of this machine's variables only PATH and HOME pass, so none of its AWS_PROFILE,
    // AWS_ENDPOINT_URL*, AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_* or credentials does.
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    LANG: 'en_US.UTF-8',
    // As Lambda's runtime sets it: Node looks in the requiring file's node_modules first, so the function's
    // own packages win and these folders (the runtime's AWS SDK) are the fallback.
    ...(options.nodePath.length > 0 ? { NODE_PATH: options.nodePath.join(path.delimiter) } : {}),
    // A function that calls AWS gets these (or its own environment's).
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    // The SDK would otherwise read ~/.aws/config and ~/.aws/credentials: profiles, endpoints, credential processes.
    AWS_CONFIG_FILE: path.join(options.absentAwsConfigDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(options.absentAwsConfigDir, 'credentials'),
    // No instance metadata service to ask for credentials or a region (on an EC2 machine there would be one).
    AWS_EC2_METADATA_DISABLED: 'true',
    ...options.environment,
    // Lambda's reserved variables: a function cannot override them.
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
    LAMBDA_TASK_ROOT: options.taskRoot,
    _HANDLER: options.handler,
    TZ: ':UTC',
  };
}
