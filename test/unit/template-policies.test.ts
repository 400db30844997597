// template.yaml's policies that keep people off revoker itself, evaluated by an independent IAM
// engine (@cloud-copilot/iam-simulate, a test oracle only) against requests naming the stack's
// own resources as one deployment of the template names them:
// - GrantGuardPolicy, attached with every just-in-time grant: a grant of PowerUserAccess (or of
//   anything) must not reach revoker's schedules, secrets, cases, executions, functions, topic,
//   evidence, logs, rules, roles or stack — and every resource the template adds must be covered.
// - NotifyTopicPolicy: only the functions that page publish, only named admins subscribe.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../fixtures/template.ts';
import { DEPLOYMENT, TemplateResolver } from '../fixtures/template-resolve.ts';

const template = loadTemplate();
const stack = new TemplateResolver(template);
const { accountId: ACCOUNT, region: REGION } = DEPLOYMENT;
const GUARD = stack.resolve(template.Resources.GrantGuardPolicy!.Properties.PolicyDocument);
const GUARD_ARN = String(stack.ref('GrantGuardPolicy'));
const STACK_ID = String(stack.ref('AWS::StackId'));

/** The AWS managed policy PowerUserAccess, as AWS publishes it. */
const POWER_USER = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: [
        'account:GetAccountInformation',
        'account:GetPrimaryEmail',
        'account:ListRegions',
        'iam:CreateServiceLinkedRole',
        'iam:DeleteServiceLinkedRole',
        'iam:ListRoles',
        'organizations:DescribeOrganization',
      ],
      Resource: '*',
    },
  ],
};
/** A grant that gives everything, IAM included: the guard still holds revoker's own. */
const ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

const GRANTEE = `arn:aws:iam::${ACCOUNT}:user/carol`;
const arnOf = (resource: string, attribute = 'Arn') => String(stack.getAtt(resource, attribute));
const nameOf = (resource: string) => String(stack.ref(resource));

interface Request {
  action: string;
  resource: string;
  context?: Record<string, string>;
  principal?: string;
  /** The resource's own policy, where the service needs one to allow anything (a KMS key's). */
  resourcePolicy?: unknown;
}

