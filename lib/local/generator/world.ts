// A believable AWS organisation for generated logs: people with access keys and console
// sign-ins, EC2 instance roles, a CI role, Lambda roles and AWS services, each with the
// event mix, addresses and user agents such principals really show.

import type { AuthorizationRequest, Authorizer } from '../../domain/policy-evaluator.ts';
import { toInstant } from '../../domain/time.ts';
import { Random } from './random.ts';

export interface Call {
  time: Date;
  account: string;
  region: string;
  identity: Record<string, unknown>;
  eventSource: string;
  eventName: string;
  sourceIPAddress: string;
  userAgent: string;
  readOnly: boolean;
  eventType?: 'AwsApiCall' | 'AwsConsoleSignIn' | 'AwsServiceEvent';
  requestParameters?: unknown;
  responseElements?: unknown;
  additionalEventData?: unknown;
  errorCode?: string;
  errorMessage?: string;
  /** The account's interface endpoint the call came through (sourceIPAddress is then private). */
  vpcEndpointId?: string;
  /** `Data` for a data event (an S3 object operation, say); management events by default. */
  eventCategory?: 'Management' | 'Data';
  /** The resources CloudTrail lists for the call, as it does for S3 data events. */
  resources?: { accountId?: string; type: string; ARN: string }[];
  /** The service's own request ID (S3's are 16 hex digits); a UUID by default. */
  requestID?: string;
  /** The host the client asked for (S3's virtual-hosted bucket address); the service's by default. */
  host?: string;
}

export const allowEverything: Authorizer = () => null;

type Operation = readonly [eventSource: string, eventName: string, readOnly: boolean];

const USER_OPERATIONS: readonly (readonly [Operation, number])[] = [
  [['sts.amazonaws.com', 'GetCallerIdentity', true], 8],
  [['s3.amazonaws.com', 'ListBuckets', true], 6],
  [['ec2.amazonaws.com', 'DescribeInstances', true], 10],
  [['ec2.amazonaws.com', 'DescribeSecurityGroups', true], 5],
  [['iam.amazonaws.com', 'ListRoles', true], 3],
  [['iam.amazonaws.com', 'GetRole', true], 3],
  [['cloudformation.amazonaws.com', 'DescribeStacks', true], 6],
  [['logs.amazonaws.com', 'DescribeLogGroups', true], 4],
  [['lambda.amazonaws.com', 'ListFunctions20150331', true], 3],
  [['kms.amazonaws.com', 'ListKeys', true], 2],
  [['ec2.amazonaws.com', 'StartInstances', false], 1],
  [['ec2.amazonaws.com', 'StopInstances', false], 1],
  [['cloudformation.amazonaws.com', 'UpdateStack', false], 1],
];

const INSTANCE_OPERATIONS: readonly (readonly [Operation, number])[] = [
  [['kms.amazonaws.com', 'Decrypt', true], 10],
  [['secretsmanager.amazonaws.com', 'GetSecretValue', true], 6],
  [['ssm.amazonaws.com', 'GetParameter', true], 6],
  [['ec2.amazonaws.com', 'DescribeTags', true], 4],
  [['sqs.amazonaws.com', 'GetQueueAttributes', true], 2],
  [['sts.amazonaws.com', 'GetCallerIdentity', true], 1],
];

const LAMBDA_OPERATIONS: readonly (readonly [Operation, number])[] = [
  [['kms.amazonaws.com', 'Decrypt', true], 6],
  [['dynamodb.amazonaws.com', 'DescribeTable', true], 4],
  [['ssm.amazonaws.com', 'GetParameters', true], 3],
  [['sns.amazonaws.com', 'Publish', false], 1],
];

const CI_OPERATIONS: readonly (readonly [Operation, number])[] = [
  [['cloudformation.amazonaws.com', 'DescribeStacks', true], 8],
  [['cloudformation.amazonaws.com', 'CreateChangeSet', false], 2],
  [['cloudformation.amazonaws.com', 'ExecuteChangeSet', false], 1],
  [['s3.amazonaws.com', 'ListBuckets', true], 1],
  [['ecr.amazonaws.com', 'GetAuthorizationToken', true], 3],
  [['lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', false], 1],
];

const PEOPLE = ['alice', 'bob', 'carol', 'dmitri', 'erin', 'farah', 'gwen', 'hiro'];
const PERSON_AGENTS = [
  'aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off',
  'aws-cli/2.13.25 Python/3.11.6 Linux/6.5.0-1017-aws exe/x86_64.ubuntu.22 prompt/off',
  'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.12.2',
  'AWS Internal',
  'console.amazonaws.com',
];
const SDK_AGENT =
  'aws-sdk-java/2.25.11 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS';
