import { isPlainObject } from '../../src/shared/is-plain-object';

export interface CloudFormationTemplate {
  readonly Parameters?: Record<string, { Type?: string; Default?: unknown; [k: string]: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Resources?: Record<string, { Type: string; Properties?: any; Condition?: string; Metadata?: Record<string, any>; [k: string]: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown }; Condition?: string }>;
}

/** Everything the resolver needs to know of one stack; resources and imports are answered by the caller. */
export interface TemplateContext {
  readonly stackName: string;
  /** arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid> */
  readonly stackId: string;
  readonly region: string;
  readonly account: string;
  /** 'aws' */
  readonly partition: string;
  /** 'amazonaws.com' */
  readonly urlSuffix: string;
  readonly template: CloudFormationTemplate;
  /** Values given to the stack's parameters (by a parent stack, or by the user); else a parameter's Default. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** `Ref` of a resource of this template: its physical id. May throw UnresolvableError. */
  ref(logicalId: string): unknown;
  /** `Fn::GetAtt` of a resource of this template. May throw UnresolvableError. */
  getAtt(logicalId: string, attribute: string): unknown;
  /** `Fn::ImportValue`: the value another stack exports under that name. May throw UnresolvableError. */
  importValue(exportName: string): unknown;
}

/** A value the runner cannot know offline. `expression` is the smallest intrinsic that failed, `reason` says why. */
export class UnresolvableError extends Error {
  constructor(public readonly expression: unknown, public readonly reason: string) {
    super(`cannot resolve ${JSON.stringify(expression)}: ${reason}`);
    this.name = 'UnresolvableError';
  }
}

/** Resolves every intrinsic in `value`, deeply. `{"Ref":"AWS::NoValue"}` removes the key / array element that holds it. */
export function resolveValue(value: unknown, ctx: TemplateContext): unknown {
  const resolved = resolve(value, ctx);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Resolves to a string, or throws UnresolvableError saying what it resolved to instead. */
export function resolveString(value: unknown, ctx: TemplateContext): string {
  const resolved = resolve(value, ctx);
  if (typeof resolved !== 'string') throw new UnresolvableError(value, `it resolved to ${describe(resolved)}, not a string`);
  return resolved;
}

/** The value of a named condition of the template, memoized per context. */
export function evaluateCondition(name: string, ctx: TemplateContext): boolean {
  const cache = cacheOf(conditionValues, ctx, () => new Map<string, boolean>());
  const known = cache.get(name);
  if (known !== undefined) return known;

  const expression = { Condition: name };
  const conditions = ctx.template.Conditions ?? {};
  if (!Object.hasOwn(conditions, name)) throw new UnresolvableError(expression, `the template has no condition named ${name}`);
  const inProgress = cacheOf(conditionsInProgress, ctx, () => [] as string[]);
  if (inProgress.includes(name)) {
    const cycle = [...inProgress.slice(inProgress.indexOf(name)), name].join(' → ');
    throw new UnresolvableError(expression, `conditions refer to each other in a cycle: ${cycle}`);
  }
  inProgress.push(name);
  try {
    const value = evaluateConditionExpression(conditions[name], ctx);
    cache.set(name, value);
    return value;
  } finally {
    inProgress.pop();
  }
}

/** False when the resource has a `Condition` that is false (CloudFormation does not create it), or the template has no such resource. */
export function isResourceCreated(logicalId: string, ctx: TemplateContext): boolean {
  const resources = ctx.template.Resources ?? {};
  if (!Object.hasOwn(resources, logicalId)) return false;
  const condition = resources[logicalId].Condition;
  return condition === undefined || evaluateCondition(condition, ctx);
}

/** Stands for `AWS::NoValue` while resolving, so that the key or element holding it can be dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

const conditionValues = new WeakMap<TemplateContext, Map<string, boolean>>();
const conditionsInProgress = new WeakMap<TemplateContext, string[]>();

function cacheOf<T>(caches: WeakMap<TemplateContext, T>, ctx: TemplateContext, create: () => T): T {
  let cache = caches.get(ctx);
  if (cache === undefined) {
    cache = create();
    caches.set(ctx, cache);
  }
  return cache;
}

function resolve(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') {
    rejectDynamicReference(value, value);
    return value;
  }
  if (Array.isArray(value)) return value.map((element) => resolve(element, ctx)).filter((element) => element !== NO_VALUE);
  if (!isPlainObject(value)) return value;

  const intrinsic = intrinsicOf(value);
  if (intrinsic) {
    if (!Object.hasOwn(INTRINSICS, intrinsic.name)) throw new UnresolvableError(value, `${intrinsic.name} is not evaluated offline`);
    return INTRINSICS[intrinsic.name](intrinsic.argument, ctx, value);
  }
  const resolved: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(value)) {
    const propertyValue = resolve(property, ctx);
    if (propertyValue !== NO_VALUE) resolved[key] = propertyValue;
  }
  return resolved;
}

/** An object with exactly one key that is `Ref` or starts with `Fn::` is an intrinsic function. */
function intrinsicOf(value: Record<string, unknown>): { name: string; argument: unknown } | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const name = keys[0];
  return name === 'Ref' || name.startsWith('Fn::') ? { name, argument: value[name] } : undefined;
}

