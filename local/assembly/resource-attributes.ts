import { createHash } from 'crypto';

export interface StackEnvironment {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  readonly urlSuffix: string;
}

/** How CloudFormation names one type of resource: the property that sets the name, and the service's rules for it. */
interface NamingRule {
  readonly nameProperty?: string;
  readonly maxLength?: number;
  readonly minLength?: number;
  /** Characters the service refuses; each is replaced by `-`. */
  readonly invalidCharacters?: RegExp;
  readonly lowercase?: boolean;
  /** The property that, when true, makes the resource FIFO: its name must then end in `.fifo`. */
  readonly fifoProperty?: string;
}

const NAMING_RULES: Record<string, NamingRule> = {
  'AWS::DynamoDB::Table': { nameProperty: 'TableName', minLength: 3, maxLength: 255, invalidCharacters: /[^a-zA-Z0-9_.-]/g },
  'AWS::DynamoDB::GlobalTable': { nameProperty: 'TableName', minLength: 3, maxLength: 255, invalidCharacters: /[^a-zA-Z0-9_.-]/g },
  'AWS::S3::Bucket': { nameProperty: 'BucketName', minLength: 3, maxLength: 63, invalidCharacters: /[^a-z0-9.-]/g, lowercase: true },
  'AWS::SQS::Queue': { nameProperty: 'QueueName', maxLength: 80, invalidCharacters: /[^a-zA-Z0-9_-]/g, fifoProperty: 'FifoQueue' },
  'AWS::SNS::Topic': { nameProperty: 'TopicName', maxLength: 256, invalidCharacters: /[^a-zA-Z0-9_-]/g, fifoProperty: 'FifoTopic' },
  'AWS::Lambda::Function': { nameProperty: 'FunctionName', maxLength: 64, invalidCharacters: /[^a-zA-Z0-9_-]/g },
  'AWS::IAM::Role': { nameProperty: 'RoleName', maxLength: 64, invalidCharacters: /[^\w+=,.@-]/g },
  'AWS::IAM::ManagedPolicy': { nameProperty: 'ManagedPolicyName', maxLength: 128, invalidCharacters: /[^\w+=,.@-]/g },
  'AWS::Logs::LogGroup': { nameProperty: 'LogGroupName' },
  'AWS::SSM::Parameter': { nameProperty: 'Name' },
  'AWS::CloudWatch::Alarm': { nameProperty: 'AlarmName' },
  'AWS::KMS::Alias': { nameProperty: 'AliasName' },
};

const HASH_LENGTH = 8;

/**
 * The name CloudFormation gives a resource that has no explicit name, made deterministic for offline runs
 * (CloudFormation appends a random suffix; offline we use `<stackName>-<logicalId>`), fitted to each service's rules.
 * Lambda versions and aliases are named `<function name>:<version or alias>` from their (resolved) properties,
 * and KMS keys get a key id, since that is what their Ref and ARN are made of.
 */
export function defaultPhysicalName(env: StackEnvironment, logicalId: string, type: string, properties: Record<string, unknown> = {}): string {
  const base = `${env.stackName}-${logicalId}`;
  switch (type) {
    // Their physical ids are UUIDs that AWS generates.
    case 'AWS::KMS::Key':
    case 'AWS::Lambda::EventSourceMapping':
      return deterministicUuid(`${env.stackName}/${logicalId}`);
    case 'AWS::Lambda::Version':
      // Offline, every version is the first one published.
      return `${functionNameOf(properties.FunctionName) ?? base}:1`;
    case 'AWS::Lambda::Alias':
      return `${functionNameOf(properties.FunctionName) ?? base}:${typeof properties.Name === 'string' ? properties.Name : logicalId}`;
  }
  const rule = NAMING_RULES[type] ?? {};
  const fifo = rule.fifoProperty !== undefined && isTrue(properties[rule.fifoProperty]);
  return fitName(base, rule, fifo ? '.fifo' : '');
}

/** The resource's explicit name property (TableName, BucketName, ...), when its type has one; undefined otherwise. */
export function explicitNameProperty(type: string): string | undefined {
  return NAMING_RULES[type]?.nameProperty;
}

/** The value of `Ref` on a resource of that type, given its physical name. */
export function refValue(env: StackEnvironment, type: string, physicalName: string): string {
  switch (type) {
    case 'AWS::SQS::Queue':
      return queueUrl(env, physicalName);
    case 'AWS::SNS::Topic':
      return arn(env, 'sns', physicalName);
    case 'AWS::KMS::Key':
      return keyId(physicalName);
    case 'AWS::Lambda::Version':
    case 'AWS::Lambda::Alias':
      return arn(env, 'lambda', `function:${physicalName}`);
    case 'AWS::IAM::ManagedPolicy':
      return `arn:${env.partition}:iam::${env.account}:policy/${physicalName}`;
    default:
      return physicalName;
  }
}