const LAMBDA_AGENT =
  'aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.214-223.834.amzn2.x86_64 lang/js md/nodejs#20.12.0 exec-env/AWS_Lambda_nodejs20.x';
const CI_AGENT =
  'aws-sdk-js/3.540.0 ua/2.0 os/linux#6.5.0-1017-azure lang/js md/nodejs#20.11.1 api/cloudformation#3.540.0';
const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36';

export interface Person {
  name: string;
  principalId: string;
  accessKeyId: string;
  ip: string;
}

export interface Role {
  name: string;
  path: string;
  principalId: string;
}

export interface Instance {
  id: string;
  /** Its private address: instances sit in private subnets and reach AWS through VPC endpoints. */
  ip: string;
  role: Role;
}

export interface Account {
  id: string;
  regions: string[];
  people: Person[];
  instanceRole: Role;
  instances: Instance[];
  lambdaRole: Role;
  functions: string[];
  ciRole: Role;
}

/** How often each kind of role session is re-issued. */
const INSTANCE_SESSION_MS = 6 * 3600_000; // instance credentials from IMDS
const LAMBDA_SESSION_MS = 3600_000;
const CI_SESSION_MS = 1800_000; // one CI job

export function roleArn(account: string, role: Role): string {
  return `arn:aws:iam::${account}:role${role.path}${role.name}`;
}

export function buildAccounts(random: Random, count: number): Account[] {
  const accounts: Account[] = [];
  for (let index = 0; index < count; index++) {
    const id = String(random.int(100000000000, 999999999999));
    const people = PEOPLE.slice(0, 4 + (index % 4)).map((name) => ({
      name,
      principalId: `AIDA${random.keyChars(17)}`,
      accessKeyId: `AKIA${random.keyChars(16)}`,
      ip: `203.0.113.${random.int(10, 250)}`,
    }));
    const instanceRole = { name: 'app-server', path: '/service/', principalId: `AROA${random.keyChars(17)}` };
    accounts.push({
      id,
      regions: ['us-east-1', 'eu-west-1'],
      people,
      instanceRole,
      instances: [0, 1].map(() => ({
        id: `i-0${random.hex(16)}`,
        ip: `10.${random.int(144, 210)}.${random.int(0, 255)}.${random.int(1, 254)}`,
        role: instanceRole,
      })),
      lambdaRole: {
        name: 'orders-processor',
        path: '/service-role/',
        principalId: `AROA${random.keyChars(17)}`,
      },
      functions: ['orders-processor', 'orders-notifier'],
      ciRole: { name: 'ci-deploy', path: '/', principalId: `AROA${random.keyChars(17)}` },
    });
  }
  return accounts;
}

/** When the session current at `at` was issued: the last period boundary, or a later re-issue. */
function sessionStart(at: Date, periodMs: number, reissuedAt?: Date): Date {
  const boundary = new Date(Math.floor(at.getTime() / periodMs) * periodMs);
  return reissuedAt && boundary < reissuedAt && at >= reissuedAt ? reissuedAt : boundary;
}

/** A role session; its temporary access key is derived from the session, so it is stable. */
function roleSession(
  account: string,
  role: Role,
  sessionName: string,
  issuedAt: Date,
  ec2: boolean,
): RoleSession {
  const keyRandom = new Random(`${role.principalId}:${sessionName}:${issuedAt.getTime()}`);
  return {
    account,
    role,
    sessionName,
    issuedAt: toInstant(issuedAt),
    accessKeyId: `ASIA${keyRandom.keyChars(16)}`,
    ec2,
  };
}

/** The session a Lambda function's execution role holds at `at`: named after the function, re-issued hourly. */
export function lambdaSession(account: string, role: Role, functionName: string, at: Date): RoleSession {
  return roleSession(account, role, functionName, sessionStart(at, LAMBDA_SESSION_MS), false);
}

/**
 * The session an instance holds at a given time: issued at the last rotation boundary, or
 * at `reissuedAt` when its credentials were refreshed then (after a revocation).
 */
export function instanceSession(
  account: Account,
  instance: Instance,
  at: Date,
  reissuedAt?: Date,
): RoleSession {
  return roleSession(
    account.id,
    instance.role,
    instance.id,
    sessionStart(at, INSTANCE_SESSION_MS, reissuedAt),
    true,
  );
}

export interface RoleSession {
  account: string;
  role: Role;
  sessionName: string;
  issuedAt: string;
  accessKeyId: string;
  ec2: boolean;
}