type Intrinsic = (argument: unknown, ctx: TemplateContext, expression: Record<string, unknown>) => unknown;

const INTRINSICS: Record<string, Intrinsic> = {
  'Ref': (name, ctx, expression) => {
    if (typeof name !== 'string') throw new UnresolvableError(expression, 'Ref takes the name of a parameter or a resource');
    return refOf(name, ctx, expression);
  },

  'Fn::GetAtt': (argument, ctx, expression) => {
    let logicalId: unknown;
    let attribute: unknown;
    if (typeof argument === 'string') {
      // Attributes may themselves contain dots (`Outputs.BucketName`): only the first dot ends the logical id.
      const dot = argument.indexOf('.');
      [logicalId, attribute] = dot < 0 ? [argument, undefined] : [argument.slice(0, dot), argument.slice(dot + 1)];
    } else if (Array.isArray(argument) && argument.length === 2) {
      [logicalId, attribute] = [argument[0], resolveString(argument[1], ctx)];
    }
    if (typeof logicalId !== 'string' || typeof attribute !== 'string' || attribute === '') {
      throw new UnresolvableError(expression, 'Fn::GetAtt takes [logicalId, attribute] or "logicalId.attribute"');
    }
    return getAttOf(logicalId, attribute, ctx, expression);
  },

  'Fn::Join': (argument, ctx, expression) => {
    const [delimiter, list] = argumentsOf(argument, 2, 'Fn::Join', 'a delimiter and a list', expression);
    const separator = resolveString(delimiter, ctx);
    const elements = resolveList(list, ctx, expression, 'Fn::Join');
    const joined = elements.map((element) => scalarString(element, expression, `Fn::Join joins only strings, and got ${describe(element)}`))
      .join(separator);
    rejectDynamicReference(joined, expression);
    return joined;
  },

  'Fn::Sub': (argument, ctx, expression) => {
    const [template, variables] = Array.isArray(argument)
      ? argumentsOf(argument, 2, 'Fn::Sub', 'a template string and a map of variables', expression)
      : [argument, {}];
    if (typeof template !== 'string' || !isPlainObject(variables)) {
      throw new UnresolvableError(expression, 'Fn::Sub takes a template string, or [template string, map of variables]');
    }
    const substituted = template.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
      // `${!Literal}` is how a template writes a literal `${Literal}`.
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      const value = Object.hasOwn(variables, name) ? resolve(variables[name], ctx) : subVariable(name, ctx);
      return scalarString(value, expression, `\${${name}} is ${describe(value)}, and Fn::Sub substitutes only strings`);
    });
    rejectDynamicReference(substituted, expression);
    return substituted;
  },

  'Fn::Select': (argument, ctx, expression) => {
    const [indexArgument, listArgument] = argumentsOf(argument, 2, 'Fn::Select', 'an index and a list', expression);
    const index = resolve(indexArgument, ctx);
    const position = typeof index === 'number' ? index : typeof index === 'string' && /^\d+$/.test(index) ? Number(index) : NaN;
    if (!Number.isInteger(position) || position < 0) throw new UnresolvableError(expression, `${describe(index)} is not a list index`);
    const list = resolveList(listArgument, ctx, expression, 'Fn::Select');
    if (position >= list.length) throw new UnresolvableError(expression, `the index ${position} is out of range for a list of ${list.length}`);
    return list[position];
  },

  'Fn::Split': (argument, ctx, expression) => {
    const [delimiter, source] = argumentsOf(argument, 2, 'Fn::Split', 'a delimiter and a string', expression);
    const separator = resolveString(delimiter, ctx);
    if (separator === '') throw new UnresolvableError(expression, 'Fn::Split needs a delimiter that is not empty');
    return resolveString(source, ctx).split(separator);
  },

  'Fn::If': (argument, ctx, expression) => {
    const [condition, whenTrue, whenFalse] = argumentsOf(argument, 3, 'Fn::If', 'a condition name and two values', expression);
    if (typeof condition !== 'string') throw new UnresolvableError(expression, 'Fn::If takes the name of a condition first');
    // Only the branch taken is resolved: the other may well be unresolvable offline.
    return resolve(evaluateCondition(condition, ctx) ? whenTrue : whenFalse, ctx);
  },

  'Fn::Equals': (_argument, ctx, expression) => evaluateConditionExpression(expression, ctx),
  'Fn::And': (_argument, ctx, expression) => evaluateConditionExpression(expression, ctx),
  'Fn::Or': (_argument, ctx, expression) => evaluateConditionExpression(expression, ctx),
  'Fn::Not': (_argument, ctx, expression) => evaluateConditionExpression(expression, ctx),

  'Fn::FindInMap': (argument, ctx, expression) => {
    // A fourth argument `{ DefaultValue: ... }` comes with the AWS::LanguageExtensions transform.
    if (!Array.isArray(argument) || argument.length < 3 || argument.length > 4) {
      throw new UnresolvableError(expression, 'Fn::FindInMap takes a map name, a top-level key and a second-level key');
    }
    const [mapName, topKey, secondKey] = argument.slice(0, 3).map((key) => resolveString(key, ctx));
    const options = argument[3];
    const hasDefault = isPlainObject(options) && Object.hasOwn(options, 'DefaultValue');
    const missing = (reason: string) => {
      if (hasDefault) return resolve(options.DefaultValue, ctx);
      throw new UnresolvableError(expression, reason);
    };
    const mappings = ctx.template.Mappings ?? {};
    if (!Object.hasOwn(mappings, mapName)) return missing(`the template has no mapping named ${mapName}`);
    const mapping = mappings[mapName];
    if (!Object.hasOwn(mapping, topKey)) return missing(`mapping ${mapName} has no key ${topKey}`);
    if (!Object.hasOwn(mapping[topKey], secondKey)) return missing(`mapping ${mapName} has no key ${secondKey} under ${topKey}`);
    return mapping[topKey][secondKey];
  },

  'Fn::ImportValue': (argument, ctx, expression) => {
    const exportName = resolveString(argument, ctx);
    const value = ctx.importValue(exportName);
    if (value === undefined) throw new UnresolvableError(expression, `no stack exports ${exportName}`);
    return value;
  },

  'Fn::Base64': (argument, ctx) => Buffer.from(resolveString(argument, ctx), 'utf-8').toString('base64'),

  'Fn::GetAZs': (argument, ctx) => {
    const region = resolveString(argument, ctx) || ctx.region;
    return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
  },

  'Fn::Length': (argument, ctx, expression) => resolveList(argument, ctx, expression, 'Fn::Length').length,
};