/** The value of `Fn::GetAtt` on a resource; `undefined` when the runner does not know that attribute of that type. */
export function attributeValue(
  env: StackEnvironment, type: string, physicalName: string, attribute: string, extra: { streamLabel?: string } = {},
): string | undefined {
  return attributesOf(env, type, physicalName, extra)[attribute];
}

function attributesOf(env: StackEnvironment, type: string, name: string, extra: { streamLabel?: string }): Record<string, string | undefined> {
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const tableArn = arn(env, 'dynamodb', `table/${name}`);
      return {
        Arn: tableArn,
        StreamArn: extra.streamLabel !== undefined ? `${tableArn}/stream/${extra.streamLabel}` : undefined,
        TableId: type === 'AWS::DynamoDB::GlobalTable' ? deterministicUuid(tableArn) : undefined,
      };
    }
    case 'AWS::S3::Bucket':
      return {
        Arn: `arn:${env.partition}:s3:::${name}`,
        DomainName: `${name}.s3.${env.urlSuffix}`,
        RegionalDomainName: `${name}.s3.${env.region}.${env.urlSuffix}`,
        DualStackDomainName: `${name}.s3.dualstack.${env.region}.${env.urlSuffix}`,
        WebsiteURL: `http://${name}.s3-website-${env.region}.${env.urlSuffix}`,
      };
    case 'AWS::SQS::Queue':
      return { Arn: arn(env, 'sqs', name), QueueUrl: queueUrl(env, name), QueueName: name };
    case 'AWS::SNS::Topic':
      return { TopicArn: arn(env, 'sns', name), TopicName: name };
    case 'AWS::Lambda::Function':
      return { Arn: arn(env, 'lambda', `function:${name}`) };
    case 'AWS::Lambda::Version':
      return { FunctionArn: arn(env, 'lambda', `function:${name}`), Version: name.slice(name.lastIndexOf(':') + 1) };
    case 'AWS::Lambda::Alias':
      return { AliasArn: arn(env, 'lambda', `function:${name}`) };
    case 'AWS::Lambda::EventSourceMapping':
      return { Id: name, EventSourceMappingArn: arn(env, 'lambda', `event-source-mapping:${name}`) };
    case 'AWS::IAM::Role':
      return { Arn: `arn:${env.partition}:iam::${env.account}:role/${name}`, RoleId: roleId(name) };
    case 'AWS::IAM::ManagedPolicy':
      return { PolicyArn: refValue(env, type, name) };
    case 'AWS::Logs::LogGroup':
      return { Arn: arn(env, 'logs', `log-group:${name}:*`) };
    case 'AWS::CloudWatch::Alarm':
      return { Arn: arn(env, 'cloudwatch', `alarm:${name}`) };
    case 'AWS::KMS::Key':
      return { Arn: arn(env, 'kms', `key/${keyId(name)}`), KeyId: keyId(name) };
    default:
      return {};
  }
}

function arn(env: StackEnvironment, service: string, resource: string): string {
  return `arn:${env.partition}:${service}:${env.region}:${env.account}:${resource}`;
}

function queueUrl(env: StackEnvironment, name: string): string {
  return `https://sqs.${env.region}.${env.urlSuffix}/${env.account}/${name}`;
}

/** A Version's or Alias's FunctionName may be a name, a full ARN or a partial one (`<account>:function:<name>`). */
function functionNameOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const afterFunction = /(?:^|:)function:([^:]+)/.exec(value);
  return afterFunction ? afterFunction[1] : value;
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Applies a service's naming rule to `name`, truncating with a hash of the full name so that distinct names stay distinct. */
function fitName(name: string, rule: NamingRule, suffix: string): string {
  let fitted = rule.lowercase ? name.toLowerCase() : name;
  if (rule.invalidCharacters) fitted = fitted.replace(rule.invalidCharacters, '-');
  if (rule.lowercase) fitted = fitted.replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  const maxLength = rule.maxLength ?? Number.POSITIVE_INFINITY;
  const tooLong = fitted.length + suffix.length > maxLength;
  const tooShort = fitted.length + suffix.length < (rule.minLength ?? 0);
  if (!tooLong && !tooShort) return `${fitted}${suffix}`;
  const hash = shortHash(name);
  const keep = Math.max(0, Math.min(fitted.length, maxLength - suffix.length - HASH_LENGTH - 1));
  const prefix = fitted.slice(0, keep).replace(/[^a-zA-Z0-9]+$/, '');
  return `${prefix ? `${prefix}-` : ''}${hash}${suffix}`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function keyId(physicalName: string): string {
  return UUID.test(physicalName) ? physicalName : deterministicUuid(physicalName);
}

/** A UUID-shaped id (version 5 layout) derived from `seed`, so that offline ids are the same on every run. */
function deterministicUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = '89ab'[parseInt(hex[16], 16) % 4];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** An IAM role id: `AROA` and 17 characters of the base-32 alphabet IAM uses, derived from the role's name. */
function roleId(roleName: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(roleName).digest();
  return `AROA${Array.from(digest.subarray(0, 17), (byte) => alphabet[byte % 32]).join('')}`;
}
