// template.yaml checked without AWS: every resource type and property exists in the
// CloudFormation and SAM resource specifications (@aws-cdk/aws-service-spec), the required
// ones are set, and every !Ref, !GetAtt and !Sub variable names something the template defines.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { IAM_READ_PERMISSIONS } from '../../lib/aws/iam-gateway.ts';
import { loadConfigFile } from '../../lib/config-file.ts';
import { grantablePolicies } from '../../lib/domain/access.ts';
import { ACTIONS } from '../../lib/domain/revocation/actions.ts';
import { logFilePath, type TrailLayout } from '../../lib/local/generator/log-writer.ts';
import { ASL_FILE } from '../../lib/local/state-machine.ts';
import { deployedConfigFile } from '../fixtures/config.ts';
import { handlerSourceOf, loadTemplate, ROOT } from '../fixtures/template.ts';
import { DEPLOYMENT, TemplateResolver } from '../fixtures/template-resolve.ts';
import { describeAgainstSpecifications } from '../fixtures/template-spec.ts';

// CloudFormation's own placeholders, as `!Sub` strings hold them.
const PARTITION = '$' + '{AWS::Partition}';
const ACCOUNT_ID = '$' + '{AWS::AccountId}';

const template = loadTemplate();
describeAgainstSpecifications('template.yaml');

describe('the settings the deployed functions read', () => {
  const functions = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::Serverless::Function',
  );
  /** A value of the right shape for each setting; the template's intrinsics resolve at deploy time. */
  const SAMPLE: Record<string, string> = {
    REVOKER_MODE: 'dry-run',
    REVOKER_APPROVERS: 'oncall@example.com',
    REVOKER_APPROVAL_URL: 'https://abc.lambda-url.us-east-1.on.aws/',
    ATHENA_TABLE: 'cloudtrail_logs',
    REVOKER_TRAIL_REGIONS: 'us-east-1,eu-west-1',
    SLACK_WEBHOOK_SECRET: '',
  };
  const saved = { ...process.env };
  const configFile = deployedConfigFile();

  it.each(functions)('%s is given every setting it reads', async (_name, resource) => {
    const variables = {
      ...(template.Globals?.Function?.Environment?.Variables ?? {}),
      ...((resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables ?? {}),
    };
    process.env = { ...saved };
    for (const name of Object.keys(variables)) process.env[name] = SAMPLE[name] ?? `from-template-${name}`;
    // The build writes revoker.config.yaml as JSON beside each bundle; here, into a directory of its own.
    process.env.REVOKER_CONFIG_FILE = await configFile;
    const sqs = mockClient(SQSClient).on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const sts = mockClient(STSClient).on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    const { handler } = (await import(join(ROOT, handlerSourceOf(resource)))) as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };

    // An empty event: each function gets as far as judging it, which needs all its adapters.
    const outcome = await handler({}, {} as Context).then(
      () => null,
      (error: Error) => error,
    );

    expect(outcome?.name).not.toBe('MissingSettingError');
    sqs.restore();
    sts.restore();
    process.env = { ...saved };
  });
});