const PSEUDO_PARAMETERS: Record<string, (ctx: TemplateContext) => unknown> = {
  'AWS::Region': (ctx) => ctx.region,
  'AWS::AccountId': (ctx) => ctx.account,
  'AWS::Partition': (ctx) => ctx.partition,
  'AWS::URLSuffix': (ctx) => ctx.urlSuffix,
  'AWS::StackName': (ctx) => ctx.stackName,
  'AWS::StackId': (ctx) => ctx.stackId,
  'AWS::NoValue': () => NO_VALUE,
  'AWS::NotificationARNs': () => [],
};

function refOf(name: string, ctx: TemplateContext, expression: unknown): unknown {
  if (Object.hasOwn(PSEUDO_PARAMETERS, name)) return PSEUDO_PARAMETERS[name](ctx);
  const parameters = ctx.template.Parameters ?? {};
  if (Object.hasOwn(parameters, name)) return parameterValue(name, parameters[name], ctx, expression);
  requireCreatedResource(name, ctx, expression, `the template has no parameter or resource named ${name}`);
  return ctx.ref(name);
}

function getAttOf(logicalId: string, attribute: string, ctx: TemplateContext, expression: unknown): unknown {
  requireCreatedResource(logicalId, ctx, expression, `the template has no resource named ${logicalId}`);
  const value = ctx.getAtt(logicalId, attribute);
  if (value === undefined) {
    throw new UnresolvableError(expression, `the runner does not know attribute ${attribute} of ${ctx.template.Resources?.[logicalId]?.Type}`);
  }
  return value;
}

