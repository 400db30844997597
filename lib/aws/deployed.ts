// The AWS side of each handler: the adapters a deployed function uses, built once per
// container from its environment. Each function reads only the settings it uses; a missing
// one fails its first invocation (the cold start) with the setting's name, before anything
// is done. SDK clients are created once and reused across invocations.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { readConfigDocument } from '../config-file.ts';
import { enrolmentOf } from '../domain/accounts.ts';
import type { Step } from '../domain/case-events.ts';
import { type Config, parseConfig } from '../domain/config.ts';
import { CONFIG_DEFAULTS, withDefaults } from '../domain/config-defaults.ts';
import { EnrolledIam } from '../enrolled-iam.ts';
import { observed } from '../handlers/observed.ts';
import type { Clock, Notifier, SigningKeys } from '../ports.ts';
import { loadRunbooks } from '../runbooks/catalog.ts';
import type { OperatorDependencies } from '../usecases/operator.ts';
import { alarmLog } from './alarm-log.ts';
import { assumedRoleCredentials, sessionNameFor } from './assumed-role.ts';
import { AthenaQueryEngine } from './athena-engine.ts';
import { DynamoDbAuditLog } from './dynamodb-audit-log.ts';
import { DynamoDbCaseStore } from './dynamodb-case-store.ts';
import { EventBridgeScheduler } from './event-scheduler.ts';
import { AwsIamGateway } from './iam-gateway.ts';
import { AwsIdentityDirectory } from './identity-directory.ts';
import { AllNotifiers, SlackWebhookNotifier, SnsNotifier } from './notifiers.ts';
import { S3CaseArchive } from './s3-case-archive.ts';
import { SecretsManagerSigningKeys, secretText } from './secrets.ts';
import { SqsDeadLetters } from './sqs-dead-letters.ts';
import { StepFunctionsCallbacks, StepFunctionsWorkflow } from './step-functions.ts';
import { StsRegionHeartbeat } from './sts-heartbeat.ts';

export class MissingSettingError extends Error {
  override name = 'MissingSettingError';
}

/** A setting from the function's environment; absent or empty is an error that names it. */
export function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingSettingError(`the environment variable ${name} is not set`);
  return value;
}

function optionalSetting(name: string): string | undefined {
  return process.env[name] || undefined;
}

/** Built on first use, then the same object for the container's life. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * The configuration document: `revoker.config.yaml` as the build copied it beside the bundle
 * (or `REVOKER_CONFIG_FILE`) laid over the defaults, with the stack's parameters for this
 * deployment laid over both, validated once, so a bad parameter stops the function with its
 * name. The mode is the stack's alone (its Mode parameter, dry-run by default; dry-run too when
 * the variable is missing): the file's mode is for local runs, and never enforces a deployment.
 */
export async function deployedConfig(): Promise<Config> {
  const file = optionalSetting('REVOKER_CONFIG_FILE') ?? join(HERE, 'revoker.config.yaml');
  if (!existsSync(file))
    throw new MissingSettingError(`no configuration at ${file} (set REVOKER_CONFIG_FILE)`);
  const config = withDefaults(await readConfigDocument(file));
  const section = (name: string): Record<string, unknown> => {
    const value = config[name];
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  };
  const number = (name: string) => {
    const value = optionalSetting(name);
    return value === undefined ? undefined : Number(value);
  };
  const names = (name: string) =>
    optionalSetting(name)
      ?.split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const overrides = {
    mode: optionalSetting('REVOKER_MODE'),
    verifyWaitSeconds: number('REVOKER_VERIFY_WAIT_SECONDS'),
    acknowledgeMinutes: number('REVOKER_ACKNOWLEDGE_MINUTES'),
    decideMinutes: number('REVOKER_DECIDE_MINUTES'),
    approvers: names('REVOKER_APPROVERS'),
    approvalUrl: optionalSetting('REVOKER_APPROVAL_URL'),
    protectedPrincipals: names('REVOKER_PROTECTED_PRINCIPALS'),
    trailRegions: names('REVOKER_TRAIL_REGIONS'),
    memberRoleName: optionalSetting('REVOKER_MEMBER_ROLE_NAME'),
  };
  const verify = section('verify');
  const guardRails = section('guardRails');
  const escalation = section('escalation');
  const document = {
    ...config,
    mode: overrides.mode ?? CONFIG_DEFAULTS.mode,
    // The stack's functions may assume only the role its parameter names: it replaces the file's.
    ...(config.accounts
      ? {
          accounts: {
            ...section('accounts'),
            memberRoleName: overrides.memberRoleName ?? section('accounts').memberRoleName,
          },
        }
      : {}),
    verify: {
      ...verify,
      waitSeconds: overrides.verifyWaitSeconds ?? verify.waitSeconds,
      // The stack's trail is the one verification reads: its regions replace the file's.
      regions: overrides.trailRegions ?? verify.regions,
    },
    guardRails: {
      ...guardRails,
      // The stack adds to the file's protections; it never removes one.
      // (Anything but a list is left as it is, for validation to refuse by name.)
      protectedPrincipals: Array.isArray(guardRails.protectedPrincipals)
        ? [...guardRails.protectedPrincipals, ...(overrides.protectedPrincipals ?? [])]
        : guardRails.protectedPrincipals,
    },
    escalation: {
      ...escalation,
      approvers: overrides.approvers ?? escalation.approvers,
      approvalUrl: overrides.approvalUrl ?? escalation.approvalUrl,
      acknowledgeMinutes: overrides.acknowledgeMinutes ?? escalation.acknowledgeMinutes,
      decideMinutes: overrides.decideMinutes ?? escalation.decideMinutes,
    },
  };
  return parseConfig(document, `${file} with the stack's parameters`);
}

