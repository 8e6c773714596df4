import {
  CloudFormationTemplate, evaluateCondition, isResourceCreated, resolveString, resolveValue, TemplateContext, UnresolvableError,
} from '../local/assembly/intrinsics';
import { attributeValue, defaultPhysicalName, explicitNameProperty, refValue, StackEnvironment } from '../local/assembly/resource-attributes';

const ENV: StackEnvironment = { stackName: 'OrdersStack', region: 'eu-west-1', account: '123456789012', partition: 'aws', urlSuffix: 'amazonaws.com' };
const STREAM_LABEL = '2024-05-01T00:00:00.000';
const TABLE = 'OrdersStack-Table7ABB0B9D';
const BUCKET = 'ordersstack-bucket83908e77';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/OrdersStack-Queue4A7E3555';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:orders-alerts';
const FUNCTION = 'OrdersStack-HandlerFunction3E4BD2C7';

// A template shaped as CDK synthesizes one: hashed logical ids, the bootstrap version parameter, conditions and mappings.
const TEMPLATE: CloudFormationTemplate = {
  Parameters: {
    BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
    Stage: { Type: 'String', Default: 'dev', AllowedValues: ['dev', 'prod'] },
    RetentionDays: { Type: 'Number', Default: 7 },
    Subnets: { Type: 'CommaDelimitedList', Default: 'subnet-1,subnet-2' },
    AlertEmail: { Type: 'String' },
  },
  Conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
    IsNotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    InEurope: { 'Fn::Equals': [{ 'Fn::Select': [0, { 'Fn::Split': ['-', { Ref: 'AWS::Region' }] }] }, 'eu'] },
    IsDevInEurope: { 'Fn::And': [{ Condition: 'IsNotProd' }, { Condition: 'InEurope' }] },
    IsProdOrInEurope: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'InEurope' }] },
    KeepsAWeek: { 'Fn::Equals': [{ Ref: 'RetentionDays' }, 7] },
    SameSubnets: { 'Fn::Equals': [{ Ref: 'Subnets' }, ['subnet-1', 'subnet-2']] },
    // The second operand is never needed: Fn::Or stops at the first true one, Fn::And at the first false one.
    ProdOrUnknowable: { 'Fn::Or': [{ Condition: 'InEurope' }, { 'Fn::Equals': [{ Ref: 'BootstrapVersion' }, '21'] }] },
    ProdAndUnknowable: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Equals': [{ Ref: 'BootstrapVersion' }, '21'] }] },
    Loops: { 'Fn::Not': [{ Condition: 'LoopsBack' }] },
    LoopsBack: { 'Fn::And': [{ Condition: 'InEurope' }, { Condition: 'Loops' }] },
    NotACondition: { Ref: 'Stage' },
  },
  Mappings: {
    StageConfig: {
      dev: { Capacity: 1, Zones: ['a', 'b'] },
      prod: { Capacity: 10, Zones: ['a', 'b', 'c'] },
    },
  },
  Resources: {
    Table7ABB0B9D: {
      Type: 'AWS::DynamoDB::Table',
      Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } },
    },
    PlainTableC2D94C8A: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } },
    Bucket83908E77: { Type: 'AWS::S3::Bucket' },
    Queue4A7E3555: { Type: 'AWS::SQS::Queue' },
    DeadLetterQueue9F481546: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
    Topic198E71B3: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'orders-alerts' } },
    HandlerFunction3E4BD2C7: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
    ProdOnlyBucket5DB2A1E0: { Type: 'AWS::S3::Bucket', Condition: 'IsProd' },
    Vpc8378EB38: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
    NestedStackResource4C5B7F0B: { Type: 'AWS::CloudFormation::Stack' },
  },
};

const NESTED_OUTPUTS: Record<string, string> = { OrdersStackNestedTableName: 'OrdersStackNested-Table1' };
const EXPORTS: Record<string, string> = { 'SharedStack:VpcId': 'vpc-0abc1234' };

/** A context backed by resource-attributes.ts, as the runner's will be. */
function fakeContext(parameters?: Record<string, unknown>): TemplateContext {
  const resource = (logicalId: string) => TEMPLATE.Resources![logicalId];
  const physicalName = (logicalId: string) => {
    const { Type: type, Properties: properties = {} } = resource(logicalId);
    const nameProperty = explicitNameProperty(type);
    const explicit = nameProperty ? properties[nameProperty] : undefined;
    return typeof explicit === 'string' ? explicit : defaultPhysicalName(ENV, logicalId, type, properties);
  };
  return {
    ...ENV,
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/OrdersStack/6c3f2d10-0a1b-11ef-9a4f-0a1b2c3d4e5f',
    template: TEMPLATE,
    parameters,
    ref: (logicalId) => refValue(ENV, resource(logicalId).Type, physicalName(logicalId)),
    getAtt: (logicalId, attribute) => {
      const { Type: type, Properties: properties } = resource(logicalId);
      if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return NESTED_OUTPUTS[attribute.slice('Outputs.'.length)];
      const streamLabel = properties?.StreamSpecification ? STREAM_LABEL : undefined;
      return attributeValue(ENV, type, physicalName(logicalId), attribute, { streamLabel });
    },
    importValue: (exportName) => {
      if (!Object.hasOwn(EXPORTS, exportName)) throw new UnresolvableError({ 'Fn::ImportValue': exportName }, `no stack in the assembly exports ${exportName}`);
      return EXPORTS[exportName];
    },
  };
}

function messageOf(resolveIt: () => unknown): string {
  try {
    resolveIt();
  } catch (error) {
    expect(error).toBeInstanceOf(UnresolvableError);
    return (error as UnresolvableError).message;
  }
  throw new Error('expected an UnresolvableError, and the value resolved');
}