function requireCreatedResource(logicalId: string, ctx: TemplateContext, expression: unknown, notFound: string): void {
  const resources = ctx.template.Resources ?? {};
  if (!Object.hasOwn(resources, logicalId)) throw new UnresolvableError(expression, notFound);
  if (!isResourceCreated(logicalId, ctx)) {
    throw new UnresolvableError(expression, `resource ${logicalId} is not created: its condition ${resources[logicalId].Condition} is false`);
  }
}

/** `${Name}` in Fn::Sub: a pseudo parameter, parameter or resource as with Ref; `${Resource.Attribute}` as with Fn::GetAtt. */
function subVariable(name: string, ctx: TemplateContext): unknown {
  const dot = name.indexOf('.');
  if (dot < 0) return refOf(name, ctx, { Ref: name });
  const [logicalId, attribute] = [name.slice(0, dot), name.slice(dot + 1)];
  return getAttOf(logicalId, attribute, ctx, { 'Fn::GetAtt': [logicalId, attribute] });
}

function parameterValue(name: string, declaration: { Type?: string; Default?: unknown }, ctx: TemplateContext, expression: unknown): unknown {
  const type = declaration.Type ?? 'String';
  const supplied = ctx.parameters && Object.hasOwn(ctx.parameters, name) ? ctx.parameters[name] : undefined;
  if (supplied === undefined && type.startsWith('AWS::SSM::Parameter::Value<')) {
    // The Default of an SSM-typed parameter is the SSM parameter's name, not its value (CDK's BootstrapVersion is one).
    const ssmName = declaration.Default === undefined ? `named by parameter ${name}` : String(declaration.Default);
    throw new UnresolvableError(expression, `an SSM parameter (${ssmName}) is not read offline`);
  }
  const value = supplied ?? declaration.Default;
  if (value === undefined) throw new UnresolvableError(expression, `parameter ${name} was given no value and has no Default`);
  return parameterAsReferenced(value, type);
}

/** As CloudFormation hands out parameters: list types as lists of strings, every other type (Number too) as a string. */
function parameterAsReferenced(value: unknown, type: string): unknown {
  const isList = type === 'CommaDelimitedList' || type.startsWith('List<') || type.startsWith('AWS::SSM::Parameter::Value<List<')
    || type.startsWith('AWS::SSM::Parameter::Value<CommaDelimitedList');
  if (isList) {
    if (typeof value === 'string') return value === '' ? [] : value.split(',');
    return Array.isArray(value) ? value.map((element) => (isScalar(element) ? String(element) : element)) : value;
  }
  return isScalar(value) ? String(value) : value;
}