describe('the functions’ permissions', () => {
  interface Statement {
    Sid?: string;
    Effect: 'Allow' | 'Deny';
    Action: string | string[];
    Resource: unknown;
  }
  const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
  const managed = (name: string): Statement[] =>
    ((template.Resources[name]?.Properties.PolicyDocument as { Statement?: Statement[] } | undefined)
      ?.Statement ?? []) as Statement[];
  /** A function's statements: its managed policies' and its inline ones (SAM's policy templates aside). */
  function statementsOf(functionName: string): Statement[] {
    const policies = (template.Resources[functionName]!.Properties.Policies ?? []) as unknown[];
    return policies.flatMap((policy) => {
      const reference = (policy as { '!Ref'?: string })['!Ref'];
      if (reference) return managed(reference);
      return ((policy as { Statement?: Statement[] }).Statement ?? []) as Statement[];
    });
  }
  const allowed = (functionName: string) =>
    new Set(
      statementsOf(functionName)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => list(statement.Action)),
    );
  const functions = Object.keys(template.Resources).filter(
    (name) => template.Resources[name]!.Type === 'AWS::Serverless::Function',
  );
  // The catalog's changes: what its actions need beyond reading (a read such as
  // iam:ListPolicyVersions is every IAM reader's).
  const reads = new Set<string>(IAM_READ_PERMISSIONS);
  const catalog = [
    ...new Set(
      Object.values(ACTIONS).flatMap((spec) =>
        spec.permissions.filter((permission) => !reads.has(permission)),
      ),
    ),
  ];
  /** Who performs the catalog's changes: revoke, offboard and a grant's end; a grant attaches, and passes the scheduler its role. */
  const PERFORMERS: Record<string, string[]> = {
    RevokeFunction: catalog,
    OffboardFunction: catalog,
    ExpireGrantFunction: catalog,
    GrantFunction: ['iam:AttachRolePolicy', 'iam:AttachUserPolicy', 'iam:PassRole'],
    OperatorFunction: ['iam:AttachRolePolicy', 'iam:AttachUserPolicy', 'iam:PassRole'],
  };
  const IAM_READERS = [
    'RevokeFunction',
    'OffboardFunction',
    'ExpireGrantFunction',
    'GrantFunction',
    'OperatorFunction',
    'EscalateFunction',
  ];
  const everyStatement = Object.values(template.Resources).flatMap((resource) => [
    ...(((resource.Properties.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ??
      []) as Statement[]),
    ...((resource.Properties.Policies as unknown[] | undefined) ?? []).flatMap(
      (policy) =>
        ((policy as { Statement?: Statement[]; PolicyDocument?: { Statement?: Statement[] } }).Statement ??
          (policy as { PolicyDocument?: { Statement?: Statement[] } }).PolicyDocument?.Statement ??
          []) as Statement[],
    ),
  ]);

  it('lets only the revoking functions assume a member account’s member role; readers its reader role', () => {
    const assumes = (name: string, suffix: string) =>
      statementsOf(name).some(
        (statement) =>
          statement.Effect === 'Allow' &&
          list(statement.Action).includes('sts:AssumeRole') &&
          JSON.stringify(statement.Resource).includes(`role/\${MemberRoleName}${suffix}"`),
      );
    expect(functions.filter((name) => assumes(name, ''))).toEqual([
      'RevokeFunction',
      'OffboardFunction',
      'ExpireGrantFunction',
    ]);
    expect(functions.filter((name) => assumes(name, '-reader')).sort()).toEqual(
      [...IAM_READERS, 'HeartbeatFunction'].sort(),
    );
  });

  it('never allows every action of a service', () => {
    const wildcards = everyStatement
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => list(statement.Action))
      .filter((action) => action === '*' || action.endsWith(':*'));

    expect(everyStatement.length).toBeGreaterThan(10);
    expect(wildcards).toEqual([]);
  });

  it('uses Resource "*" only where the API has no resource-level permissions, and says so', () => {
    const unexplained = everyStatement.filter(
      (statement) => statement.Resource === '*' && !statement.Sid?.startsWith('NoResourceLevelPermissions'),
    );

    expect(unexplained).toEqual([]);
  });

  it.each(functions)('%s holds exactly the revocation catalog permissions it performs', (name) => {
    const granted = catalog.filter((permission) => allowed(name).has(permission)).sort();

    expect(granted).toEqual([...(PERFORMERS[name] ?? [])].sort());
    if (granted.length > 0) {
      // Whoever can change IAM is denied changing revoker's own roles.
      expect(
        statementsOf(name).some(
          (statement) => statement.Effect === 'Deny' && statement.Sid === 'NeverRevokersOwn',
        ),
      ).toBe(true);
    }
  });

  it('attaches a managed policy only under an iam:PolicyARN condition: a grant only what access.grants lets people ask for, a revocation only revoker’s own', async () => {
    const attaching = everyStatement.filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        list(statement.Action).some(
          (action) => action === 'iam:AttachRolePolicy' || action === 'iam:AttachUserPolicy',
        ),
    );
    const conditionOf = (statement: Statement) =>
      (statement as { Condition?: Record<string, Record<string, unknown>> }).Condition ?? {};
    const policyArns = (statement: Statement) =>
      list(
        (conditionOf(statement).ArnEquals?.['iam:PolicyARN'] ??
          conditionOf(statement).ArnLike?.['iam:PolicyARN'] ??
          []) as string | string[],
      ).map((arn) =>
        String((arn as unknown as { '!Sub'?: string })['!Sub'] ?? arn).replace(PARTITION, 'aws'),
      );
    const config = await loadConfigFile(join(ROOT, 'revoker.config.yaml'));

    expect(attaching.map((statement) => statement.Sid).sort()).toEqual([
      'AttachOnlyTheRevocationPolicy',
      'AttachTheGrantGuard',
      'AttachTheGrantablePolicies',
    ]);
    expect(
      policyArns(attaching.find((statement) => statement.Sid === 'AttachTheGrantablePolicies')!).sort(),
    ).toEqual(grantablePolicies(config.access));
    expect(
      policyArns(attaching.find((statement) => statement.Sid === 'AttachOnlyTheRevocationPolicy')!),
    ).toEqual([`arn:aws:iam::${ACCOUNT_ID}:policy/revoker/*`]);
    // The guard, as a deployment names it: the one ARN GrantPolicy attaches and the grant functions are told.
    const deployed = new TemplateResolver(template);
    const guardArn = deployed.ref('GrantGuardPolicy');
    const guardStatement = attaching.find((statement) => statement.Sid === 'AttachTheGrantGuard')!;
    expect(deployed.resolve(conditionOf(guardStatement).ArnEquals?.['iam:PolicyARN'])).toBe(guardArn);
    for (const name of ['GrantFunction', 'OperatorFunction']) {
      const { Variables } = template.Resources[name]!.Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(deployed.resolve(Variables.GRANT_GUARD_POLICY_ARN)).toBe(guardArn);
    }
  });

  it('lets only detect, the operator API and the heartbeat start the state machine, and only it', () => {
    const starters = functions.filter((name) =>
      ((template.Resources[name]!.Properties.Policies ?? []) as Record<string, unknown>[]).some(
        (policy) => 'StepFunctionsExecutionPolicy' in policy,
      ),
    );

    // Detect for what CloudTrail shows; the operator API for an offboarding a verified caller
    // asks for; the heartbeat for a grant whose end never came from its schedule.
    expect(starters.sort()).toEqual(['DetectFunction', 'HeartbeatFunction', 'OperatorFunction']);
    for (const name of starters)
      expect(
        (template.Resources[name]!.Properties.Policies as Record<string, unknown>[]).find(
          (policy) => 'StepFunctionsExecutionPolicy' in policy,
        ),
      ).toEqual({
        StepFunctionsExecutionPolicy: { StateMachineName: { '!GetAtt': 'RevocationStateMachine.Name' } },
      });
  });

  it.each(IAM_READERS)('%s can read every piece of IAM state the adapter reads', (name) => {
    expect(IAM_READ_PERMISSIONS.filter((permission) => !allowed(name).has(permission))).toEqual([]);
  });
});