describe('resolveValue', () => {
  test.each<[string, unknown, unknown]>([
    // Values with no intrinsic in them stay as they are.
    ['a literal string', 'orders', 'orders'],
    ['a number', 42, 42],
    ['a boolean', true, true],
    ['null', null, null],
    ['an object of literals', { BatchSize: 10, Enabled: true }, { BatchSize: 10, Enabled: true }],
    ['an object of two keys, one Fn::, is not an intrinsic', { 'Fn::Join': 'x', 'Other': { Ref: 'Stage' } }, { 'Fn::Join': 'x', 'Other': 'dev' }],

    // Ref: pseudo parameters.
    ['Ref AWS::Region', { Ref: 'AWS::Region' }, 'eu-west-1'],
    ['Ref AWS::AccountId', { Ref: 'AWS::AccountId' }, '123456789012'],
    ['Ref AWS::Partition', { Ref: 'AWS::Partition' }, 'aws'],
    ['Ref AWS::URLSuffix', { Ref: 'AWS::URLSuffix' }, 'amazonaws.com'],
    ['Ref AWS::StackName', { Ref: 'AWS::StackName' }, 'OrdersStack'],
    ['Ref AWS::StackId', { Ref: 'AWS::StackId' }, 'arn:aws:cloudformation:eu-west-1:123456789012:stack/OrdersStack/6c3f2d10-0a1b-11ef-9a4f-0a1b2c3d4e5f'],
    ['Ref AWS::NotificationARNs', { Ref: 'AWS::NotificationARNs' }, []],
    ['Ref AWS::NoValue on its own', { Ref: 'AWS::NoValue' }, undefined],
    ['Ref AWS::NoValue removes the key', { A: 1, B: { Ref: 'AWS::NoValue' } }, { A: 1 }],
    ['Ref AWS::NoValue removes the element', ['a', { Ref: 'AWS::NoValue' }, 'b'], ['a', 'b']],

    // Ref: parameters, as strings (Number too) or lists.
    ['Ref a String parameter: its Default', { Ref: 'Stage' }, 'dev'],
    ['Ref a Number parameter: a string', { Ref: 'RetentionDays' }, '7'],
    ['Ref a CommaDelimitedList parameter: a list', { Ref: 'Subnets' }, ['subnet-1', 'subnet-2']],

    // Ref: resources, through ctx.ref.
    ['Ref a table: its name', { Ref: 'Table7ABB0B9D' }, TABLE],
    ['Ref a bucket: its name, lowercased', { Ref: 'Bucket83908E77' }, BUCKET],
    ['Ref a queue: its URL', { Ref: 'Queue4A7E3555' }, QUEUE_URL],
    ['Ref a FIFO queue: its URL, ending in .fifo', { Ref: 'DeadLetterQueue9F481546' }, 'https://sqs.eu-west-1.amazonaws.com/123456789012/OrdersStack-DeadLetterQueue9F481546.fifo'],
    ['Ref a topic with a TopicName: its ARN', { Ref: 'Topic198E71B3' }, TOPIC_ARN],
    ['Ref a function: its name', { Ref: 'HandlerFunction3E4BD2C7' }, FUNCTION],

    // Fn::GetAtt, array and string forms.
    ['GetAtt table Arn', { 'Fn::GetAtt': ['Table7ABB0B9D', 'Arn'] }, `arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}`],
    ['GetAtt table StreamArn', { 'Fn::GetAtt': ['Table7ABB0B9D', 'StreamArn'] }, `arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}/stream/${STREAM_LABEL}`],
    ['GetAtt string form', { 'Fn::GetAtt': 'Queue4A7E3555.Arn' }, 'arn:aws:sqs:eu-west-1:123456789012:OrdersStack-Queue4A7E3555'],
    ['GetAtt bucket RegionalDomainName', { 'Fn::GetAtt': ['Bucket83908E77', 'RegionalDomainName'] }, `${BUCKET}.s3.eu-west-1.amazonaws.com`],
    ['GetAtt topic TopicName', { 'Fn::GetAtt': ['Topic198E71B3', 'TopicName'] }, 'orders-alerts'],
    ['GetAtt function Arn', { 'Fn::GetAtt': ['HandlerFunction3E4BD2C7', 'Arn'] }, `arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION}`],
    ['GetAtt with an attribute named by a Ref', { 'Fn::GetAtt': ['Queue4A7E3555', { 'Fn::Join': ['', ['Queue', 'Name']] }] }, 'OrdersStack-Queue4A7E3555'],
    ['GetAtt a nested stack output (array form)', { 'Fn::GetAtt': ['NestedStackResource4C5B7F0B', 'Outputs.OrdersStackNestedTableName'] }, 'OrdersStackNested-Table1'],
    ['GetAtt a nested stack output (string form, split on the first dot)', { 'Fn::GetAtt': 'NestedStackResource4C5B7F0B.Outputs.OrdersStackNestedTableName' }, 'OrdersStackNested-Table1'],

    // Fn::Join, as CDK writes ARNs.
    ['Join: a bucket objects ARN (CDK)', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Bucket83908E77' }, '/*']] }, `arn:aws:s3:::${BUCKET}/*`],
    [
      'Join: a table index ARN (CDK)',
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':table/', { Ref: 'Table7ABB0B9D' }, '/index/*']] },
      `arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}/index/*`,
    ],
    ['Join: a list from an intrinsic', { 'Fn::Join': [',', { Ref: 'Subnets' }] }, 'subnet-1,subnet-2'],
    ['Join: numbers are joined as strings', { 'Fn::Join': [':', ['port', 443]] }, 'port:443'],
    ['Join: a NoValue element is left out', { 'Fn::Join': ['-', ['a', { 'Fn::If': ['IsProd', 'prod', { Ref: 'AWS::NoValue' }] }, 'b']] }, 'a-b'],

    // Fn::Sub.
    ['Sub: pseudo parameters (CDK asset bucket)', { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' }, 'cdk-hnb659fds-assets-123456789012-eu-west-1'],
    [
      'Sub: the CDK deploy role ARN',
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}' },
      'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1',
    ],
    ['Sub: ${Resource}', { 'Fn::Sub': 'table=${Table7ABB0B9D}' }, `table=${TABLE}`],
    ['Sub: ${Resource.Attribute}', { 'Fn::Sub': '${Table7ABB0B9D.Arn}/index/*' }, `arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}/index/*`],
    ['Sub: ${Parameter}', { 'Fn::Sub': 'orders-${Stage}' }, 'orders-dev'],
    ['Sub: ${!Literal} stays literal', { 'Fn::Sub': '${!Literal}-${Stage}' }, '${Literal}-dev'],
    ['Sub: [template, variables]', { 'Fn::Sub': ['${Name}-${AWS::Region}', { Name: { Ref: 'HandlerFunction3E4BD2C7' } }] }, `${FUNCTION}-eu-west-1`],
    ['Sub: a variable overrides a parameter of the same name', { 'Fn::Sub': ['${Stage}', { Stage: 'staging' }] }, 'staging'],
    ['Sub: an unused variable is never resolved', { 'Fn::Sub': ['plain', { Unused: { Ref: 'BootstrapVersion' } }] }, 'plain'],

    // Fn::Select and Fn::Split.
    ['Select: numeric index', { 'Fn::Select': [1, ['a', 'b', 'c']] }, 'b'],
    ['Select: numeric-string index', { 'Fn::Select': ['2', ['a', 'b', 'c']] }, 'c'],
    ['Select: the table name out of its ARN (CDK)', { 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['Table7ABB0B9D', 'Arn'] }] }] }, TABLE],
    ['Select: from Fn::GetAZs (CDK)', { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, 'eu-west-1a'],
    ['Split', { 'Fn::Split': [',', 'a,b,,c'] }, ['a', 'b', '', 'c']],

    // Fn::If.
    ['If: the false branch', { 'Fn::If': ['IsProd', 'big', 'small'] }, 'small'],
    ['If: the true branch', { 'Fn::If': ['IsNotProd', { Ref: 'Stage' }, 'never'] }, 'dev'],
    ['If: the branch not taken is not resolved', { 'Fn::If': ['IsProd', { Ref: 'BootstrapVersion' }, 'safe'] }, 'safe'],
    ['If: NoValue removes the property', { Mode: { 'Fn::If': ['IsProd', 'PROVISIONED', { Ref: 'AWS::NoValue' }] }, Keep: 1 }, { Keep: 1 }],

    // Condition functions, where a value is expected.
    ['Equals as a value', { 'Fn::Equals': [{ Ref: 'Stage' }, 'dev'] }, true],
    ['Not as a value', { 'Fn::Not': [{ 'Fn::Equals': ['a', 'a'] }] }, false],

    // Fn::FindInMap.
    ['FindInMap: a scalar', { 'Fn::FindInMap': ['StageConfig', { Ref: 'Stage' }, 'Capacity'] }, 1],
    ['FindInMap: a list', { 'Fn::FindInMap': ['StageConfig', 'prod', 'Zones'] }, ['a', 'b', 'c']],
    ['FindInMap: DefaultValue for a missing key', { 'Fn::FindInMap': ['StageConfig', 'test', 'Capacity', { DefaultValue: 0 }] }, 0],

    // Fn::ImportValue.
    ['ImportValue', { 'Fn::ImportValue': 'SharedStack:VpcId' }, 'vpc-0abc1234'],
    ['ImportValue of a name built with Sub', { 'Fn::ImportValue': { 'Fn::Sub': ['${Producer}:VpcId', { Producer: 'SharedStack' }] } }, 'vpc-0abc1234'],

    // Fn::Base64, Fn::GetAZs, Fn::Length.
    ['Base64', { 'Fn::Base64': { 'Fn::Sub': '#!/bin/bash\necho ${AWS::Region}' } }, Buffer.from('#!/bin/bash\necho eu-west-1').toString('base64')],
    ['GetAZs of the stack region', { 'Fn::GetAZs': { Ref: 'AWS::Region' } }, ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']],
    ['GetAZs of another region', { 'Fn::GetAZs': 'us-east-1' }, ['us-east-1a', 'us-east-1b', 'us-east-1c']],
    ['Length of a literal list', { 'Fn::Length': ['a', 'b', 'c'] }, 3],
    ['Length of a parameter list', { 'Fn::Length': { Ref: 'Subnets' } }, 2],

    // Deeply, as in a resource's properties.
    [
      'a CDK event source mapping, deeply',
      {
        EventSourceArn: { 'Fn::GetAtt': ['Table7ABB0B9D', 'StreamArn'] },
        FunctionName: { Ref: 'HandlerFunction3E4BD2C7' },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Queue4A7E3555', 'Arn'] } } },
        Tags: [{ Key: 'stage', Value: { Ref: 'Stage' } }, { 'Fn::If': ['IsProd', { Key: 'tier', Value: 'gold' }, { Ref: 'AWS::NoValue' }] }],
      },
      {
        EventSourceArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}/stream/${STREAM_LABEL}`,
        FunctionName: FUNCTION,
        DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:eu-west-1:123456789012:OrdersStack-Queue4A7E3555' } },
        Tags: [{ Key: 'stage', Value: 'dev' }],
      },
    ],
  ])('%s', (_description, expression, expected) => {
    expect(resolveValue(expression, fakeContext())).toEqual(expected);
  });

  test.each<[string, unknown, string]>([
    ['an SSM-typed parameter (CDK BootstrapVersion)', { Ref: 'BootstrapVersion' }, 'cannot resolve {"Ref":"BootstrapVersion"}: an SSM parameter (/cdk-bootstrap/hnb659fds/version) is not read offline'],
    ['an SSM-typed parameter in Sub', { 'Fn::Sub': 'v${BootstrapVersion}' }, 'cannot resolve {"Ref":"BootstrapVersion"}: an SSM parameter (/cdk-bootstrap/hnb659fds/version) is not read offline'],
    ['a parameter with no value and no Default', { Ref: 'AlertEmail' }, 'cannot resolve {"Ref":"AlertEmail"}: parameter AlertEmail was given no value and has no Default'],
    ['Ref of nothing in the template', { Ref: 'Missing' }, 'cannot resolve {"Ref":"Missing"}: the template has no parameter or resource named Missing'],
    ['Ref of a name that is not a string', { Ref: ['Stage'] }, 'cannot resolve {"Ref":["Stage"]}: Ref takes the name of a parameter or a resource'],
    ['Ref of a resource whose condition is false', { Ref: 'ProdOnlyBucket5DB2A1E0' }, 'cannot resolve {"Ref":"ProdOnlyBucket5DB2A1E0"}: resource ProdOnlyBucket5DB2A1E0 is not created: its condition IsProd is false'],
    ['GetAtt of a missing resource', { 'Fn::GetAtt': ['Missing', 'Arn'] }, 'cannot resolve {"Fn::GetAtt":["Missing","Arn"]}: the template has no resource named Missing'],
    ['GetAtt with no attribute', { 'Fn::GetAtt': 'Bucket83908E77' }, 'cannot resolve {"Fn::GetAtt":"Bucket83908E77"}: Fn::GetAtt takes [logicalId, attribute] or "logicalId.attribute"'],
    [
      'GetAtt of an attribute the runner does not know',
      { 'Fn::GetAtt': ['Bucket83908E77', 'MetadataConfiguration.Destination'] },
      'cannot resolve {"Fn::GetAtt":["Bucket83908E77","MetadataConfiguration.Destination"]}: the runner does not know attribute MetadataConfiguration.Destination of AWS::S3::Bucket',
    ],
    ['GetAtt of a type the runner does not know', { 'Fn::GetAtt': ['Vpc8378EB38', 'CidrBlock'] }, 'cannot resolve {"Fn::GetAtt":["Vpc8378EB38","CidrBlock"]}: the runner does not know attribute CidrBlock of AWS::EC2::VPC'],
    [
      'GetAtt StreamArn of a table with no stream',
      { 'Fn::GetAtt': ['PlainTableC2D94C8A', 'StreamArn'] },
      'cannot resolve {"Fn::GetAtt":["PlainTableC2D94C8A","StreamArn"]}: the runner does not know attribute StreamArn of AWS::DynamoDB::Table',
    ],
    ['Sub of a missing resource attribute', { 'Fn::Sub': '${Missing.Arn}' }, 'cannot resolve {"Fn::GetAtt":["Missing","Arn"]}: the template has no resource named Missing'],
    [
      'Sub of a list parameter',
      { 'Fn::Sub': 'subnets: ${Subnets}' },
      'cannot resolve {"Fn::Sub":"subnets: ${Subnets}"}: ${Subnets} is the list ["subnet-1","subnet-2"], and Fn::Sub substitutes only strings',
    ],
    ['Join of something not a list', { 'Fn::Join': ['', 'abc'] }, 'cannot resolve {"Fn::Join":["","abc"]}: Fn::Join needs a list, and got the string "abc"'],
    [
      'Join of a list holding a list',
      { 'Fn::Join': [',', ['a', { Ref: 'Subnets' }]] },
      'cannot resolve {"Fn::Join":[",",["a",{"Ref":"Subnets"}]]}: Fn::Join joins only strings, and got the list ["subnet-1","subnet-2"]',
    ],
    ['Join with the wrong arguments', { 'Fn::Join': ['only one'] }, 'cannot resolve {"Fn::Join":["only one"]}: Fn::Join takes a delimiter and a list'],
    ['Select out of range', { 'Fn::Select': [3, ['a', 'b']] }, 'cannot resolve {"Fn::Select":[3,["a","b"]]}: the index 3 is out of range for a list of 2'],
    ['Select with an index that is not one', { 'Fn::Select': ['first', ['a']] }, 'cannot resolve {"Fn::Select":["first",["a"]]}: the string "first" is not a list index'],
    ['Select with a negative index', { 'Fn::Select': [-1, ['a']] }, 'cannot resolve {"Fn::Select":[-1,["a"]]}: the number -1 is not a list index'],
    ['If of a missing condition', { 'Fn::If': ['Missing', 'a', 'b'] }, 'cannot resolve {"Condition":"Missing"}: the template has no condition named Missing'],
    ['If of conditions in a cycle', { 'Fn::If': ['Loops', 'a', 'b'] }, 'cannot resolve {"Condition":"Loops"}: conditions refer to each other in a cycle: Loops → LoopsBack → Loops'],
    ['If of a condition that is no condition expression', { 'Fn::If': ['NotACondition', 'a', 'b'] }, 'cannot resolve {"Ref":"Stage"}: a condition is one of Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition'],
    ['FindInMap of a missing map', { 'Fn::FindInMap': ['Nope', 'dev', 'Capacity'] }, 'cannot resolve {"Fn::FindInMap":["Nope","dev","Capacity"]}: the template has no mapping named Nope'],
    ['FindInMap of a missing top-level key', { 'Fn::FindInMap': ['StageConfig', 'test', 'Capacity'] }, 'cannot resolve {"Fn::FindInMap":["StageConfig","test","Capacity"]}: mapping StageConfig has no key test'],
    [
      'FindInMap of a missing second-level key',
      { 'Fn::FindInMap': ['StageConfig', { Ref: 'Stage' }, 'Memory'] },
      'cannot resolve {"Fn::FindInMap":["StageConfig",{"Ref":"Stage"},"Memory"]}: mapping StageConfig has no key Memory under dev',
    ],
    ['ImportValue of a name no stack exports', { 'Fn::ImportValue': 'Other:Thing' }, 'cannot resolve {"Fn::ImportValue":"Other:Thing"}: no stack in the assembly exports Other:Thing'],
    [
      'ImportValue of a name with a literal ${...} in it',
      { 'Fn::ImportValue': { 'Fn::Sub': 'SharedStack:${!VpcId}' } },
      'cannot resolve {"Fn::ImportValue":"SharedStack:${VpcId}"}: no stack in the assembly exports SharedStack:${VpcId}',
    ],
    ['Length of something not a list', { 'Fn::Length': 'abc' }, 'cannot resolve {"Fn::Length":"abc"}: Fn::Length needs a list, and got the string "abc"'],
    ['Base64 of a list', { 'Fn::Base64': ['a'] }, 'cannot resolve ["a"]: it resolved to the list ["a"], not a string'],
    ['Fn::Cidr', { 'Fn::Cidr': ['10.0.0.0/16', 6, 5] }, 'cannot resolve {"Fn::Cidr":["10.0.0.0/16",6,5]}: Fn::Cidr is not evaluated offline'],
    ['Fn::Transform', { 'Fn::Transform': { Name: 'AWS::Include' } }, 'cannot resolve {"Fn::Transform":{"Name":"AWS::Include"}}: Fn::Transform is not evaluated offline'],
    ['Fn::ToJsonString', { 'Fn::ToJsonString': { a: 1 } }, 'cannot resolve {"Fn::ToJsonString":{"a":1}}: Fn::ToJsonString is not evaluated offline'],
    ['a dynamic reference to SSM', '{{resolve:ssm:/orders/api-url}}', 'cannot resolve "{{resolve:ssm:/orders/api-url}}": a dynamic reference to SSM Parameter Store is not read offline'],
    ['a dynamic reference to SSM SecureString', 'pw={{resolve:ssm-secure:/orders/db-password:3}}', 'cannot resolve "pw={{resolve:ssm-secure:/orders/db-password:3}}": a dynamic reference to SSM Parameter Store is not read offline'],
    [
      'a dynamic reference to Secrets Manager',
      { Password: '{{resolve:secretsmanager:orders-db:SecretString:password}}' },
      'cannot resolve "{{resolve:secretsmanager:orders-db:SecretString:password}}": a dynamic reference to Secrets Manager is not read offline',
    ],
    [
      'a dynamic reference built by Join (CDK valueForStringParameter)',
      { 'Fn::Join': ['', ['{{resolve:ssm:/orders/', { Ref: 'Stage' }, '/url}}']] },
      'cannot resolve {"Fn::Join":["",["{{resolve:ssm:/orders/",{"Ref":"Stage"},"/url}}"]]}: a dynamic reference to SSM Parameter Store is not read offline',
    ],
    [
      'a dynamic reference built by Sub',
      { 'Fn::Sub': '{{resolve:secretsmanager:${Stage}-db}}' },
      'cannot resolve {"Fn::Sub":"{{resolve:secretsmanager:${Stage}-db}}"}: a dynamic reference to Secrets Manager is not read offline',
    ],
  ])('unresolvable: %s', (_description, expression, message) => {
    expect(messageOf(() => resolveValue(expression, fakeContext()))).toBe(message);
  });

  test('the error carries the failing expression and the reason', () => {
    let caught: unknown;
    try {
      resolveValue({ Outer: { 'Fn::Join': ['', ['x', { Ref: 'AlertEmail' }]] } }, fakeContext());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnresolvableError);
    expect((caught as UnresolvableError).expression).toEqual({ Ref: 'AlertEmail' });
    expect((caught as UnresolvableError).reason).toBe('parameter AlertEmail was given no value and has no Default');
  });

  test.each<[string, unknown, unknown]>([
    ['a supplied String parameter', { Ref: 'Stage' }, 'prod'],
    ['a supplied SSM-typed parameter', { Ref: 'BootstrapVersion' }, '21'],
    ['a supplied parameter with no Default', { Ref: 'AlertEmail' }, 'ops@example.com'],
    ['a supplied list parameter, as a comma-separated string', { Ref: 'Subnets' }, ['subnet-7', 'subnet-8', 'subnet-9']],
    ['a condition on a supplied parameter', { 'Fn::If': ['IsProd', 'big', 'small'] }, 'big'],
    ['a resource whose condition is now true', { Ref: 'ProdOnlyBucket5DB2A1E0' }, 'ordersstack-prodonlybucket5db2a1e0'],
  ])('with parameters supplied: %s', (_description, expression, expected) => {
    const ctx = fakeContext({ Stage: 'prod', BootstrapVersion: '21', AlertEmail: 'ops@example.com', Subnets: 'subnet-7,subnet-8,subnet-9' });
    expect(resolveValue(expression, ctx)).toEqual(expected);
  });
});

describe('evaluateCondition', () => {
  test.each<[string, Record<string, unknown> | undefined, boolean]>([
    ['IsProd', undefined, false],
    ['IsProd', { Stage: 'prod' }, true],
    ['IsNotProd', undefined, true],
    ['InEurope', undefined, true],
    ['IsDevInEurope', undefined, true],
    ['IsDevInEurope', { Stage: 'prod' }, false],
    ['IsProdOrInEurope', undefined, true],
    ['KeepsAWeek', undefined, true],
    ['KeepsAWeek', { RetentionDays: '30' }, false],
    ['SameSubnets', undefined, true],
    ['ProdOrUnknowable', undefined, true],
    ['ProdAndUnknowable', undefined, false],
  ])('%s with parameters %j is %s', (name, parameters, expected) => {
    expect(evaluateCondition(name, fakeContext(parameters))).toBe(expected);
  });

  test.each<[string, string]>([
    ['Loops', 'cannot resolve {"Condition":"Loops"}: conditions refer to each other in a cycle: Loops → LoopsBack → Loops'],
    ['LoopsBack', 'cannot resolve {"Condition":"LoopsBack"}: conditions refer to each other in a cycle: LoopsBack → Loops → LoopsBack'],
    ['Missing', 'cannot resolve {"Condition":"Missing"}: the template has no condition named Missing'],
    ['ProdAndUnknowable', 'cannot resolve {"Ref":"BootstrapVersion"}: an SSM parameter (/cdk-bootstrap/hnb659fds/version) is not read offline'],
  ])('unresolvable: %s', (name, message) => {
    const parameters = name === 'ProdAndUnknowable' ? { Stage: 'prod' } : undefined;
    expect(messageOf(() => evaluateCondition(name, fakeContext(parameters)))).toBe(message);
  });

  test('a cycle reported once leaves later evaluations on the same context sound', () => {
    const ctx = fakeContext();
    expect(messageOf(() => evaluateCondition('Loops', ctx))).toContain('cycle');
    expect(evaluateCondition('IsDevInEurope', ctx)).toBe(true);
  });
});

describe('isResourceCreated', () => {
  test.each<[string, Record<string, unknown> | undefined, boolean]>([
    ['Table7ABB0B9D', undefined, true],
    ['ProdOnlyBucket5DB2A1E0', undefined, false],
    ['ProdOnlyBucket5DB2A1E0', { Stage: 'prod' }, true],
    ['NotInTheTemplate', undefined, false],
  ])('%s with parameters %j: %s', (logicalId, parameters, expected) => {
    expect(isResourceCreated(logicalId, fakeContext(parameters))).toBe(expected);
  });
});

describe('resolveString', () => {
  test.each<[unknown, string]>([
    [{ Ref: 'Stage' }, 'dev'],
    [{ 'Fn::GetAtt': ['Bucket83908E77', 'Arn'] }, `arn:aws:s3:::${BUCKET}`],
    [{ 'Fn::Select': [0, { Ref: 'Subnets' }] }, 'subnet-1'],
  ])('%j → %s', (expression, expected) => {
    expect(resolveString(expression, fakeContext())).toBe(expected);
  });

  test.each<[unknown, string]>([
    [{ Ref: 'Subnets' }, 'cannot resolve {"Ref":"Subnets"}: it resolved to the list ["subnet-1","subnet-2"], not a string'],
    [{ 'Fn::FindInMap': ['StageConfig', 'dev', 'Capacity'] }, 'cannot resolve {"Fn::FindInMap":["StageConfig","dev","Capacity"]}: it resolved to the number 1, not a string'],
    [{ 'Fn::If': ['IsProd', 'x', { Ref: 'AWS::NoValue' }] }, 'cannot resolve {"Fn::If":["IsProd","x",{"Ref":"AWS::NoValue"}]}: it resolved to AWS::NoValue, not a string'],
    [{ Tag: 'x' }, 'cannot resolve {"Tag":"x"}: it resolved to the object {"Tag":"x"}, not a string'],
  ])('%j is not a string', (expression, message) => {
    expect(messageOf(() => resolveString(expression, fakeContext()))).toBe(message);
  });
});

describe('defaultPhysicalName', () => {
  const longStack: StackEnvironment = { ...ENV, stackName: 'OrdersServiceProductionEuropeWestPrimaryStack' };
  const longLogicalId = 'OrdersTableStreamConsumerHandlerFunctionWithAVeryLongName3E4BD2C7';

  test.each<[string, StackEnvironment, string, string, Record<string, unknown> | undefined, string]>([
    ['a table', ENV, 'Table7ABB0B9D', 'AWS::DynamoDB::Table', undefined, 'OrdersStack-Table7ABB0B9D'],
    ['a global table', ENV, 'GlobalTable1A2B3C4D', 'AWS::DynamoDB::GlobalTable', undefined, 'OrdersStack-GlobalTable1A2B3C4D'],
    ['a bucket, lowercased', ENV, 'Bucket83908E77', 'AWS::S3::Bucket', undefined, 'ordersstack-bucket83908e77'],
    ['a queue', ENV, 'Queue4A7E3555', 'AWS::SQS::Queue', undefined, 'OrdersStack-Queue4A7E3555'],
    ['a FIFO queue', ENV, 'Queue4A7E3555', 'AWS::SQS::Queue', { FifoQueue: true }, 'OrdersStack-Queue4A7E3555.fifo'],
    ['a FIFO queue, FifoQueue as a string', ENV, 'Queue4A7E3555', 'AWS::SQS::Queue', { FifoQueue: 'true' }, 'OrdersStack-Queue4A7E3555.fifo'],
    ['a topic', ENV, 'Topic198E71B3', 'AWS::SNS::Topic', undefined, 'OrdersStack-Topic198E71B3'],
    ['a FIFO topic', ENV, 'Topic198E71B3', 'AWS::SNS::Topic', { FifoTopic: true }, 'OrdersStack-Topic198E71B3.fifo'],
    ['a function', ENV, 'HandlerFunction3E4BD2C7', 'AWS::Lambda::Function', undefined, 'OrdersStack-HandlerFunction3E4BD2C7'],
    ['a role', ENV, 'HandlerRoleB1C2D3E4', 'AWS::IAM::Role', undefined, 'OrdersStack-HandlerRoleB1C2D3E4'],
    ['a log group', ENV, 'LogGroupF5B46931', 'AWS::Logs::LogGroup', undefined, 'OrdersStack-LogGroupF5B46931'],
    ['a type with no naming rule', ENV, 'Vpc8378EB38', 'AWS::EC2::VPC', undefined, 'OrdersStack-Vpc8378EB38'],
    ['a Lambda version', ENV, 'HandlerCurrentVersion', 'AWS::Lambda::Version', { FunctionName: FUNCTION }, `${FUNCTION}:1`],
    [
      'a Lambda alias of a function named by ARN',
      ENV, 'HandlerAliasLive', 'AWS::Lambda::Alias', { FunctionName: `arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION}`, Name: 'live' }, `${FUNCTION}:live`,
    ],
  ])('%s', (_description, env, logicalId, type, properties, expected) => {
    expect(defaultPhysicalName(env, logicalId, type, properties)).toBe(expected);
  });

  test.each<[string, number, string, Record<string, unknown> | undefined, string]>([
    ['AWS::S3::Bucket', 63, longLogicalId, undefined, 'ordersserviceproductioneuropewestprimarystack-ordersta-1f256ec9'],
    ['AWS::Lambda::Function', 64, longLogicalId, undefined, 'OrdersServiceProductionEuropeWestPrimaryStack-OrdersTab-1f256ec9'],
    ['AWS::IAM::Role', 64, longLogicalId, undefined, 'OrdersServiceProductionEuropeWestPrimaryStack-OrdersTab-1f256ec9'],
    ['AWS::SQS::Queue', 80, `${longLogicalId}Dlq`, { FifoQueue: true }, 'OrdersServiceProductionEuropeWestPrimaryStack-OrdersTableStreamCon-fa71343f.fifo'],
  ])('a long %s name is cut to its limit of %d, with a hash of the full name', (type, limit, logicalId, properties, expected) => {
    const name = defaultPhysicalName(longStack, logicalId, type, properties);
    expect(name).toBe(expected);
    expect(name).toHaveLength(limit);
    // Two names that differ only past the cut stay distinct.
    expect(defaultPhysicalName(longStack, `${logicalId}2`, type, properties)).not.toBe(name);
  });

  test('a KMS key gets a UUID-shaped key id, the same on every run', () => {
    const keyId = defaultPhysicalName(ENV, 'Key961B73FD', 'AWS::KMS::Key');
    expect(keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(defaultPhysicalName(ENV, 'Key961B73FD', 'AWS::KMS::Key')).toBe(keyId);
    expect(defaultPhysicalName(ENV, 'OtherKeyB2C3D4E5', 'AWS::KMS::Key')).not.toBe(keyId);
  });
});

describe('explicitNameProperty', () => {
  test.each<[string, string | undefined]>([
    ['AWS::DynamoDB::Table', 'TableName'],
    ['AWS::DynamoDB::GlobalTable', 'TableName'],
    ['AWS::S3::Bucket', 'BucketName'],
    ['AWS::SQS::Queue', 'QueueName'],
    ['AWS::SNS::Topic', 'TopicName'],
    ['AWS::Lambda::Function', 'FunctionName'],
    ['AWS::IAM::Role', 'RoleName'],
    ['AWS::Logs::LogGroup', 'LogGroupName'],
    ['AWS::KMS::Key', undefined],
    ['AWS::EC2::VPC', undefined],
  ])('%s → %s', (type, expected) => {
    expect(explicitNameProperty(type)).toBe(expected);
  });
});

describe('refValue', () => {
  const keyId = '0f8e2f4c-1b2a-5c3d-8e4f-a1b2c3d4e5f6';
  test.each<[string, string, string]>([
    ['AWS::DynamoDB::Table', 'orders', 'orders'],
    ['AWS::DynamoDB::GlobalTable', 'orders', 'orders'],
    ['AWS::S3::Bucket', 'orders-bucket', 'orders-bucket'],
    ['AWS::SQS::Queue', 'orders-dlq', 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq'],
    ['AWS::SNS::Topic', 'orders-alerts', TOPIC_ARN],
    ['AWS::Lambda::Function', FUNCTION, FUNCTION],
    ['AWS::IAM::Role', 'orders-role', 'orders-role'],
    ['AWS::Logs::LogGroup', '/aws/lambda/orders', '/aws/lambda/orders'],
    ['AWS::KMS::Key', keyId, keyId],
    ['AWS::Lambda::Version', `${FUNCTION}:1`, `arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION}:1`],
    ['AWS::Lambda::Alias', `${FUNCTION}:live`, `arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION}:live`],
    ['AWS::IAM::ManagedPolicy', 'orders-read', 'arn:aws:iam::123456789012:policy/orders-read'],
    ['AWS::EC2::VPC', 'OrdersStack-Vpc8378EB38', 'OrdersStack-Vpc8378EB38'],
  ])('%s named %s → %s', (type, physicalName, expected) => {
    expect(refValue(ENV, type, physicalName)).toBe(expected);
  });

  test('a KMS key named by something other than a key id still refs to a UUID-shaped key id', () => {
    expect(refValue(ENV, 'AWS::KMS::Key', 'OrdersStack-Key961B73FD')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('attributeValue', () => {
  const keyId = '0f8e2f4c-1b2a-5c3d-8e4f-a1b2c3d4e5f6';
  const label = { streamLabel: STREAM_LABEL };
  test.each<[string, string, string, { streamLabel?: string } | undefined, string | undefined]>([
    ['AWS::DynamoDB::Table', 'orders', 'Arn', undefined, 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders'],
    ['AWS::DynamoDB::Table', 'orders', 'StreamArn', label, `arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/${STREAM_LABEL}`],
    ['AWS::DynamoDB::Table', 'orders', 'StreamArn', undefined, undefined],
    ['AWS::DynamoDB::Table', 'orders', 'TableId', undefined, undefined],
    ['AWS::DynamoDB::GlobalTable', 'orders', 'Arn', undefined, 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders'],
    ['AWS::DynamoDB::GlobalTable', 'orders', 'StreamArn', label, `arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/${STREAM_LABEL}`],
    ['AWS::S3::Bucket', 'orders-bucket', 'Arn', undefined, 'arn:aws:s3:::orders-bucket'],
    ['AWS::S3::Bucket', 'orders-bucket', 'DomainName', undefined, 'orders-bucket.s3.amazonaws.com'],
    ['AWS::S3::Bucket', 'orders-bucket', 'RegionalDomainName', undefined, 'orders-bucket.s3.eu-west-1.amazonaws.com'],
    ['AWS::S3::Bucket', 'orders-bucket', 'DualStackDomainName', undefined, 'orders-bucket.s3.dualstack.eu-west-1.amazonaws.com'],
    ['AWS::S3::Bucket', 'orders-bucket', 'WebsiteURL', undefined, 'http://orders-bucket.s3-website-eu-west-1.amazonaws.com'],
    ['AWS::SQS::Queue', 'orders-dlq', 'Arn', undefined, 'arn:aws:sqs:eu-west-1:123456789012:orders-dlq'],
    ['AWS::SQS::Queue', 'orders-dlq', 'QueueUrl', undefined, 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq'],
    ['AWS::SQS::Queue', 'orders-dlq', 'QueueName', undefined, 'orders-dlq'],
    ['AWS::SNS::Topic', 'orders-alerts', 'TopicArn', undefined, TOPIC_ARN],
    ['AWS::SNS::Topic', 'orders-alerts', 'TopicName', undefined, 'orders-alerts'],
    ['AWS::Lambda::Function', FUNCTION, 'Arn', undefined, `arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION}`],
    ['AWS::Lambda::Function', FUNCTION, 'SnapStartResponse.ApplyOn', undefined, undefined],
    ['AWS::Lambda::Version', `${FUNCTION}:1`, 'Version', undefined, '1'],
    ['AWS::Lambda::Version', `${FUNCTION}:1`, 'FunctionArn', undefined, `arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION}:1`],
    ['AWS::Lambda::Alias', `${FUNCTION}:live`, 'AliasArn', undefined, `arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION}:live`],
    ['AWS::IAM::Role', 'orders-role', 'Arn', undefined, 'arn:aws:iam::123456789012:role/orders-role'],
    ['AWS::Logs::LogGroup', '/aws/lambda/orders', 'Arn', undefined, 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders:*'],
    ['AWS::KMS::Key', keyId, 'Arn', undefined, `arn:aws:kms:eu-west-1:123456789012:key/${keyId}`],
    ['AWS::KMS::Key', keyId, 'KeyId', undefined, keyId],
    ['AWS::EC2::VPC', 'vpc', 'CidrBlock', undefined, undefined],
  ])('%s %s: %s', (type, physicalName, attribute, extra, expected) => {
    expect(attributeValue(ENV, type, physicalName, attribute, extra)).toBe(expected);
  });

  test.each<[string, string, RegExp]>([
    ['AWS::DynamoDB::GlobalTable', 'TableId', /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
    ['AWS::IAM::Role', 'RoleId', /^AROA[A-Z2-7]{17}$/],
  ])('%s %s is shaped as AWS shapes it and stable', (type, attribute, shape) => {
    const value = attributeValue(ENV, type, 'orders', attribute);
    expect(value).toMatch(shape);
    expect(attributeValue(ENV, type, 'orders', attribute)).toBe(value);
    expect(attributeValue(ENV, type, 'payments', attribute)).not.toBe(value);
  });

  test('the partition and URL suffix come from the environment', () => {
    const china: StackEnvironment = { ...ENV, region: 'cn-north-1', partition: 'aws-cn', urlSuffix: 'amazonaws.com.cn' };
    expect(attributeValue(china, 'AWS::S3::Bucket', 'orders-bucket', 'RegionalDomainName')).toBe('orders-bucket.s3.cn-north-1.amazonaws.com.cn');
    expect(attributeValue(china, 'AWS::IAM::Role', 'orders-role', 'Arn')).toBe('arn:aws-cn:iam::123456789012:role/orders-role');
    expect(refValue(china, 'AWS::SQS::Queue', 'orders-dlq')).toBe('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders-dlq');
  });
});