function evaluateConditionExpression(expression: unknown, ctx: TemplateContext): boolean {
  const intrinsic = isPlainObject(expression) ? singleKeyOf(expression) : undefined;
  const operands = (count: number | undefined, what: string): unknown[] => {
    const argument = intrinsic?.argument;
    if (!Array.isArray(argument) || (count !== undefined ? argument.length !== count : argument.length < 1)) {
      throw new UnresolvableError(expression, `${intrinsic?.name} takes ${what}`);
    }
    return argument;
  };
  switch (intrinsic?.name) {
    case 'Fn::Equals': {
      const [left, right] = operands(2, 'two values');
      return sameValue(resolveOperand(left, ctx, expression), resolveOperand(right, ctx, expression));
    }
    // And / Or stop at the first operand that decides them, as an operand that decides nothing may be unknowable offline.
    case 'Fn::And':
      return operands(undefined, 'a list of conditions').every((operand) => evaluateConditionExpression(operand, ctx));
    case 'Fn::Or':
      return operands(undefined, 'a list of conditions').some((operand) => evaluateConditionExpression(operand, ctx));
    case 'Fn::Not':
      return !evaluateConditionExpression(operands(1, 'a list of one condition')[0], ctx);
    case 'Condition':
      if (typeof intrinsic.argument !== 'string') throw new UnresolvableError(expression, 'Condition takes the name of a condition');
      return evaluateCondition(intrinsic.argument, ctx);
    default:
      throw new UnresolvableError(expression, 'a condition is one of Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition');
  }
}

function singleKeyOf(value: Record<string, unknown>): { name: string; argument: unknown } | undefined {
  const keys = Object.keys(value);
  return keys.length === 1 ? { name: keys[0], argument: value[keys[0]] } : undefined;
}

function resolveOperand(value: unknown, ctx: TemplateContext, expression: unknown): unknown {
  const resolved = resolve(value, ctx);
  if (resolved === NO_VALUE) throw new UnresolvableError(expression, 'AWS::NoValue is not a value to compare');
  return resolved;
}

/** Fn::Equals compares as CloudFormation does: `5` equals `"5"`, `true` equals `"true"`. */
function sameValue(left: unknown, right: unknown): boolean {
  const canonical = (value: unknown): unknown => (isScalar(value) ? String(value) : Array.isArray(value) ? value.map(canonical) : value);
  return JSON.stringify(canonical(left)) === JSON.stringify(canonical(right));
}

function resolveList(value: unknown, ctx: TemplateContext, expression: unknown, functionName: string): unknown[] {
  const list = resolve(value, ctx);
  if (!Array.isArray(list)) throw new UnresolvableError(expression, `${functionName} needs a list, and got ${describe(list)}`);
  return list;
}

function argumentsOf(argument: unknown, count: number, functionName: string, what: string, expression: unknown): unknown[] {
  if (!Array.isArray(argument) || argument.length !== count) throw new UnresolvableError(expression, `${functionName} takes ${what}`);
  return argument;
}

function scalarString(value: unknown, expression: unknown, reason: string): string {
  if (!isScalar(value)) throw new UnresolvableError(expression, reason);
  return String(value);
}

const DYNAMIC_REFERENCE = /\{\{resolve:(ssm|ssm-secure|secretsmanager):[^}]*\}\}/;

function rejectDynamicReference(text: string, expression: unknown): void {
  const service = DYNAMIC_REFERENCE.exec(text)?.[1];
  if (service === undefined) return;
  const store = service === 'secretsmanager' ? 'Secrets Manager' : 'SSM Parameter Store';
  throw new UnresolvableError(expression, `a dynamic reference to ${store} is not read offline`);
}

function describe(value: unknown): string {
  if (value === NO_VALUE) return 'AWS::NoValue';
  if (Array.isArray(value)) return `the list ${JSON.stringify(value)}`;
  if (isPlainObject(value)) return `the object ${JSON.stringify(value)}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (value === undefined) return 'nothing';
  return `${typeof value === 'number' ? 'the number' : typeof value === 'boolean' ? 'the boolean' : 'the value'} ${String(value)}`;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