export function sessionIdentity(session: RoleSession): Record<string, unknown> {
  return {
    type: 'AssumedRole',
    principalId: `${session.role.principalId}:${session.sessionName}`,
    arn: `arn:aws:sts::${session.account}:assumed-role/${session.role.name}/${session.sessionName}`,
    accountId: session.account,
    accessKeyId: session.accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: session.role.principalId,
        arn: roleArn(session.account, session.role),
        accountId: session.account,
        userName: session.role.name,
      },
      attributes: { creationDate: session.issuedAt, mfaAuthenticated: 'false' },
      ...(session.ec2 ? { ec2RoleDelivery: '2.0' } : {}),
    },
  };
}

export function userIdentity(account: Account, person: Person, withKey: boolean): Record<string, unknown> {
  return {
    type: 'IAMUser',
    principalId: person.principalId,
    arn: `arn:aws:iam::${account.id}:user/${person.name}`,
    accountId: account.id,
    ...(withKey ? { accessKeyId: person.accessKeyId } : {}),
    userName: person.name,
  };
}

export function authorizationFor(call: Call): AuthorizationRequest {
  const identity = call.identity as {
    type?: string;
    userName?: string;
    principalId?: string;
    accessKeyId?: string;
    sessionContext?: {
      sessionIssuer?: { userName?: string };
      attributes?: { creationDate?: string };
      sourceIdentity?: string;
    };
    arn?: string;
  };
  const assumed = identity.type === 'AssumedRole';
  return {
    account: call.account,
    action: `${call.eventSource.replace('.amazonaws.com', '')}:${call.eventName.replace(/\d{8}(v\d+)?$/, '')}`,
    roleName: assumed ? (identity.sessionContext?.sessionIssuer?.userName ?? null) : null,
    userName: identity.type === 'IAMUser' ? (identity.userName ?? null) : null,
    tokenIssueTime: assumed ? (identity.sessionContext?.attributes?.creationDate ?? null) : null,
    sessionName: assumed ? (identity.arn?.split('/').pop() ?? null) : null,
    userId: assumed ? (identity.principalId ?? null) : null,
    sourceIdentity: identity.sessionContext?.sourceIdentity ?? null,
    accessKeyId: identity.accessKeyId ?? null,
  };
}

/** Apply the account's policies to a call: an explicit deny becomes AccessDenied, as IAM logs it. */
export function authorize(call: Call, authorizer: Authorizer): Call {
  const denial = authorizer(authorizationFor(call));
  if (!denial) return call;
  return { ...call, errorCode: 'AccessDenied', errorMessage: denial, responseElements: null };
}

/**
 * The account's interface endpoint for a service, stable per account and service. Derived from
 * its own seed, so adding it draws nothing from the generator's stream.
 */
export function vpcEndpointFor(account: Account, eventSource: string): string {
  return `vpce-0${new Random(`${account.id}:${eventSource}:endpoint`).hex(16)}`;
}

