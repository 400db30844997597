// Attacks injected into generated logs, each with the ground truth a test or demo needs.
import { Random } from './random.ts';
import { type Account, type Call, instanceSession, roleArn, sessionIdentity, userIdentity } from './world.ts';

export interface ScenarioTruth {
  scenario: ScenarioName;
  account: string;
  /** The principal an investigator should end up revoking. */
  roleArn: string;
  sessionName: string;
  accessKeyId: string;
  sessionIssuedAt: string;
  attackerIp: string;
  attackerUserAgent: string;
  startedAt: string;
  endedAt: string;
  /** The event name of the call the detection rule is expected to fire on. */
  triggerEventName: string;
  /** What the attack left behind, for the investigation runbooks. */
  backdoorUser: string;
  backdoorAccessKeyId: string;
  exfiltratedSecret: string;
  sharedSnapshot: string;
}

export const SCENARIOS = ['compromised-role-session'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const ATTACKER_IP = '198.51.100.23';
const BACKDOOR_USER = 'svc-backup';
const EXFILTRATED_SECRET = 'prod/orders/db-credentials';
const SHARED_SNAPSHOT = 'snap-0a1b2c3d4e5f60718';
const ATTACKER_ACCOUNT = '999988887777';
const ATTACKER_USER_AGENT =
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off command/iam.attach-role-policy';

/**
 * EC2 instance credentials stolen (SSRF to the metadata service) and used from outside AWS:
 * reconnaissance, a denied probe, privilege escalation on the role itself, then a backdoor
 * user with keys and a console password.
 */
export function compromisedRoleSession(
  account: Account,
  start: Date,
): { calls: Call[]; truth: ScenarioTruth } {
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
      ...(errorCode
        ? {
            errorCode,
            errorMessage: `User: ${String(identity.arn)} is not authorized to perform: ${eventSource.split('.')[0]}:${eventName} on resource: *`,
          }
        : {}),
    }),
  );
  return {
    calls,
    truth: {
      scenario: 'compromised-role-session',
      account: account.id,
      roleArn: roleArn(account.id, instance.role),
      sessionName: instance.id,
      accessKeyId: session.accessKeyId,
      sessionIssuedAt: session.issuedAt,
      attackerIp: ATTACKER_IP,
      attackerUserAgent: ATTACKER_USER_AGENT,
      startedAt: calls[0]!.time.toISOString(),
      endedAt: calls[calls.length - 1]!.time.toISOString(),
      triggerEventName: 'AttachRolePolicy',
      backdoorUser: BACKDOOR_USER,
      backdoorAccessKeyId: backdoorKey,
      exfiltratedSecret: EXFILTRATED_SECRET,
      sharedSnapshot: SHARED_SNAPSHOT,
    },
  };
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
    requestParameters: eventName === 'StopLogging' ? { name: 'management-events' } : null,
  };
}

/**
 * The attacker comes back with the backdoor user's key once the stolen session is dead: who
 * am I, which trails are there, then stop the trail (the call that ends at `at`).
 */
export function backdoorReturns(account: Account, truth: ScenarioTruth, at: Date): Call[] {
  return [
    backdoorCall(account, truth, new Date(at.getTime() - 90_000), [
      'sts.amazonaws.com',
      'GetCallerIdentity',
      true,
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