/**
 * IAM and Identity Center throttle per account: the SDK's standard retry strategy (exponential
 * backoff with jitter) gets five attempts; the gateway itself retries only concurrent changes.
 */
const IAM_RETRIES = { retryMode: 'standard', maxAttempts: 5 } as const;

const clients = {
  athena: once(() => new AthenaClient({})),
  dynamo: once(() => DynamoDBDocumentClient.from(new DynamoDBClient({}))),
  iam: once(() => new IAMClient(IAM_RETRIES)),
  ssoAdmin: once(() => new SSOAdminClient(IAM_RETRIES)),
  identityStore: once(() => new IdentitystoreClient({})),
  sfn: once(() => new SFNClient({})),
  sns: once(() => new SNSClient({})),
  sqs: once(() => new SQSClient({})),
  scheduler: once(() => new SchedulerClient({})),
  secrets: once(() => new SecretsManagerClient({})),
  s3: once(() => new S3Client({})),
  sts: once(() => new STSClient({})),
};

export const systemClock: Clock = { now: () => new Date() };

/** The adapters, each built from the settings it names, on first use. */
export const aws = {
  config: once(deployedConfig),
  runbooks: once(() => loadRunbooks()),
  cases: once(() => new DynamoDbCaseStore(clients.dynamo(), setting('CASES_TABLE'))),
  audit: once(() => new DynamoDbAuditLog(clients.dynamo(), setting('CASES_TABLE'))),
  engine: once(
    () =>
      new AthenaQueryEngine(clients.athena(), {
        workGroup: setting('ATHENA_WORKGROUP'),
        database: setting('ATHENA_DATABASE'),
        table: setting('ATHENA_TABLE'),
        // Leave the Lambda time to record what it found: stop a query a minute before the task's timeout.
        deadlineMillis: Number(optionalSetting('ATHENA_DEADLINE_SECONDS') ?? 240) * 1000,
      }),
  ),
  /**
   * IAM in each enrolled account: the stack's own credentials at home (when it acts there), the
   * member role elsewhere (assumed on first use, renewed before it expires); any other account
   * is refused before a call is made (the case goes to a human with the reason).
   */
  iam: once(async (): Promise<EnrolledIam> => {
    const config: Config = await aws.config();
    const identityCenterInstanceArn = optionalSetting('IDENTITY_CENTER_INSTANCE_ARN');
    const home = { accountId: setting('REVOKER_ACCOUNT_ID'), partition: setting('REVOKER_PARTITION') };
    const sessionName = sessionNameFor(optionalSetting('AWS_LAMBDA_FUNCTION_NAME') ?? 'revoker');
    const assumed = (roleArn: string) =>
      new IAMClient({
        ...IAM_RETRIES,
        credentials: assumedRoleCredentials(clients.sts(), roleArn, sessionName),
      });
    return new EnrolledIam(config.accounts, home, (accountId, enrolment) =>
      // Identity Center is administered from this stack's account (its delegated administrator).
      // In a member account, reads go through the reader role, changes through the member role
      // (assumed only when a change is made, and only functions that revoke may assume it).
      enrolment.kind === 'own'
        ? new AwsIamGateway(clients.iam(), identityCenterInstanceArn ? clients.ssoAdmin() : null, {
            accountId,
            ...(identityCenterInstanceArn ? { identityCenterInstanceArn } : {}),
          })
        : new AwsIamGateway(
            assumed(enrolment.readerRoleArn),
            identityCenterInstanceArn ? clients.ssoAdmin() : null,
            {
              accountId,
              writer: assumed(enrolment.roleArn),
              ...(identityCenterInstanceArn ? { identityCenterInstanceArn } : {}),
            },
          ),
    );
  }),
  workflow: once(() => new StepFunctionsWorkflow(clients.sfn(), setting('STATE_MACHINE_ARN'))),
  callbacks: once(() => new StepFunctionsCallbacks(clients.sfn())),
  deadLetters: once(() => new SqsDeadLetters(clients.sqs(), setting('DEAD_LETTER_QUEUE_URL'))),
  /** The stack's audit bucket, where each closed case is written (AUDIT_BUCKET: its name). */
  archive: once(() => new S3CaseArchive(clients.s3(), setting('AUDIT_BUCKET'))),
  directory: once(() => new AwsIdentityDirectory(clients.identityStore(), clients.ssoAdmin())),
  scheduler: once(
    () =>
      new EventBridgeScheduler(clients.scheduler(), {
        eventBusArn: setting('EVENT_BUS_ARN'),
        roleArn: setting('SCHEDULER_ROLE_ARN'),
      }),
  ),
  notifier: once((): Notifier => {
    // The webhook URL is a secret: its name is in the environment, the URL is read at run time.
    const slack = optionalSetting('SLACK_WEBHOOK_SECRET');
    return new AllNotifiers([
      new SnsNotifier(clients.sns(), setting('NOTIFY_TOPIC_ARN')),
      ...(slack ? [new SlackWebhookNotifier(secretText(clients.secrets(), slack))] : []),
    ]);
  }),
  /** One STS client per trail region, each calling that region's own endpoint. */
  heartbeat: once(async () => {
    const config = await aws.config();
    const home = { accountId: setting('REVOKER_ACCOUNT_ID'), partition: setting('REVOKER_PARTITION') };
    return new StsRegionHeartbeat((accountId) => {
      const enrolment = enrolmentOf(config.accounts, home, accountId);
      return enrolment.kind === 'member-role' ? enrolment.readerRoleArn : null;
    });
  }),
  /** The approval links' signing keys: the secret's ARN is in the environment, the keys are read at run time. */
  signingKeys: once(
    (): SigningKeys => new SecretsManagerSigningKeys(clients.secrets(), setting('APPROVAL_KEYS_SECRET')),
  ),
};