describe('secrets: read at run time, never in a function’s environment', () => {
  const functions = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::Serverless::Function',
  );
  const environments: [string, Record<string, unknown>][] = [
    ['Globals', template.Globals?.Function?.Environment?.Variables ?? {}],
    ...functions.map(([name, resource]): [string, Record<string, unknown>] => [
      name,
      (resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
        {},
    ]),
  ];
  const variables = environments.flatMap(([where, found]) =>
    Object.entries(found).map(([name, value]) => ({ where, name, value })),
  );
  /** Every string in a value, the arguments of intrinsics (`!Sub`, `!Join`, `!If`...) included. */
  const strings = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.flatMap(strings)
        : value && typeof value === 'object'
          ? Object.values(value).flatMap(strings)
          : [];
  const secretResources = Object.keys(template.Resources).filter(
    (name) => template.Resources[name]!.Type === 'AWS::SecretsManager::Secret',
  );
  /** A reference to a secret, not its value: the secret's !Ref (its ARN), or a parameter naming one. */
  const namesASecret = (value: unknown): boolean => {
    const reference = (value as { '!Ref'?: unknown } | null)?.['!Ref'];
    if (typeof reference === 'string')
      return secretResources.includes(reference) || /Secret(Name|Arn)$/.test(reference);
    // `!If [condition, reference, ""]`: the reference, or nothing.
    const choice = (value as { '!If'?: unknown[] } | null)?.['!If'];
    return Array.isArray(choice) && choice.slice(1).every((branch) => branch === '' || namesASecret(branch));
  };
  /** Names that say a variable holds something secret. */
  const SECRETLY_NAMED = /SECRET|PASSWORD|PASSWD|TOKEN|WEBHOOK|API_?KEY|PRIVATE|CREDENTIAL|SIGNING_KEY/;

  it('finds the environments, Globals and every function', () => {
    expect(environments.length).toBe(functions.length + 1);
    expect(variables.length).toBeGreaterThan(10);
  });

  it('resolves nothing from Secrets Manager or Parameter Store into an environment variable', () => {
    const resolved = variables.filter(({ value }) =>
      strings(value).some((text) => text.includes('{{resolve:') || /resolve:(secretsmanager|ssm)/.test(text)),
    );

    expect(resolved.map(({ where, name }) => `${where}.${name}`)).toEqual([]);
  });

  it('names a secret only by reference: a *_SECRET or *_SECRET_NAME variable holding its ARN or name', () => {
    const suspicious = variables.filter(
      ({ name, value }) =>
        SECRETLY_NAMED.test(name) && !(/_SECRET(_NAME)?$/.test(name) && namesASecret(value)),
    );

    expect(suspicious.map(({ where, name }) => `${where}.${name}`)).toEqual([]);
    expect(variables.filter(({ name }) => /_SECRET(_NAME)?$/.test(name)).length).toBeGreaterThan(0);
  });

  it('lets each function read the secrets it is given, and those alone', () => {
    interface Statement {
      Effect?: string;
      Action?: string | string[];
      Resource?: unknown;
    }
    const readers = functions.flatMap(([name, resource]) => {
      const given = environments.find(([where]) => where === name)![1];
      const secrets = Object.values(given)
        .map((value) => (value as { '!Ref'?: string } | null)?.['!Ref'])
        .filter((reference): reference is string => secretResources.includes(reference ?? ''));
      const statements = ((resource.Properties.Policies ?? []) as { Statement?: Statement[] }[]).flatMap(
        (policy) => policy.Statement ?? [],
      );
      const readable = statements
        .filter(
          (statement) =>
            statement.Effect === 'Allow' &&
            [statement.Action].flat().includes('secretsmanager:GetSecretValue'),
        )
        .flatMap((statement) => [statement.Resource].flat())
        .map((resource) => (resource as { '!Ref'?: string } | null)?.['!Ref']);
      return [{ name, secrets: secrets.sort(), readable: readable.sort() }];
    });

    for (const reader of readers) expect(reader.readable, reader.name).toEqual(reader.secrets);
    expect(
      readers
        .filter((reader) => reader.secrets.length > 0)
        .map((reader) => reader.name)
        .sort(),
    ).toEqual(['ApprovalFunction', 'EscalateFunction']);
  });

  it('generates the approval signing key as JSON with a key ID, as the functions read it', () => {
    const secret = template.Resources.ApprovalSecret!.Properties.GenerateSecretString as Record<
      string,
      unknown
    >;

    expect(secret).toMatchObject({
      SecretStringTemplate: '{"id":"initial"}',
      GenerateStringKey: 'key',
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
  });
});

describe('the state machine’s task timeouts against the functions’ own', () => {
  interface TaskState {
    Type: string;
    Resource?: string;
    Parameters?: { FunctionName?: string };
    TimeoutSeconds?: number;
    TimeoutSecondsPath?: string;
  }
  const asl = JSON.parse(readFileSync(ASL_FILE, 'utf8')) as { States: Record<string, TaskState> };
  const machine = Object.values(template.Resources).find(
    (resource) => resource.Type === 'AWS::Serverless::StateMachine',
  )!;
  const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, { '!GetAtt'?: string }>;
  const globalTimeout = (template.Globals?.Function as { Timeout?: number } | undefined)?.Timeout;
  /** Step Functions needs a moment past the function's own end to see its result or its timeout. */
  const MARGIN_SECONDS = 30;

  /** The function a task invokes through `${XFunctionArn}`, and the Timeout it runs with. */
  function invokedFunction(state: TaskState): { name: string; timeout: number } {
    const placeholder = /^\$\{(\w+)\}$/.exec(state.Parameters?.FunctionName ?? '')?.[1];
    const name = placeholder ? substitutions[placeholder]?.['!GetAtt']?.replace(/\.Arn$/, '') : undefined;
    const resource = name ? template.Resources[name] : undefined;
    if (!name || resource?.Type !== 'AWS::Serverless::Function')
      throw new Error(`${state.Parameters?.FunctionName} is not a function the template defines`);
    const timeout = Number(resource.Properties.Timeout ?? globalTimeout);
    if (!Number.isFinite(timeout)) throw new Error(`${name} has no Timeout, nor does Globals.Function`);
    return { name, timeout };
  }
  const invokers = Object.entries(asl.States).filter(
    ([, state]) => state.Type === 'Task' && state.Resource === 'arn:aws:states:::lambda:invoke',
  );
  const callbacks = Object.entries(asl.States).filter(
    ([, state]) =>
      state.Type === 'Task' && state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken',
  );

  it('finds the invoking tasks and the waiting one', () => {
    expect(invokers.map(([name]) => name).sort()).toEqual(
      [
        'ApplyRefinement',
        'Close',
        'Confirm',
        'ExpireGrant',
        'Offboard',
        'Revoke',
        'RollBackRefinement',
        'Verify',
        'WatchRefinement',
      ].sort(),
    );
    expect(callbacks.map(([name]) => name)).toEqual(['Escalate']);
  });

  it.each(invokers)(
    'task %s waits at least 30 s longer than its function may run, so it never abandons one still running',
    (_name, state) => {
      const { timeout } = invokedFunction(state);

      expect(state.TimeoutSeconds).toBeGreaterThanOrEqual(timeout + MARGIN_SECONDS);
    },
  );

  it('pages within the shortest decision deadline the template allows', () => {
    const [, escalate] = callbacks[0]!;
    const { timeout } = invokedFunction(escalate);
    const decideMinutes = (template.Parameters?.DecideMinutes as { MinValue?: number } | undefined)?.MinValue;

    // The wait's deadline comes from the settings; the function itself must be done long before.
    expect(escalate.TimeoutSecondsPath).toBe('$.settings.approvalTimeoutSeconds');
    expect(decideMinutes).toBeGreaterThan(0);
    expect(timeout).toBeLessThan(decideMinutes! * 60);
  });
});

describe('the CloudTrail table reads where the trail writes', () => {
  const file = (layout: TrailLayout) =>
    logFilePath('', '222233334444', 'eu-west-1', new Date('2026-01-15T11:05:00Z'), 'salt', layout);
  /** The table's location template for a deployment, filled in for one partition. */
  function rendered(parameters: Record<string, string>) {
    const resolver = new TemplateResolver(template, {
      ...DEPLOYMENT,
      parameters: { ...DEPLOYMENT.parameters, ...parameters },
    });
    const table = resolver.resolve(template.Resources.CloudTrailTable!.Properties) as {
      TableInput: { Parameters: Record<string, string>; StorageDescriptor: { Location: string } };
    };
    // Athena's projection placeholders, filled in for one partition.
    const partition: Record<string, string> = {
      account: '222233334444',
      region: 'eu-west-1',
      timestamp: '2026/01/15',
    };
    const location = table.TableInput.Parameters['storage.location.template']!.replace(
      /\$\{(account|region|timestamp)\}/g,
      (_match, key: string) => partition[key]!,
    );
    return { location, root: table.TableInput.StorageDescriptor.Location };
  }

  it.each([
    ['a trail of one account', {}, {}],
    ['a trail with a key prefix', { TrailKeyPrefix: 'trails/central' }, { prefix: 'trails/central' }],
    [
      'an organisation trail with a key prefix',
      { TrailKeyPrefix: 'trails/central', OrganizationId: 'o-a1b2c3d4e5', OrganizationTrail: 'true' },
      { prefix: 'trails/central', organizationId: 'o-a1b2c3d4e5' },
    ],
    [
      'an organisation trail',
      { OrganizationId: 'o-a1b2c3d4e5', OrganizationTrail: 'true' },
      { organizationId: 'o-a1b2c3d4e5' },
    ],
  ])(
    '%s: each partition is the folder the file is in, under the table’s location',
    (_name, parameters, layout) => {
      const { location, root } = rendered(parameters);
      const key = `s3://${DEPLOYMENT.parameters.CloudTrailBucket}/${file(layout)}`;

      expect(`${dirname(key)}`).toBe(location);
      expect(key.startsWith(root)).toBe(true);
    },
  );

  it('an organisation ID alone (members sending events, trails of their own) keeps the account layout', () => {
    expect(rendered({ OrganizationId: 'o-a1b2c3d4e5' }).location).toBe(
      `s3://${DEPLOYMENT.parameters.CloudTrailBucket}/AWSLogs/222233334444/CloudTrail/eu-west-1/2026/01/15`,
    );
  });
});