/** The engine's verdict, and the context keys it set aside as not applying (a wrong test, else). */
async function decide(
  identityPolicies: Record<string, unknown>,
  request: Request,
  resourcePolicy?: unknown,
): Promise<string> {
  const principal = request.principal ?? GRANTEE;
  resourcePolicy ??= request.resourcePolicy;
  const result = await runSimulation(
    {
      identityPolicies: Object.entries(identityPolicies).map(([name, policy]) => ({ name, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      request: {
        action: request.action,
        principal,
        resource: { accountId: ACCOUNT, resource: request.resource },
        contextVariables: request.context ?? {},
      },
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  const ignored =
    result.resultType === 'single'
      ? (result.result.ignoredContextKeys ?? [])
      : result.results.flatMap((one) => one.ignoredContextKeys ?? []);
  expect(ignored, `context keys that do not apply to ${request.action}`).toEqual([]);
  return result.overallResult;
}

const withGuard = (grant: unknown) => ({ grant, GrantGuardPolicy: GUARD });
/** How CloudFormation tags what it makes: the rules' generated names are matched by this too. */
const ruleTags = { 'aws:ResourceTag/aws:cloudformation:stack-id': STACK_ID };
const schedule = `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/jit-0123456789abcdef01234567`;
const execution = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${arnOf('RevocationStateMachine', 'Name')}:jit-0123456789abcdef01234567`;
const bus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
const trailBucket = `arn:aws:s3:::${DEPLOYMENT.parameters.CloudTrailBucket}`;
/** The topic key's policy lets the account's IAM policies decide, as AWS's default key policy does. */
const keyPolicy = stack.resolve(template.Resources.NotifyKey!.Properties.KeyPolicy);

// The review's reproduction (a PowerUserAccess grant owning revoker), and what else a grant could do.
const TAKEOVERS: [why: string, grant: unknown, request: Request][] = [
  [
    'delete a grant’s schedule: the grant never ends',
    POWER_USER,
    { action: 'scheduler:DeleteSchedule', resource: schedule },
  ],
  ['move a grant’s end', POWER_USER, { action: 'scheduler:UpdateSchedule', resource: schedule }],
  [
    'read the approval-link key: mint any link',
    POWER_USER,
    { action: 'secretsmanager:GetSecretValue', resource: nameOf('ApprovalSecret') },
  ],
  [
    'replace the approval-link key',
    POWER_USER,
    { action: 'secretsmanager:PutSecretValue', resource: nameOf('ApprovalSecret') },
  ],
  [
    'replace the revoke function’s code (it may write any role’s policies)',
    POWER_USER,
    { action: 'lambda:UpdateFunctionCode', resource: arnOf('RevokeFunction') },
  ],
  [
    'reconfigure the expire-grant function',
    POWER_USER,
    { action: 'lambda:UpdateFunctionConfiguration', resource: arnOf('ExpireGrantFunction') },
  ],
  [
    'let anyone invoke the grant function',
    POWER_USER,
    { action: 'lambda:AddPermission', resource: arnOf('GrantFunction') },
  ],
  [
    'open a URL on the revoke function',
    POWER_USER,
    { action: 'lambda:CreateFunctionUrlConfig', resource: arnOf('RevokeFunction') },
  ],
  [
    'change the approval page’s URL',
    POWER_USER,
    { action: 'lambda:UpdateFunctionUrlConfig', resource: arnOf('ApprovalFunction') },
  ],
  [
    'invoke the revoke function with a plan of one’s own',
    POWER_USER,
    { action: 'lambda:InvokeFunction', resource: arnOf('RevokeFunction') },
  ],
  [
    'invoke a version of it',
    POWER_USER,
    { action: 'lambda:InvokeFunction', resource: `${arnOf('RevokeFunction')}:7` },
  ],
  [
    'replace the operator function’s code',
    POWER_USER,
    { action: 'lambda:UpdateFunctionCode', resource: arnOf('OperatorFunction') },
  ],
  [
    'invoke the operator function behind its URL’s back',
    POWER_USER,
    { action: 'lambda:InvokeFunction', resource: arnOf('OperatorFunction') },
  ],
  [
    'write cases, grant requests and the audit log',
    POWER_USER,
    { action: 'dynamodb:PutItem', resource: arnOf('CasesTable') },
  ],
  [
    'read the task tokens on the cases',
    POWER_USER,
    { action: 'dynamodb:Query', resource: arnOf('CasesTable') },
  ],
  [
    'restore the cases to an earlier time',
    POWER_USER,
    { action: 'dynamodb:RestoreTableToPointInTime', resource: arnOf('CasesTable') },
  ],
  [
    'answer any waiting escalation with its task token',
    POWER_USER,
    { action: 'states:SendTaskSuccess', resource: '*' },
  ],
  ['stop a grant’s end', POWER_USER, { action: 'states:StopExecution', resource: execution }],
  ['read an execution’s history', POWER_USER, { action: 'states:GetExecutionHistory', resource: execution }],
  [
    'start a case of one’s own',
    POWER_USER,
    { action: 'states:StartExecution', resource: nameOf('RevocationStateMachine') },
  ],
  [
    'subscribe to every approver’s link',
    POWER_USER,
    { action: 'sns:Subscribe', resource: nameOf('NotifyTopic') },
  ],
  [
    'replace the topic’s policy',
    POWER_USER,
    { action: 'sns:SetTopicAttributes', resource: nameOf('NotifyTopic') },
  ],
  [
    'page the on-call with a forged request',
    POWER_USER,
    { action: 'sns:Publish', resource: nameOf('NotifyTopic') },
  ],
  [
    'delete the topic’s key',
    POWER_USER,
    { action: 'kms:ScheduleKeyDeletion', resource: arnOf('NotifyKey'), resourcePolicy: keyPolicy },
  ],
  [
    'purge what detect set aside',
    POWER_USER,
    { action: 'sqs:PurgeQueue', resource: arnOf('DetectDeadLetterQueue') },
  ],
  [
    'blind detection: disable a rule',
    POWER_USER,
    {
      action: 'events:DisableRule',
      resource: arnOf('DetectFunctionCloudtrailStoppedOrDeleted'),
      context: ruleTags,
    },
  ],
  [
    'stop grants ending: delete their rule',
    POWER_USER,
    { action: 'events:DeleteRule', resource: arnOf('DetectFunctionGrantExpired'), context: ruleTags },
  ],
  [
    'stop the heartbeat',
    POWER_USER,
    {
      action: 'events:RemoveTargets',
      resource: arnOf('HeartbeatFunctionEveryFiveMinutes'),
      context: ruleTags,
    },
  ],
  [
    'disable a rule that lacks the tag, by its name',
    POWER_USER,
    { action: 'events:DisableRule', resource: arnOf('GrantFunctionGrantRequested') },
  ],
  [
    'announce a grant’s end',
    POWER_USER,
    { action: 'events:PutEvents', resource: bus, context: { 'events:source': 'revoker.jit' } },
  ],
  [
    'offboard someone else',
    POWER_USER,
    { action: 'events:PutEvents', resource: bus, context: { 'events:source': 'revoker.offboarding' } },
  ],
  [
    'point the trail’s table elsewhere',
    POWER_USER,
    {
      action: 'glue:UpdateTable',
      resource: `arn:aws:glue:${REGION}:${ACCOUNT}:table/${nameOf('CloudTrailDatabase')}/${nameOf('CloudTrailTable')}`,
    },
  ],
  [
    'drop the trail’s database',
    POWER_USER,
    {
      action: 'glue:DeleteDatabase',
      resource: `arn:aws:glue:${REGION}:${ACCOUNT}:database/${nameOf('CloudTrailDatabase')}`,
    },
  ],
  [
    'cap the workgroup so verification reads nothing',
    POWER_USER,
    {
      action: 'athena:UpdateWorkGroup',
      resource: `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${nameOf('AthenaWorkGroup')}`,
    },
  ],
  [
    'rewrite query results',
    POWER_USER,
    { action: 's3:PutObject', resource: `${arnOf('AthenaResultsBucket')}/results/abc.csv` },
  ],
  [
    'forge trail logs past a cutoff',
    POWER_USER,
    {
      action: 's3:PutObject',
      resource: `${trailBucket}/AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/01/15/forged.json.gz`,
    },
  ],
  [
    'delete trail logs',
    POWER_USER,
    {
      action: 's3:DeleteObject',
      resource: `${trailBucket}/AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/01/15/real.json.gz`,
    },
  ],
  ['expire the trail’s logs', POWER_USER, { action: 's3:PutLifecycleConfiguration', resource: trailBucket }],
  [
    'delete the revoke function’s logs',
    POWER_USER,
    { action: 'logs:DeleteLogGroup', resource: arnOf('RevokeFunctionLogs') },
  ],
  [
    'copy the operator function’s logs out',
    POWER_USER,
    { action: 'logs:PutSubscriptionFilter', resource: arnOf('OperatorFunctionLogs') },
  ],
  [
    'drop the runbook-use metric',
    POWER_USER,
    { action: 'logs:DeleteMetricFilter', resource: arnOf('OperatorFunctionLogs') },
  ],
  [
    'delete the state machine’s logs',
    POWER_USER,
    { action: 'logs:DeleteLogGroup', resource: arnOf('StateMachineLogs') },
  ],
  [
    'silence the failed-execution alarm',
    POWER_USER,
    { action: 'cloudwatch:DisableAlarmActions', resource: arnOf('ExecutionsFailed') },
  ],
  ['delete the stack', POWER_USER, { action: 'cloudformation:DeleteStack', resource: STACK_ID }],
  ['update the stack', POWER_USER, { action: 'cloudformation:UpdateStack', resource: STACK_ID }],
  [
    'write the revoke function’s role',
    ADMIN,
    { action: 'iam:PutRolePolicy', resource: arnOf('RevokeFunctionRole') },
  ],
  [
    'run code as the revoke function’s role',
    ADMIN,
    { action: 'iam:PassRole', resource: arnOf('RevokeFunctionRole') },
  ],
  [
    'widen a policy of the stack',
    ADMIN,
    { action: 'iam:CreatePolicyVersion', resource: nameOf('CaseTablePolicy') },
  ],
  [
    'take a revocation’s deny away',
    ADMIN,
    {
      action: 'iam:DeletePolicyVersion',
      resource: `arn:aws:iam::${ACCOUNT}:policy/revoker/revoker-0123456789abcdef`,
    },
  ],
  ['change the guard', ADMIN, { action: 'iam:CreatePolicyVersion', resource: GUARD_ARN }],
  [
    'take the guard off oneself',
    ADMIN,
    { action: 'iam:DetachUserPolicy', resource: GRANTEE, context: { 'iam:PolicyARN': GUARD_ARN } },
  ],
];

// What the grant is for: the guard denies revoker's own, not the account.
const STILL_GRANTED: [what: string, request: Request][] = [
  [
    'another function’s code',
    {
      action: 'lambda:UpdateFunctionCode',
      resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:payments-api`,
    },
  ],
  [
    'another table',
    { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders` },
  ],
  [
    'another schedule',
    {
      action: 'scheduler:DeleteSchedule',
      resource: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/nightly-report`,
    },
  ],
  [
    'another state machine',
    { action: 'states:StartExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:orders` },
  ],
  [
    'another secret',
    {
      action: 'secretsmanager:GetSecretValue',
      resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:payments-db-AbCdEf`,
    },
  ],
  [
    'events of one’s own',
    { action: 'events:PutEvents', resource: bus, context: { 'events:source': 'com.example.orders' } },
  ],
  [
    'another stack’s rule',
    {
      action: 'events:DisableRule',
      resource: `arn:aws:events:${REGION}:${ACCOUNT}:rule/payments-nightly`,
      context: {
        'aws:ResourceTag/aws:cloudformation:stack-id': `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/payments/1111`,
      },
    },
  ],
  [
    'reading the trail',
    {
      action: 's3:GetObject',
      resource: `${trailBucket}/AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/01/15/real.json.gz`,
    },
  ],
  [
    'the operator API, through its URL',
    {
      action: 'lambda:InvokeFunctionUrl',
      resource: arnOf('OperatorFunction'),
      context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' },
    },
  ],
  [
    'the operator function, invoked by its URL',
    {
      action: 'lambda:InvokeFunction',
      resource: arnOf('OperatorFunction'),
      context: { 'lambda:InvokedViaFunctionUrl': 'true' },
    },
  ],
];

describe('the grant guard (GrantGuardPolicy) against the stack’s own resources', () => {
  it.each(TAKEOVERS)(
    '%s: allowed by the grant alone, denied with the guard',
    async (_why, grant, request) => {
      expect(await decide({ grant }, request)).toBe('Allowed');
      expect(await decide(withGuard(grant), request)).toBe('ExplicitlyDenied');
    },
  );

  it.each(STILL_GRANTED)('leaves the grant its use elsewhere: %s', async (_what, request) => {
    expect(await decide(withGuard(POWER_USER), request)).toBe('Allowed');
  });

  /** The stack's own resource of each kind, and what taking it over takes. */
  const COVERAGE: Record<string, (name: string) => Request & { grant?: unknown }> = {
    'AWS::Serverless::Function': (name) => ({ action: 'lambda:UpdateFunctionCode', resource: arnOf(name) }),
    'AWS::Lambda::Url': (name) => ({
      action: 'lambda:UpdateFunctionUrlConfig',
      resource: arnOf(name.replace(/Url$/, '')),
    }),
    'AWS::DynamoDB::Table': (name) => ({ action: 'dynamodb:PutItem', resource: arnOf(name) }),
    'AWS::SecretsManager::Secret': (name) => ({
      action: 'secretsmanager:GetSecretValue',
      resource: nameOf(name),
    }),
    'AWS::SNS::Topic': (name) => ({ action: 'sns:Subscribe', resource: nameOf(name) }),
    'AWS::KMS::Key': (name) => ({ action: 'kms:ScheduleKeyDeletion', resource: arnOf(name) }),
    'AWS::SQS::Queue': (name) => ({ action: 'sqs:PurgeQueue', resource: arnOf(name) }),
    'AWS::Serverless::StateMachine': (name) => ({ action: 'states:StartExecution', resource: nameOf(name) }),
    'AWS::Logs::LogGroup': (name) => ({ action: 'logs:DeleteLogGroup', resource: arnOf(name) }),
    'AWS::S3::Bucket': (name) => ({ action: 's3:PutObject', resource: `${arnOf(name)}/any` }),
    'AWS::Athena::WorkGroup': (name) => ({
      action: 'athena:UpdateWorkGroup',
      resource: `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${nameOf(name)}`,
    }),
    'AWS::Glue::Database': (name) => ({
      action: 'glue:DeleteDatabase',
      resource: `arn:aws:glue:${REGION}:${ACCOUNT}:database/${nameOf(name)}`,
    }),
    'AWS::Glue::Table': (name) => ({
      action: 'glue:UpdateTable',
      resource: `arn:aws:glue:${REGION}:${ACCOUNT}:table/${stack.resolve(stack.all()[name]!.Properties.DatabaseName)}/${nameOf(name)}`,
    }),
    'AWS::CloudWatch::Alarm': (name) => ({ action: 'cloudwatch:DeleteAlarms', resource: arnOf(name) }),
    'AWS::CloudWatch::Dashboard': (name) => ({
      action: 'cloudwatch:PutDashboard',
      resource: `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${nameOf(name)}`,
    }),
    'AWS::Events::Rule': (name) => ({
      action: 'events:DisableRule',
      resource: arnOf(name),
      context: ruleTags,
    }),
    'AWS::Events::EventBus': (name) => ({ action: 'events:DeleteEventBus', resource: arnOf(name) }),
    'AWS::IAM::Role': (name) => ({ action: 'iam:PassRole', resource: arnOf(name), grant: ADMIN }),
    'AWS::IAM::ManagedPolicy': (name) => ({
      action: 'iam:CreatePolicyVersion',
      resource: nameOf(name),
      grant: ADMIN,
    }),
  };
  /** Kinds that are part of another resource the guard covers. */
  const PART_OF: Record<string, string> = {
    'AWS::SNS::TopicPolicy': 'the topic: its policy is changed with sns:SetTopicAttributes on it',
    'AWS::Logs::MetricFilter': 'its log group: filters are changed with logs:*MetricFilter on the group',
    'AWS::Events::EventBusPolicy': 'the detect bus: its policy is changed with events:PutPermission on it',
    'AWS::S3::BucketPolicy': 'its bucket: the policy is changed with s3:PutBucketPolicy on it',
    'AWS::SQS::QueuePolicy': 'its queue: the policy is changed with sqs:SetQueueAttributes on it',
  };
  const resources = Object.entries(stack.all()).filter(([, resource]) => !PART_OF[resource.Type]);

  it('knows every kind of resource the template makes', () => {
    const unknown = [
      ...new Set(resources.map(([, resource]) => resource.Type).filter((type) => !COVERAGE[type])),
    ];

    expect(
      unknown,
      'cover these in GrantGuardPolicy, then say here how a grantee would take one over',
    ).toEqual([]);
    expect(resources.length).toBeGreaterThan(60);
  });

  it.each(resources)('covers %s', async (name, resource) => {
    const request = COVERAGE[resource.Type]!(name);

    expect(await decide(withGuard(request.grant ?? POWER_USER), request)).toBe('ExplicitlyDenied');
  });

  // The guard names no region or partition it can leave out (it spells them `*`): what is left
  // of them is the longest where the region and the partition are the longest.
  it.each([
    ['aws', 'us-east-1'],
    ['aws', 'ap-southeast-2'],
    ['aws-cn', 'cn-northwest-1'],
    ['aws-us-gov', 'us-gov-west-1'],
    ['aws-iso-b', 'us-isob-east-1'],
  ])(
    'fits IAM’s 6,144 characters for a stack name of 24 characters, with a Slack secret and a trail key (%s, %s)',
    (partition, region) => {
      const long = new TemplateResolver(template, {
        ...DEPLOYMENT,
        partition,
        region,
        stackName: 'revoker-security-prod-eu',
        suffix: 'ABCDEFGHIJKLM',
        parameters: {
          ...DEPLOYMENT.parameters,
          SlackWebhookSecretName: 'revoker/slack-webhook',
          TrailKmsKeyArn: `arn:${partition}:kms:${region}:${ACCOUNT}:key/0f0f0f0f-1111-2222-3333-444455556666`,
        },
      });
      const document = JSON.stringify(
        long.resolve(template.Resources.GrantGuardPolicy!.Properties.PolicyDocument),
      );

      expect('revoker-security-prod-eu').toHaveLength(24);
      expect(document).toContain(region);
      expect(document.replace(/\s/g, '').length).toBeLessThanOrEqual(6144);
    },
  );
});

const TRAIL_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f0f0f0f-1111-2222-3333-444455556666`;

describe('the grant guard against what would carry a grantee past it', () => {
  /** A role trusting the account: IAM policies decide who of the account may assume it. */
  const trustsAccount = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
    ],
  };
  const ADMIN_ROLE = DEPLOYMENT.parameters.NotifySubscriptionAdmins!;

  it.each([
    ['the stack’s named subscription admin role (then subscribe to every approver’s link)', ADMIN_ROLE],
    ['any other role trusting the account', `arn:aws:iam::${ACCOUNT}:role/ops-admin`],
  ])('assumes no role whose session would drop the guard: %s', async (_what, role) => {
    const request = { action: 'sts:AssumeRole', resource: role, resourcePolicy: trustsAccount };

    expect(await decide({ grant: POWER_USER }, request)).toBe('Allowed');
    expect(await decide(withGuard(POWER_USER), request)).toBe('ExplicitlyDenied');
    // A role made safe for grantees, and tagged so (PowerUserAccess cannot tag roles).
    expect(
      await decide(withGuard(POWER_USER), {
        ...request,
        context: { 'aws:ResourceTag/revoker:guarded': 'true' },
      }),
    ).toBe('Allowed');
  });

  it('assumes no member account’s root', async () => {
    const request = { action: 'sts:AssumeRoot', resource: `arn:aws:iam::111122223333:root` };

    expect(await decide(withGuard(POWER_USER), request)).toBe('ExplicitlyDenied');
  });

  describe('the trail’s KMS key, when the stack is given one', () => {
    const keyed = new TemplateResolver(template, {
      ...DEPLOYMENT,
      parameters: { ...DEPLOYMENT.parameters, TrailKmsKeyArn: TRAIL_KEY },
    });
    const guard = keyed.resolve(template.Resources.GrantGuardPolicy!.Properties.PolicyDocument);
    /** AWS's default key policy: the account's IAM policies decide. */
    const defaultKeyPolicy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };

    it.each(['kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:RevokeGrant'])(
      '%s: no evidence could be read',
      async (action) => {
        const request = { action, resource: TRAIL_KEY, resourcePolicy: defaultKeyPolicy };

        expect(await decide({ grant: POWER_USER }, request)).toBe('Allowed');
        expect(await decide({ grant: POWER_USER, GrantGuardPolicy: guard }, request)).toBe(
          'ExplicitlyDenied',
        );
      },
    );

    it('leaves the grantee other keys', async () => {
      const other = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;

      expect(
        await decide(
          { grant: POWER_USER, GrantGuardPolicy: guard },
          { action: 'kms:DisableKey', resource: other, resourcePolicy: defaultKeyPolicy },
        ),
      ).toBe('Allowed');
    });
  });
});

describe('the notifications topic’s policy (NotifyTopicPolicy)', () => {
  const TOPIC = nameOf('NotifyTopic');
  const SNS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:*', Resource: '*' }] };
  const policyOf = (resolver: TemplateResolver) =>
    resolver.resolve(template.Resources.NotifyTopicPolicy!.Properties.PolicyDocument);
  const topicPolicy = policyOf(stack);
  const ADMIN_ROLE = DEPLOYMENT.parameters.NotifySubscriptionAdmins!;
  const as = (roleArn: string, action: string, account = ACCOUNT): Request => ({
    action,
    resource: TOPIC,
    principal: `arn:aws:sts::${account}:assumed-role/${roleArn.split('/').at(-1)}/session`,
    context: { 'aws:PrincipalArn': roleArn, 'aws:PrincipalAccount': account },
  });

  it.each([
    ['the close function', 'Allowed', arnOf('CloseFunctionRole')],
    ['the escalate function', 'Allowed', arnOf('EscalateFunctionRole')],
    // The old pattern role/<stack>-* let both of these through.
    [
      'a role whose path starts with the stack’s name',
      'ExplicitlyDenied',
      `arn:aws:iam::${ACCOUNT}:role/revoker-x/phish`,
    ],
    [
      'a role whose name starts with it',
      'ExplicitlyDenied',
      `arn:aws:iam::${ACCOUNT}:role/revoker-CloseFunctionRole-forged`,
    ],
    ['another of the stack’s functions', 'ExplicitlyDenied', arnOf('DetectFunctionRole')],
  ])('publish as %s: %s', async (_who, verdict, roleArn) => {
    expect(await decide({ sns: SNS }, as(roleArn, 'sns:Publish'), topicPolicy)).toBe(verdict);
  });

  it('publish as the stack’s alarms (CloudWatch)', async () => {
    const alarm: Request = {
      action: 'sns:Publish',
      resource: TOPIC,
      principal: 'cloudwatch.amazonaws.com',
      context: { 'aws:SourceAccount': ACCOUNT, 'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com' },
    };

    expect(await decide({}, alarm, topicPolicy)).toBe('Allowed');
  });

  it('subscribe: only the named subscription admins of this account', async () => {
    const developer = `arn:aws:iam::${ACCOUNT}:role/developer`;

    expect(await decide({ sns: SNS }, as(ADMIN_ROLE, 'sns:Subscribe'), topicPolicy)).toBe('Allowed');
    expect(await decide({ sns: SNS }, as(developer, 'sns:Subscribe'), topicPolicy)).toBe('ExplicitlyDenied');
    expect(await decide({ sns: SNS }, as(developer, 'sns:SetSubscriptionAttributes'), topicPolicy)).toBe(
      'ExplicitlyDenied',
    );
    // An admin holding a grant is kept off the topic by the guard.
    expect(
      await decide({ sns: SNS, GrantGuardPolicy: GUARD }, as(ADMIN_ROLE, 'sns:Subscribe'), topicPolicy),
    ).toBe('ExplicitlyDenied');
  });

  it('subscribe, with no admins named: nobody', async () => {
    const unnamed = policyOf(
      new TemplateResolver(template, {
        ...DEPLOYMENT,
        parameters: { ...DEPLOYMENT.parameters, NotifySubscriptionAdmins: '' },
      }),
    );

    expect(await decide({ sns: SNS }, as(ADMIN_ROLE, 'sns:Subscribe'), unnamed)).toBe('ExplicitlyDenied');
  });
});