/**
 * The grant guard in an account: the stack's GrantGuardPolicy in its own account (the template
 * sets its ARN), none elsewhere — so a grant anywhere else is refused.
 */
export function grantGuardIn(guardPolicyArn: string, ownAccountId: string) {
  return (accountId: string): string | null => (accountId === ownAccountId ? guardPolicyArn : null);
}

/** What the operator API's use cases act with: the operator function's, and the grant function's. */
export async function operatorDependencies(): Promise<OperatorDependencies> {
  const enrolled = await aws.iam();
  const iam = enrolled.withHome();
  return {
    config: await aws.config(),
    // Callers are the stack account's identities: the function URL takes no other account's.
    homeAccountId: setting('REVOKER_ACCOUNT_ID'),
    cases: aws.cases(),
    audit: aws.audit(),
    clock: systemClock,
    // Each enrolled account through its own gateway, and always this one (callers, grants); any
    // other account is refused.
    iamFor: (accountId) => iam.in(accountId),
    // Where an offboarding may act: the enrolled accounts only, as the Offboard function's.
    revokesIn: (accountId) => enrolled.in(accountId),
    scheduler: aws.scheduler(),
    callbacks: aws.callbacks(),
    engine: aws.engine(),
    runbooks: aws.runbooks(),
    alarm: alarmLog(),
    // Every grant attaches it before its policy (finishGrantRequest passes it on to grantAccess).
    grantGuard: grantGuardIn(setting('GRANT_GUARD_POLICY_ARN'), setting('REVOKER_ACCOUNT_ID')),
  };
}

type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * The deployed handler of `step`: the function's adapters are assembled on the first invocation
 * (a missing setting fails it, named), then every invocation reuses them; each runs in the
 * observed chain (JSON logs, the case's events and metrics).
 */
export function deployed<E, R>(
  step: Step,
  assemble: () => Promise<LambdaHandler<E, R>>,
): LambdaHandler<E, R> {
  let ready: Promise<LambdaHandler<E, R>> | null = null;
  return observed(
    step,
    async (event, context) => {
      ready ??= assemble().catch((error: unknown) => {
        ready = null;
        throw error;
      });
      return (await ready)(event, context);
    },
    systemClock,
  );
}
