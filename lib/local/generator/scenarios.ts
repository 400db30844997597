// Attacks injected into generated logs, each with the ground truth a test or demo needs.
import { Random } from './random.ts';
import {
  type Account,
  type Call,
  instanceSession,
  lambdaSession,
  type Role,
  roleArn,
  sessionIdentity,
  userIdentity,
} from './world.ts';

export const SCENARIOS = [
  'compromised-role-session',
  'escalating-attack',
  'stolen-instance-credentials',
  'overprivileged-workload',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** The scenarios that are attacks: one credential misused within minutes, near the window's end. */
export type AttackScenarioName = Exclude<ScenarioName, 'overprivileged-workload'>;

export function isAttackScenario(scenario: ScenarioName): scenario is AttackScenarioName {
  return scenario !== 'overprivileged-workload';
}

/** One call an attack made, and the detection rules (ids) it is expected to trip. */
export interface ScenarioCall {
  time: string;
  region: string;
  eventSource: string;
  eventName: string;
  /** Ids from lib/domain/rules.ts, sorted; empty when no rule should fire on the call. */
  rules: string[];
}

/** What every scenario's ground truth says. */
interface TruthBase {
  scenario: ScenarioName;
  /** The principal kind (lib/domain/principal.ts) an investigator should end up revoking. */
  kind: 'assumed-role' | 'iam-user';
  account: string;
  /** That principal: the IAM role (not the session) or the IAM user. */
  principalArn: string;
  /** The one credential every call of the attack was signed with. */
  accessKeyId: string;
  attackerIp: string;
  /**
   * The attacker's user agent; for escalating-attack its prefix, which each call extends with
   * ` command/<service>.<operation>` as the AWS CLI does.
   */
  attackerUserAgent: string;
  startedAt: string;
  endedAt: string;
  /** The event name of the call the detection rule is expected to fire on. */
  triggerEventName: string;
  /** Every call of the attack, in time order. */
  calls: ScenarioCall[];
}

/** What an attack left behind, for the investigation runbooks. */
interface Footholds {
  backdoorUser: string;
  backdoorAccessKeyId: string;
  sharedSnapshot: string;
}

export interface CompromisedRoleSessionTruth extends TruthBase, Footholds {
  scenario: 'compromised-role-session';
  kind: 'assumed-role';
  roleArn: string;
  sessionName: string;
  sessionIssuedAt: string;
  exfiltratedSecret: string;
}

export interface EscalatingAttackTruth extends TruthBase, Footholds {
  scenario: 'escalating-attack';
  kind: 'iam-user';
  /** The person whose long-term access key the attacker holds. */
  userName: string;
  /** The trail stopped, then deleted. */
  trailName: string;
  /** The outside account the snapshot was shared with. */
  snapshotSharedWith: string;
}

/** Instance credentials taken from the metadata service: only looking around, nothing left behind. */
export interface StolenInstanceCredentialsTruth extends TruthBase {
  scenario: 'stolen-instance-credentials';
  kind: 'assumed-role';
  roleArn: string;
  /** The instance's ID: EC2 names the role session after the instance. */
  sessionName: string;
  sessionIssuedAt: string;
}

/** One statement of an identity-based policy, as IAM stores it. */
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/**
 * No attack: a Lambda function's execution role allowed `s3:*` on `*` that, over the whole
 * window, only ever writes objects under one prefix of one bucket (S3 data events). What a
 * least-privilege refinement should find: exactly `refinedStatement`.
 */
export interface OverprivilegedWorkloadTruth {
  scenario: 'overprivileged-workload';
  account: string;
  /** The region of the function and its bucket. */
  region: string;
  roleArn: string;
  roleName: string;
  /** The function: Lambda names its execution role's sessions after it. */
  functionName: string;
  bucket: string;
  /** Every key written starts with it: `data/YYYY/MM/DD/<uuid>.json`. */
  keyPrefix: string;
  /** The role's inline policy that holds `currentPolicy`. */
  inlinePolicyName: string;
  currentPolicy: PolicyDocument;
  /** The role's calls in the window: all of them PutObject, as S3 data events. */
  putObjectCalls: number;
  /** The one statement that allows every call the role made, and nothing more. */
  refinedStatement: PolicyStatement;
  /** The first and the last PutObject. */
  startedAt: string;
  endedAt: string;
}

interface TruthByScenario {
  'compromised-role-session': CompromisedRoleSessionTruth;
  'escalating-attack': EscalatingAttackTruth;
  'stolen-instance-credentials': StolenInstanceCredentialsTruth;
  'overprivileged-workload': OverprivilegedWorkloadTruth;
}

/**
 * The ground truth of a scenario. Without a parameter it is the compromised-role-session
 * truth that the demo, the runbook tests and the benchmarks read; `ScenarioTruth<S>` is the
 * truth of the scenarios in `S`, narrowed by `scenario`.
 */
export type ScenarioTruth<S extends ScenarioName = 'compromised-role-session'> = TruthByScenario[S];
export type AnyScenarioTruth = ScenarioTruth<ScenarioName>;
/** The ground truth of an attack: whose credential, from where, and every call it made. */
export type AttackTruth = ScenarioTruth<AttackScenarioName>;

const ATTACKER_IP = '198.51.100.23';
const BACKDOOR_USER = 'svc-backup';
const EXFILTRATED_SECRET = 'prod/orders/db-credentials';
const SHARED_SNAPSHOT = 'snap-0a1b2c3d4e5f60718';
const ATTACKER_ACCOUNT = '999988887777';
const ATTACKER_USER_AGENT =
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off command/iam.attach-role-policy';

/** Who-am-I and listing calls by instance credentials from a public address. */
const RECON = 'instance-credentials-outside-recon';

/** The rules each call of the compromised-role session trips (the others trip none). */
const ROLE_SESSION_RULES: Record<string, string[]> = {
  GetCallerIdentity: [RECON],
  ListBuckets: ['instance-credentials-bucket-listing'],
  ListAccounts: [RECON],
  ListDetectors: [RECON],
  DescribeTrails: [RECON],
  ListRoles: [RECON],
  ListUsers: [RECON],
  ListAttachedRolePolicies: [RECON],
  GetAccountAuthorizationDetails: [RECON],
  ListSecrets: [RECON],
  ModifySnapshotAttribute: ['snapshot-or-image-shared'],
  AttachRolePolicy: ['admin-policy-attached', 'instance-credentials-iam-escalation'],
  CreateUser: ['instance-credentials-iam-escalation'],
  CreateAccessKey: ['access-key-for-another-user', 'instance-credentials-iam-escalation'],
  CreateLoginProfile: ['instance-credentials-iam-escalation', 'login-profile-for-another-user'],
};

function scenarioCall(call: Call, rules: string[]): ScenarioCall {
  return {
    time: call.time.toISOString(),
    region: call.region,
    eventSource: call.eventSource,
    eventName: call.eventName,
    rules: [...rules].sort(),
  };
}

/**
 * EC2 instance credentials stolen (SSRF to the metadata service) and used from outside AWS:
 * reconnaissance (GetCallerIdentity first, where the case opens), denied probes, privilege
 * escalation on the role itself, then a backdoor user with keys and a console password.
 */
export function compromisedRoleSession(
  account: Account,
  start: Date,
): { calls: Call[]; truth: CompromisedRoleSessionTruth } {
  const instance = account.instances[0]!;
  const session = instanceSession(account, instance, start);
  const identity = sessionIdentity(session);
  const backdoorKey = `AKIA${new Random(`${account.id}:backdoor`).keyChars(16)}`;
  // [event source, event name, read-only, request parameters, error code, response elements]
  const steps: [string, string, boolean, unknown, string?, unknown?][] = [
    ['sts.amazonaws.com', 'GetCallerIdentity', true, null],
    ['s3.amazonaws.com', 'ListBuckets', true, null],
    ['organizations.amazonaws.com', 'ListAccounts', true, null, 'AccessDenied'],
    ['guardduty.amazonaws.com', 'ListDetectors', true, null, 'AccessDenied'],
    ['cloudtrail.amazonaws.com', 'DescribeTrails', true, null, 'AccessDenied'],
    ['iam.amazonaws.com', 'ListRoles', true, null],
    ['iam.amazonaws.com', 'ListUsers', true, null],
    ['iam.amazonaws.com', 'ListAttachedRolePolicies', true, { roleName: instance.role.name }],
    ['iam.amazonaws.com', 'GetAccountAuthorizationDetails', true, null, 'AccessDenied'],
    ['secretsmanager.amazonaws.com', 'ListSecrets', true, null],
    ['secretsmanager.amazonaws.com', 'GetSecretValue', true, { secretId: EXFILTRATED_SECRET }],
    [
      'ec2.amazonaws.com',
      'ModifySnapshotAttribute',
      false,
      {
        snapshotId: SHARED_SNAPSHOT,
        attributeType: 'CREATE_VOLUME_PERMISSION',
        createVolumePermission: { add: { items: [{ userId: ATTACKER_ACCOUNT }] } },
      },
    ],
    [
      'iam.amazonaws.com',
      'AttachRolePolicy',
      false,
      { roleName: instance.role.name, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    ],
    ['iam.amazonaws.com', 'CreateUser', false, { userName: BACKDOOR_USER }],
    [
      'iam.amazonaws.com',
      'CreateAccessKey',
      false,
      { userName: BACKDOOR_USER },
      undefined,
      { accessKey: { accessKeyId: backdoorKey, status: 'Active', userName: BACKDOOR_USER } },
    ],
    [
      'iam.amazonaws.com',
      'CreateLoginProfile',
      false,
      { userName: BACKDOOR_USER, passwordResetRequired: false },
    ],
  ];
  const calls = steps.map(
    ([eventSource, eventName, readOnly, requestParameters, errorCode, responseElements], index): Call => ({
      time: new Date(start.getTime() + index * 47_000),
      account: account.id,
      region: eventSource === 'iam.amazonaws.com' ? 'us-east-1' : account.regions[0]!,
      identity,
      eventSource,
      eventName,
      sourceIPAddress: ATTACKER_IP,
      userAgent: ATTACKER_USER_AGENT,
      readOnly,
      requestParameters,
      ...(responseElements ? { responseElements } : {}),
      ...refusal(identity, eventSource, eventName, errorCode),
    }),
  );
  return {
    calls,
    truth: {
      scenario: 'compromised-role-session',
      ...stolenSessionTruth(account, instance, session, calls, ATTACKER_IP, ATTACKER_USER_AGENT),
      calls: calls.map((call) => scenarioCall(call, ROLE_SESSION_RULES[call.eventName] ?? [])),
      backdoorUser: BACKDOOR_USER,
      backdoorAccessKeyId: backdoorKey,
      exfiltratedSecret: EXFILTRATED_SECRET,
      sharedSnapshot: SHARED_SNAPSHOT,
    },
  };
}

const STOLEN_IP = '203.0.113.77';
const STOLEN_USER_AGENT =
  'Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.8.0-1008-aws md/arch#x86_64 lang/python#3.12.3 ' +
  'md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84';

/**
 * EC2 instance credentials taken from the metadata service (an SSRF in the application) and used
 * from the attacker's own machine, outside the VPC: who am I, then what the role may do and what
 * the account holds. One probe is refused. Each call trips the reconnaissance rule, but
 * ListBuckets, which the bucket-listing rule has for its own.
 */
export function stolenInstanceCredentials(
  account: Account,
  start: Date,
): { calls: Call[]; truth: StolenInstanceCredentialsTruth } {
  const instance = account.instances[account.instances.length - 1]!;
  const session = instanceSession(account, instance, start);
  const identity = sessionIdentity(session);
  const mainRegion = account.regions[0]!;
  const base = Math.floor(start.getTime() / 1000) * 1000;
  // [seconds after the start, event source, event name, request parameters, error code, expected rules]
  const steps: [number, string, string, unknown, string | null, string[]][] = [
    [0, 'sts.amazonaws.com', 'GetCallerIdentity', null, null, [RECON]],
    [9, 'iam.amazonaws.com', 'ListAttachedRolePolicies', { roleName: instance.role.name }, null, [RECON]],
    [13, 'iam.amazonaws.com', 'ListRolePolicies', { roleName: instance.role.name }, null, [RECON]],
    [21, 'iam.amazonaws.com', 'GetAccountAuthorizationDetails', null, 'AccessDenied', [RECON]],
    [34, 'ec2.amazonaws.com', 'DescribeRegions', null, null, [RECON]],
    [41, 'ec2.amazonaws.com', 'DescribeInstances', { instancesSet: {}, filterSet: {} }, null, [RECON]],
    [55, 's3.amazonaws.com', 'ListBuckets', null, null, ['instance-credentials-bucket-listing']],
    [70, 'secretsmanager.amazonaws.com', 'ListSecrets', null, null, [RECON]],
    [
      88,
      'ec2.amazonaws.com',
      'DescribeSnapshots',
      { ownersSet: { items: [{ owner: 'self' }] } },
      null,
      [RECON],
    ],
  ];
  const calls = steps.map(
    ([seconds, eventSource, eventName, requestParameters, errorCode]): Call => ({
      time: new Date(base + seconds * 1000),
      account: account.id,
      region: ['iam.amazonaws.com', 'sts.amazonaws.com'].includes(eventSource) ? 'us-east-1' : mainRegion,
      identity,
      eventSource,
      eventName,
      sourceIPAddress: STOLEN_IP,
      userAgent: STOLEN_USER_AGENT,
      readOnly: true,
      requestParameters,
      ...refusal(identity, eventSource, eventName, errorCode),
    }),
  );
  return {
    calls,
    truth: {
      scenario: 'stolen-instance-credentials',
      ...stolenSessionTruth(account, instance, session, calls, STOLEN_IP, STOLEN_USER_AGENT),
      calls: calls.map((call, index) => scenarioCall(call, steps[index]![5])),
    },
  };
}

const ESCALATION_IP = '192.0.2.146';
const ESCALATION_USER_AGENT =
  'aws-cli/2.13.5 Python/3.11.4 Linux/6.1.0-13-cloud-amd64 exe/x86_64.debian.12 prompt/off';
const ESCALATION_BACKDOOR_USER = 'support-automation';
const ESCALATION_OUTSIDE_ACCOUNT = '444455556666';
const TRAIL_NAME = 'management-events';
const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A time as IAM and SSM write it in responseElements (UTC): `Aug 1, 2024 1:33:28 PM`, or with
 * SSM's comma after the year, `Aug 2, 2024, 10:23:24 AM`.
 */
function responseDate(time: Date, commaAfterYear = false): string {
  const hours = time.getUTCHours();
  const clock = [hours % 12 || 12, time.getUTCMinutes(), time.getUTCSeconds()]
    .map((part, index) => (index === 0 ? String(part) : String(part).padStart(2, '0')))
    .join(':');
  return `${MONTHS[time.getUTCMonth()]} ${time.getUTCDate()}, ${time.getUTCFullYear()}${commaAfterYear ? ',' : ''} ${clock} ${hours < 12 ? 'AM' : 'PM'}`;
}

/**
 * A person's long-term access key used from an attacker's machine, escalating within four
 * minutes: a command on an instance through SSM (a notify-only rule), the trail stopped and
 * deleted, an EBS snapshot shared with an outside account, then a new user with an access
 * key and AdministratorAccess.
 */
export function escalatingAttack(
  account: Account,
  start: Date,
): { calls: Call[]; truth: EscalatingAttackTruth } {
  const person = account.people[1]!;
  const identity = userIdentity(account, person, true);
  const random = new Random(`${account.id}:escalating-attack`);
  const instance = account.instances[account.instances.length - 1]!;
  const snapshot = `snap-0${random.hex(16)}`;
  const backdoorUserId = `AIDA${random.keyChars(17)}`;
  const backdoorKey = `AKIA${random.keyChars(16)}`;
  const commandId = random.uuid();
  const mainRegion = account.regions[0]!;
  const base = Math.floor(start.getTime() / 1000) * 1000;
  const at = (seconds: number) => new Date(base + seconds * 1000);
  const sendCommandAt = at(0);
  // [seconds after the start, event source, event name, request, response, expected rules]
  const steps: [number, string, string, unknown, unknown, string[]][] = [
    [
      0,
      'ssm.amazonaws.com',
      'SendCommand',
      {
        documentName: 'AWS-RunShellScript',
        instanceIds: [instance.id],
        interactive: false,
        parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      },
      {
        command: {
          alarmConfiguration: { alarms: [], ignorePollAlarmFailure: false },
          clientName: '',
          clientSourceId: '',
          cloudWatchOutputConfig: { cloudWatchLogGroupName: '', cloudWatchOutputEnabled: false },
          commandId,
          comment: '',
          completedCount: 0,
          deliveryTimedOutCount: 0,
          documentName: 'AWS-RunShellScript',
          documentVersion: '$DEFAULT',
          errorCount: 0,
          expiresAfter: responseDate(new Date(sendCommandAt.getTime() + 2 * 3600_000), true),
          hasCancelCommandSignature: false,
          hasSendCommandSignature: false,
          instanceIds: [instance.id],
          interactive: false,
          maxConcurrency: '50',
          maxErrors: '0',
          notificationConfig: { notificationArn: '', notificationEvents: [], notificationType: '' },
          outputS3BucketName: '',
          outputS3KeyPrefix: '',
          outputS3Region: mainRegion,
          parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS',
          requestedDateTime: responseDate(sendCommandAt, true),
          serviceRole: '',
          status: 'Pending',
          statusDetails: 'Pending',
          targetCount: 1,
          targets: [],
          timeoutSeconds: 3600,
          triggeredAlarms: [],
        },
      },
      ['ssm-command-by-person'],
    ],
    [
      64,
      'cloudtrail.amazonaws.com',
      'StopLogging',
      { name: TRAIL_NAME },
      null,
      ['cloudtrail-stopped-or-deleted'],
    ],
    [
      81,
      'cloudtrail.amazonaws.com',
      'DeleteTrail',
      { name: TRAIL_NAME },
      null,
      ['cloudtrail-stopped-or-deleted'],
    ],
    [
      143,
      'ec2.amazonaws.com',
      'ModifySnapshotAttribute',
      {
        snapshotId: snapshot,
        attributeType: 'CREATE_VOLUME_PERMISSION',
        createVolumePermission: { add: { items: [{ userId: ESCALATION_OUTSIDE_ACCOUNT }] } },
      },
      { _return: true },
      ['snapshot-or-image-shared'],
    ],
    [
      198,
      'iam.amazonaws.com',
      'CreateUser',
      { userName: ESCALATION_BACKDOOR_USER },
      {
        user: {
          path: '/',
          userName: ESCALATION_BACKDOOR_USER,
          userId: backdoorUserId,
          arn: `arn:aws:iam::${account.id}:user/${ESCALATION_BACKDOOR_USER}`,
          createDate: responseDate(at(198)),
        },
      },
      [],
    ],
    [
      211,
      'iam.amazonaws.com',
      'CreateAccessKey',
      { userName: ESCALATION_BACKDOOR_USER },
      {
        accessKey: {
          userName: ESCALATION_BACKDOOR_USER,
          accessKeyId: backdoorKey,
          status: 'Active',
          createDate: responseDate(at(211)),
        },
      },
      ['access-key-for-another-user'],
    ],
    [
      229,
      'iam.amazonaws.com',
      'AttachUserPolicy',
      { userName: ESCALATION_BACKDOOR_USER, policyArn: ADMINISTRATOR_ACCESS },
      null,
      ['admin-policy-attached'],
    ],
  ];
  const calls = steps.map(
    ([seconds, eventSource, eventName, requestParameters, responseElements]): Call => ({
      time: at(seconds),
      account: account.id,
      // IAM and STS are global and log in us-east-1; everything else in the account's main region.
      region: ['iam.amazonaws.com', 'sts.amazonaws.com'].includes(eventSource) ? 'us-east-1' : mainRegion,
      identity,
      eventSource,
      eventName,
      sourceIPAddress: ESCALATION_IP,
      userAgent: `${ESCALATION_USER_AGENT} command/${eventSource.split('.')[0]}.${cliCommand(eventName)}`,
      readOnly: false,
      requestParameters,
      responseElements,
    }),
  );
  return {
    calls,
    truth: {
      scenario: 'escalating-attack',
      kind: 'iam-user',
      account: account.id,
      principalArn: String(identity.arn),
      userName: person.name,
      accessKeyId: person.accessKeyId,
      attackerIp: ESCALATION_IP,
      attackerUserAgent: ESCALATION_USER_AGENT,
      startedAt: calls[0]!.time.toISOString(),
      endedAt: calls[calls.length - 1]!.time.toISOString(),
      triggerEventName: 'SendCommand',
      calls: calls.map((call, index) => scenarioCall(call, steps[index]![5])),
      backdoorUser: ESCALATION_BACKDOOR_USER,
      backdoorAccessKeyId: backdoorKey,
      sharedSnapshot: snapshot,
      trailName: TRAIL_NAME,
      snapshotSharedWith: ESCALATION_OUTSIDE_ACCOUNT,
    },
  };
}

/** The AWS CLI's name for an operation: `ModifySnapshotAttribute` → `modify-snapshot-attribute`. */
function cliCommand(eventName: string): string {
  return eventName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * After revocation the attacker still holds the stolen session and retries every 40 seconds
 * within [from, to): alternately a new access key for the backdoor user and a listing.
 */
export function stolenSessionRetries(account: Account, truth: ScenarioTruth, from: Date, to: Date): Call[] {
  const stolen = sessionIdentity(instanceSession(account, account.instances[0]!, new Date(truth.startedAt)));
  const calls: Call[] = [];
  for (let at = from.getTime() + 20_000; at < to.getTime(); at += 40_000) {
    const write = calls.length % 2 === 0;
    calls.push({
      time: new Date(Math.floor(at / 1000) * 1000),
      account: account.id,
      region: 'us-east-1',
      identity: stolen,
      eventSource: 'iam.amazonaws.com',
      eventName: write ? 'CreateAccessKey' : 'ListUsers',
      sourceIPAddress: truth.attackerIp,
      userAgent: truth.attackerUserAgent,
      readOnly: !write,
      requestParameters: write ? { userName: BACKDOOR_USER } : null,
    });
  }
  return calls;
}

/** The backdoor user the attack created, as the account's IAM holds it once the attack ran. */
export function backdoorPerson(account: Account, truth: ScenarioTruth) {
  return {
    name: truth.backdoorUser,
    principalId: `AIDA${new Random(`${account.id}:backdoor-user`).keyChars(17)}`,
    accessKeyId: truth.backdoorAccessKeyId,
    ip: truth.attackerIp,
  };
}

/** Calls with the backdoor user's access key from the attacker's address. */
function backdoorCall(
  account: Account,
  truth: ScenarioTruth,
  time: Date,
  operation: [string, string, boolean],
): Call {
  const [eventSource, eventName, readOnly] = operation;
  return {
    time,
    account: account.id,
    region: eventSource === 'iam.amazonaws.com' ? 'us-east-1' : account.regions[0]!,
    identity: userIdentity(account, backdoorPerson(account, truth), true),
    eventSource,
    eventName,
    sourceIPAddress: truth.attackerIp,
    userAgent: truth.attackerUserAgent,
    readOnly,
    requestParameters:
      eventName === 'StopLogging'
        ? { name: 'management-events' }
        : eventName === 'SendCommand'
          ? {
              documentName: 'AWS-RunShellScript',
              instanceIds: [account.instances[0]!.id],
              interactive: false,
            }
          : null,
  };
}

/**
 * The attacker comes back with the backdoor user's key once the stolen session is dead: who
 * am I, a command on an instance (a notify-only rule), which trails are there, then stop the
 * trail (the call that ends at `at`, a critical one: it raises the case the command opened).
 */
export function backdoorReturns(account: Account, truth: ScenarioTruth, at: Date): Call[] {
  return [
    backdoorCall(account, truth, new Date(at.getTime() - 90_000), [
      'sts.amazonaws.com',
      'GetCallerIdentity',
      true,
    ]),
    backdoorCall(account, truth, new Date(at.getTime() - 70_000), [
      'ssm.amazonaws.com',
      'SendCommand',
      false,
    ]),
    backdoorCall(account, truth, new Date(at.getTime() - 45_000), [
      'cloudtrail.amazonaws.com',
      'DescribeTrails',
      true,
    ]),
    backdoorCall(account, truth, at, ['cloudtrail.amazonaws.com', 'StopLogging', false]),
  ];
}

/** After that, the attacker keeps trying the backdoor key every 40 seconds within [from, to). */
export function backdoorRetries(account: Account, truth: ScenarioTruth, from: Date, to: Date): Call[] {
  const calls: Call[] = [];
  for (let at = from.getTime() + 30_000; at < to.getTime(); at += 40_000) {
    calls.push(
      backdoorCall(account, truth, new Date(Math.floor(at / 1000) * 1000), [
        'cloudtrail.amazonaws.com',
        calls.length % 2 === 0 ? 'StopLogging' : 'DescribeTrails',
        calls.length % 2 !== 0,
      ]),
    );
  }
  return calls;
}

/** IAM's refusal of a call, as CloudTrail records it, when the call was refused. */
function refusal(
  identity: Call['identity'],
  eventSource: string,
  eventName: string,
  errorCode?: string | null,
) {
  return errorCode
    ? {
        errorCode,
        errorMessage: `User: ${String(identity.arn)} is not authorized to perform: ${eventSource.split('.')[0]}:${eventName} on resource: *`,
      }
    : {};
}

/** The ground truth every stolen instance session's scenario shares: whose session, from where, when. */
function stolenSessionTruth(
  account: Account,
  instance: Account['instances'][number],
  session: ReturnType<typeof instanceSession>,
  calls: Call[],
  attackerIp: string,
  attackerUserAgent: string,
) {
  return {
    kind: 'assumed-role' as const,
    account: account.id,
    principalArn: roleArn(account.id, instance.role),
    roleArn: roleArn(account.id, instance.role),
    sessionName: instance.id,
    accessKeyId: session.accessKeyId,
    sessionIssuedAt: session.issuedAt,
    attackerIp,
    attackerUserAgent,
    startedAt: calls[0]!.time.toISOString(),
    endedAt: calls[calls.length - 1]!.time.toISOString(),
    triggerEventName: 'GetCallerIdentity',
  };
}

const WORKLOAD_FUNCTION = 'report-exporter';
const WORKLOAD_KEY_PREFIX = 'data/';
const WORKLOAD_POLICY_NAME = 's3-access';
/** The Node.js runtime's bundled SDK v3; S3 data events show the user agent in brackets. */
const WORKLOAD_USER_AGENT =
  '[aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.214-223.834.amzn2.x86_64 lang/js md/nodejs#20.12.0 ' +
  'api/s3#3.540.0 exec-env/AWS_Lambda_nodejs20.x]';

/**
 * A Lambda function (outside any VPC, so from public AWS addresses) that exports reports: its
 * execution role may do anything in S3, but all it ever does, several times an hour over the
 * whole window [from, to), is PutObject under `data/` in one bucket. Its own random stream,
 * seeded from the account, keeps the rest of the generated traffic as it was.
 */
export function overprivilegedWorkload(
  account: Account,
  from: Date,
  to: Date,
): { calls: Call[]; truth: OverprivilegedWorkloadTruth } {
  const random = new Random(`${account.id}:overprivileged-workload`);
  // As the Lambda console names the execution role it creates for a function.
  const role: Role = {
    name: `${WORKLOAD_FUNCTION}-role-${random.keyChars(8).toLowerCase()}`,
    path: '/service-role/',
    principalId: `AROA${random.keyChars(17)}`,
  };
  const region = account.regions[0]!;
  const bucket = `report-exports-${account.id}`;
  const host = `${bucket}.s3.${region}.amazonaws.com`;
  const calls: Call[] = [];
  const first = Math.ceil(from.getTime() / 1000) * 1000;
  for (let hour = first; hour < to.getTime(); hour += 3600_000) {
    // One warm execution environment an hour, from its own address.
    const ip = `3.${random.int(208, 239)}.${random.int(0, 255)}.${random.int(1, 254)}`;
    const seconds = Math.min(3600, Math.floor((to.getTime() - hour) / 1000));
    const offsets = Array.from({ length: random.int(3, 8) }, () => random.int(0, seconds - 1)).sort(
      (a, b) => a - b,
    );
    for (const offset of offsets) {
      const time = new Date(hour + offset * 1000);
      const day = time.toISOString().slice(0, 10).replaceAll('-', '/');
      const key = `${WORKLOAD_KEY_PREFIX}${day}/${random.uuid()}.json`;
      calls.push({
        time,
        account: account.id,
        region,
        identity: sessionIdentity(lambdaSession(account.id, role, WORKLOAD_FUNCTION, time)),
        eventSource: 's3.amazonaws.com',
        eventName: 'PutObject',
        sourceIPAddress: ip,
        userAgent: WORKLOAD_USER_AGENT,
        readOnly: false,
        requestParameters: { bucketName: bucket, Host: host, key },
        // Every upload is encrypted with S3's own keys, the default since January 2023.
        responseElements: { 'x-amz-server-side-encryption': 'AES256' },
        additionalEventData: {
          SignatureVersion: 'SigV4',
          CipherSuite: 'TLS_AES_128_GCM_SHA256',
          bytesTransferredIn: random.int(400, 24_000),
          SSEApplied: 'Default_SSE_S3',
          AuthenticationMethod: 'AuthHeader',
          'x-amz-id-2': Buffer.from(random.hex(112), 'hex').toString('base64'),
          bytesTransferredOut: 0,
        },
        requestID: random.hex(16).toUpperCase(),
        eventCategory: 'Data',
        resources: [
          { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
          { accountId: account.id, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
        ],
        host,
      });
    }
  }
  return {
    calls,
    truth: {
      scenario: 'overprivileged-workload',
      account: account.id,
      region,
      roleArn: roleArn(account.id, role),
      roleName: role.name,
      functionName: WORKLOAD_FUNCTION,
      bucket,
      keyPrefix: WORKLOAD_KEY_PREFIX,
      inlinePolicyName: WORKLOAD_POLICY_NAME,
      currentPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
      },
      putObjectCalls: calls.length,
      refinedStatement: {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${bucket}/${WORKLOAD_KEY_PREFIX}*`,
      },
      startedAt: calls[0]!.time.toISOString(),
      endedAt: calls[calls.length - 1]!.time.toISOString(),
    },
  };
}