/** One background call by a randomly chosen actor of the account at the given time. */
export function backgroundCall(
  random: Random,
  account: Account,
  time: Date,
  instanceReissuedAt?: Date,
): Call {
  const actor = random.weighted([
    ['person', 30],
    ['instance', 40],
    ['lambda', 18],
    ['ci', 8],
    ['signin', 2],
    ['service', 2],
  ] as const);
  const region = random.chance(0.75) ? account.regions[0]! : random.pick(account.regions);
  switch (actor) {
    case 'person': {
      const person = random.pick(account.people);
      const [eventSource, eventName, readOnly] = random.weighted(USER_OPERATIONS);
      const agent = random.pick(PERSON_AGENTS);
      const call: Call = {
        time,
        account: account.id,
        region: eventSource === 'iam.amazonaws.com' ? 'us-east-1' : region,
        identity: userIdentity(account, person, agent !== 'console.amazonaws.com'),
        eventSource,
        eventName,
        sourceIPAddress: person.ip,
        userAgent: agent,
        readOnly,
        requestParameters: null,
      };
      // People poke at things they cannot touch: a trickle of AccessDenied is normal.
      if (random.chance(0.03)) {
        return {
          ...call,
          errorCode: 'AccessDenied',
          errorMessage: `User: arn:aws:iam::${account.id}:user/${person.name} is not authorized to perform: ${eventSource.split('.')[0]}:${eventName}`,
        };
      }
      return call;
    }
    case 'instance': {
      const instance = random.pick(account.instances);
      const [eventSource, eventName, readOnly] = random.weighted(INSTANCE_OPERATIONS);
      return {
        time,
        account: account.id,
        region: account.regions[0]!,
        identity: sessionIdentity(instanceSession(account, instance, time, instanceReissuedAt)),
        eventSource,
        eventName,
        sourceIPAddress: instance.ip,
        vpcEndpointId: vpcEndpointFor(account, eventSource),
        userAgent: SDK_AGENT,
        readOnly,
        requestParameters:
          eventName === 'GetParameter' ? { name: '/orders/db-url', withDecryption: true } : null,
      };
    }
    case 'lambda': {
      const functionName = random.pick(account.functions);
      const [eventSource, eventName, readOnly] = random.weighted(LAMBDA_OPERATIONS);
      return {
        time,
        account: account.id,
        region,
        identity: sessionIdentity(
          roleSession(
            account.id,
            account.lambdaRole,
            functionName,
            sessionStart(time, LAMBDA_SESSION_MS),
            false,
          ),
        ),
        eventSource,
        eventName,
        sourceIPAddress: `3.${random.int(208, 239)}.${random.int(0, 255)}.${random.int(1, 254)}`,
        userAgent: LAMBDA_AGENT,
        readOnly,
      };
    }
    case 'ci': {
      const [eventSource, eventName, readOnly] = random.weighted(CI_OPERATIONS);
      const issued = sessionStart(time, CI_SESSION_MS);
      return {
        time,
        account: account.id,
        region: account.regions[0]!,
        identity: sessionIdentity(
          roleSession(account.id, account.ciRole, `GitHubActions-${issued.getTime() / 1000}`, issued, false),
        ),
        eventSource,
        eventName,
        sourceIPAddress: `140.82.${random.int(112, 127)}.${random.int(1, 254)}`,
        userAgent: CI_AGENT,
        readOnly,
      };
    }
    case 'signin': {
      const person = random.pick(account.people);
      const failed = random.chance(0.1);
      return {
        time,
        account: account.id,
        region: 'us-east-1',
        identity: userIdentity(account, person, false),
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        eventType: 'AwsConsoleSignIn',
        sourceIPAddress: person.ip,
        userAgent: BROWSER,
        readOnly: false,
        requestParameters: null,
        responseElements: { ConsoleLogin: failed ? 'Failure' : 'Success' },
        additionalEventData: {
          MobileVersion: 'No',
          LoginTo: 'https://console.aws.amazon.com/console/home',
          MFAUsed: 'Yes',
        },
        ...(failed ? { errorMessage: 'Failed authentication' } : {}),
      };
    }
    case 'service':
      return {
        time,
        account: account.id,
        region,
        identity: { accountId: account.id, invokedBy: 'cloudtrail.amazonaws.com' },
        eventSource: 'kms.amazonaws.com',
        eventName: 'RotateKey',
        eventType: 'AwsServiceEvent',
        sourceIPAddress: 'cloudtrail.amazonaws.com',
        userAgent: 'cloudtrail.amazonaws.com',
        readOnly: false,
      };
  }
}

/** Turn a call into a CloudTrail record with the fields CloudTrail writes. */
export function toRecord(call: Call, random: Random): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: call.identity,
    eventTime: toInstant(call.time),
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: call.region,
    sourceIPAddress: call.sourceIPAddress,
    userAgent: call.userAgent,
    ...(call.errorCode ? { errorCode: call.errorCode } : {}),
    ...(call.errorMessage ? { errorMessage: call.errorMessage } : {}),
    requestParameters: call.requestParameters ?? null,
    responseElements: call.responseElements ?? null,
    ...(call.additionalEventData ? { additionalEventData: call.additionalEventData } : {}),
    ...(call.vpcEndpointId ? { vpcEndpointId: call.vpcEndpointId, vpcEndpointAccountId: call.account } : {}),
    requestID: call.requestID ?? random.uuid(),
    eventID: random.uuid(),
    readOnly: call.readOnly,
    ...(call.resources ? { resources: call.resources } : {}),
    eventType: call.eventType ?? 'AwsApiCall',
    managementEvent: call.eventCategory !== 'Data',
    recipientAccountId: call.account,
    eventCategory: call.eventCategory ?? 'Management',
    ...(call.eventType === 'AwsServiceEvent'
      ? {}
      : {
          tlsDetails: {
            tlsVersion: 'TLSv1.3',
            cipherSuite: 'TLS_AES_128_GCM_SHA256',
            clientProvidedHostHeader:
              call.host ?? `${call.eventSource.replace('.amazonaws.com', '')}.${call.region}.amazonaws.com`,
          },
        }),
  };
}
