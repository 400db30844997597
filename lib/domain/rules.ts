// Detection rules: which CloudTrail calls open a case, which runbooks confirm them, and what
// the response is by default (revoker.config.yaml may override it per rule). A rule is
// broad on purpose where the confirmation runbooks can clear routine use: it is the
// principal's own history that decides whether a call is new.
import { type CloudTrailRecord, eventBridgeSourceFor } from './cloudtrail.ts';
import type { EventPattern } from './event-pattern.ts';
import { FINDING_EVENT_PATTERNS } from './findings.ts';
import { JIT_EVENT_PATTERN } from './jit.ts';
import { IDENTITY_CENTER_REMOVAL_PATTERN, OFFBOARDING_EVENT_PATTERN } from './offboarding.ts';
import { isPerson } from './person.ts';
import type { Principal } from './principal.ts';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type RuleResponse = 'auto-revoke' | 'escalate' | 'notify';
export type ConfirmationRunbook = 'first-seen' | 'error-burst' | 'persistence-created';
export type Tactic =
  | 'defense-evasion'
  | 'credential-access'
  | 'persistence'
  | 'privilege-escalation'
  | 'exfiltration'
  | 'initial-access'
  | 'execution'
  | 'lateral-movement';

export interface DetectionRule {
  id: string;
  title: string;
  tactic: Tactic;
  severity: Severity;
  /** Why the call is suspicious, in words an on-call engineer reads on the case. */
  rationale: string;
  /**
   * The runbooks that confirm or clear the trigger: first-seen compares it with the
   * principal's history; error-burst and persistence-created add what happened around it.
   */
  confirmWith: readonly ConfirmationRunbook[];
  /** What happens to a confirmed case unless the configuration says otherwise. */
  response: RuleResponse;
  /** EventBridge pattern matching the calls this rule looks at (before `matches`). */
  eventPattern: EventPattern;
  /**
   * Read-only calls (Get/List/Describe) reach EventBridge only through a rule in state
   * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
   */
  readOnlyEvents: boolean;
  matches(record: CloudTrailRecord, principal: Principal): boolean;
}

export const ALL_CONFIRMATIONS = ['first-seen', 'error-burst', 'persistence-created'] as const;

/** A value from requestParameters (or another object field), as a string, or null. */
function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

/** Policy documents arrive URL-encoded in some requests and plain in others. */
function policyText(value: unknown): string {
  const raw = text(value);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

interface ApiRuleOptions extends Omit<DetectionRule, 'eventPattern' | 'matches' | 'readOnlyEvents'> {
  eventSource: string;
  eventNames: readonly string[];
  readOnlyEvents?: boolean;
  /** Refused calls fire too: the attempt alone is the signal (tampering, bulk credential reads). */
  includeFailures?: boolean;
  detailType?: string;
  /** Anything beyond the event name that makes the call suspicious. */
  when?: (record: CloudTrailRecord, principal: Principal) => boolean;
}

/** Most rules: one service, a few API names, an optional extra condition. */
function apiRule(options: ApiRuleOptions): DetectionRule {
  const { eventSource, eventNames, includeFailures, detailType, when, ...rule } = options;
  return {
    ...rule,
    readOnlyEvents: options.readOnlyEvents ?? false,
    eventPattern: {
      source: [eventBridgeSourceFor(eventSource)],
      'detail-type': [detailType ?? 'AWS API Call via CloudTrail'],
      detail: { eventSource: [eventSource], eventName: eventNames },
    },
    matches(record, principal) {
      if (record.eventSource !== eventSource || !eventNames.includes(record.eventName)) return false;
      if (record.errorCode && !includeFailures) return false;
      return when ? when(record, principal) : true;
    },
  };
}

const INSTANCE_ID = /^i-[0-9a-fA-F]{8,17}$/;

/** A role session holding EC2 instance credentials (from the instance metadata service). */
function fromInstance(record: CloudTrailRecord, principal: Principal): boolean {
  return (
    principal.kind === 'assumed-role' &&
    (Boolean(record.userIdentity?.sessionContext?.ec2RoleDelivery) ||
      INSTANCE_ID.test(principal.sessionName ?? ''))
  );
}

/**
 * Where a call came from, as far as its one record shows: through a VPC endpoint of the account
 * itself, from an AWS service (a host name such as `ec2.amazonaws.com`, or `AWS Internal`), from
 * a private address, or from a public IP address. CloudTrail, not the caller, writes every one
 * of these fields.
 */
type CallOrigin = 'own-vpc-endpoint' | 'aws-service' | 'private-address' | 'public-address';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** RFC 1918, loopback, link-local and shared (carrier-grade NAT) IPv4; IPv6 loopback, ULA, link-local. */
function isPrivateAddress(address: string): boolean {
  const v4 = IPV4.exec(address);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  const v6 = address.toLowerCase();
  return v6 === '::1' || /^f[cd][0-9a-f]{2}:/.test(v6) || /^fe[89ab][0-9a-f]:/.test(v6);
}

function isIpAddress(address: string): boolean {
  const v4 = IPV4.exec(address);
  if (v4) return v4.slice(1).every((part) => Number(part) <= 255);
  return /^[0-9a-fA-F:.]+$/.test(address) && address.includes(':');
}

export function callOrigin(record: CloudTrailRecord): CallOrigin {
  const own = ownAccount(record);
  // Another account's endpoint is someone else's VPC: the way round GuardDuty's
  // InstanceCredentialExfiltration finding, so it counts as outside whatever the address.
  // An endpoint without its account (records of services that do not log it) counts as the
  // account's own: an attacker's endpoint there is GuardDuty's InsideAWS finding's to see.
  if (record.vpcEndpointId && (!record.vpcEndpointAccountId || record.vpcEndpointAccountId === own))
    return 'own-vpc-endpoint';
  if (record.vpcEndpointId) return 'public-address';
  const address = (record.sourceIPAddress ?? '').trim();
  if (!isIpAddress(address)) return 'aws-service';
  return isPrivateAddress(address) ? 'private-address' : 'public-address';
}

/** The call names an IAM user other than the caller: a key or password for someone else. */
function forAnotherUser(record: CloudTrailRecord, principal: Principal): boolean {
  const target = field(record.requestParameters, 'userName');
  if (typeof target !== 'string') return false;
  return principal.kind !== 'iam-user' || principal.userName !== target;
}

/** Policies that grant (nearly) everything. */
const ADMIN_POLICIES = [
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/IAMFullAccess',
  'arn:aws:iam::aws:policy/PowerUserAccess',
];

/** AWS's own quarantine policies, attached to a user whose key it found exposed. */
const QUARANTINE_POLICIES = /^arn:aws:iam::aws:policy\/AWSCompromisedKeyQuarantine(V\d+)?$/;

/** A key of an object whatever its case: CloudTrail writes `add`, hand-made records `Add`. */
function entry(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const wanted = key.toLowerCase();
  const found = Object.keys(value).find((candidate) => candidate.toLowerCase() === wanted);
  return found === undefined ? undefined : (value as Record<string, unknown>)[found];
}

/** A list as EC2 writes it in CloudTrail (`{items: [...]}`), or a plain array. */
function items(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  const inner = entry(value, 'items');
  return Array.isArray(inner) ? inner : [];
}

/** The account a call was made in: what "another account" is measured against. */
function ownAccount(record: CloudTrailRecord): string | null {
  return record.recipientAccountId ?? record.userIdentity?.accountId ?? null;
}

/**
 * An EBS snapshot's createVolumePermission or an AMI's launchPermission gains another account
 * (`userId`) or everyone (`group: all`). An `add` naming neither (an empty list, the caller's own
 * account) hands nothing out, and `remove` takes access away.
 */
function sharesOut(record: CloudTrailRecord): boolean {
  const parameters = record.requestParameters;
  const own = ownAccount(record);
  const added = ['createVolumePermission', 'launchPermission'].flatMap((attribute) =>
    items(entry(entry(parameters, attribute), 'add')),
  );
  return added.some((item) => {
    const account = entry(item, 'userId');
    const group = entry(item, 'group');
    return (
      (typeof account === 'string' && account !== '' && account !== own) ||
      (typeof group === 'string' && group.toLowerCase() === 'all')
    );
  });
}

/** Which management events a set of selectors records: reads, writes, neither or both. */
interface ManagementCoverage {
  read: boolean;
  write: boolean;
}

/**
 * Classic event selectors: one records management events unless `includeManagementEvents` is
 * false (it defaults to true), of the `readWriteType` it names (default All). A selector that
 * excludes event sources (KMS, RDS Data API) records less than all of them, so it covers nothing
 * here; CloudTrail logs an event that matches any selector, so coverage is their union.
 */
function classicCoverage(selectors: unknown[]): ManagementCoverage {
  const coverage = { read: false, write: false };
  for (const selector of selectors) {
    if (entry(selector, 'includeManagementEvents') === false) continue;
    if (items(entry(selector, 'excludeManagementEventSources')).length > 0) continue;
    const readWrite = entry(selector, 'readWriteType') ?? 'All';
    coverage.read ||= readWrite === 'All' || readWrite === 'ReadOnly';
    coverage.write ||= readWrite === 'All' || readWrite === 'WriteOnly';
  }
  return coverage;
}

/**
 * Advanced event selectors: a management selector is one whose `eventCategory` equals
 * Management. With no other field it records every management event; a `readOnly` condition
 * keeps reads or writes; any other condition (`eventSource`, a NotEquals on the category...)
 * narrows it, so it covers nothing here.
 */
function advancedCoverage(selectors: unknown[]): ManagementCoverage {
  const coverage = { read: false, write: false };
  for (const selector of selectors) {
    const conditions = items(entry(selector, 'fieldSelectors'));
    const category = conditions.filter((condition) => entry(condition, 'field') === 'eventCategory');
    const management = category.some((condition) => items(entry(condition, 'equals')).includes('Management'));
    if (!management) continue;
    const readOnly = conditions.filter((condition) => entry(condition, 'field') === 'readOnly');
    const narrowed =
      category.some((condition) => operatorsOf(condition).some((operator) => operator !== 'equals')) ||
      conditions.length > category.length + readOnly.length ||
      readOnly.some((condition) =>
        operatorsOf(condition).some((operator) => operator !== 'equals' && operator !== 'notequals'),
      );
    if (narrowed) continue;
    // readOnly compares with the strings "true" (reads) and "false" (writes).
    const keeps = (value: string) =>
      readOnly.every((condition) => {
        const equals = items(entry(condition, 'equals'));
        return (
          (equals.length === 0 || equals.includes(value)) &&
          !items(entry(condition, 'notEquals')).includes(value)
        );
      });
    coverage.read ||= keeps('true');
    coverage.write ||= keeps('false');
  }
  return coverage;
}

/** The operators a field condition uses (lower-case), leaving out empty ones. */
function operatorsOf(condition: unknown): string[] {
  if (typeof condition !== 'object' || condition === null) return [];
  return Object.entries(condition)
    .filter(([key, value]) => key.toLowerCase() !== 'field' && items(value).length > 0)
    .map(([key]) => key.toLowerCase());
}

/**
 * A PutEventSelectors that leaves the trail recording fewer than all management events: the
 * calls every detection here reads. Adding or changing data-event selectors beside a selector
 * that still keeps all management events hides nothing revoker depends on. A request with
 * neither kind of selector (a shape we do not know) fires: the first-seen runbook can clear it.
 */
function narrowsManagementEvents(record: CloudTrailRecord): boolean {
  const parameters = record.requestParameters;
  const advanced = entry(parameters, 'advancedEventSelectors');
  const classic = entry(parameters, 'eventSelectors');
  let coverage: ManagementCoverage;
  if (Array.isArray(advanced) && advanced.length > 0) coverage = advancedCoverage(advanced);
  else if (Array.isArray(classic)) coverage = classicCoverage(classic);
  else return true;
  return !(coverage.read && coverage.write);
}

/**
 * An UpdateTrail that records less or delivers elsewhere: global-service events (IAM, STS) or
 * other regions dropped, log-file validation or the organisation trail turned off, or the logs
 * sent to another bucket, prefix or KMS key (where revoker's reader may not follow), or
 * CloudWatch Logs delivery removed. Turning features on, or changing only the SNS topic, is quiet.
 */
function weakensTrail(record: CloudTrailRecord): boolean {
  const parameters = record.requestParameters;
  const turnedOff = [
    'includeGlobalServiceEvents',
    'isMultiRegionTrail',
    'enableLogFileValidation',
    'isOrganizationTrail',
  ];
  const moved = ['s3BucketName', 's3KeyPrefix', 'kmsKeyId'];
  return (
    turnedOff.some((flag) => entry(parameters, flag) === false) ||
    moved.some((key) => entry(parameters, key) !== undefined) ||
    entry(parameters, 'cloudWatchLogsLogGroupArn') === ''
  );
}

/** A PutInsightSelectors with no insight types turns CloudTrail Insights off for the trail. */
function disablesInsights(record: CloudTrailRecord): boolean {
  const selectors = entry(record.requestParameters, 'insightSelectors');
  return Array.isArray(selectors) && selectors.length === 0;
}

/**
 * A console sign-in through a SAML identity provider. The provider, not AWS, asks for the second
 * factor, so CloudTrail's MFAUsed says No even when it was asked; such sign-ins arrive as an
 * assumed role, and AWS names the provider in SamlProviderArn.
 */
function viaSamlProvider(record: CloudTrailRecord): boolean {
  const provider = entry(record.additionalEventData, 'SamlProviderArn');
  return typeof provider === 'string' && provider !== '';
}

/** A trust or resource policy that lets in anyone, or another account. */
function opensToOutsiders(document: string, ownAccount: string | null): boolean {
  if (/"AWS"\s*:\s*(\[\s*)?"\*"/.test(document) || /"Principal"\s*:\s*"\*"/.test(document)) return true;
  const accounts = [
    ...document.matchAll(/arn:aws[a-z-]*:iam::(\d{12}):/g),
    ...document.matchAll(/"AWS"\s*:\s*"(\d{12})"/g),
  ].map((match) => match[1]);
  return accounts.some((account) => account !== ownAccount);
}

export const instanceCredentialsIamEscalation: DetectionRule = apiRule({
  id: 'instance-credentials-iam-escalation',
  title: 'EC2 instance credentials used to grant IAM access',
  tactic: 'privilege-escalation',
  severity: 'high',
  rationale:
    'An application on an EC2 instance rarely changes IAM. Instance credentials granting access ' +
    'or creating users usually means they were stolen from the metadata service and used elsewhere.',
  confirmWith: ALL_CONFIRMATIONS,
  response: 'auto-revoke',
  eventSource: 'iam.amazonaws.com',
  eventNames: [
    'AttachRolePolicy',
    'PutRolePolicy',
    'AttachUserPolicy',
    'PutUserPolicy',
    'AttachGroupPolicy',
    'PutGroupPolicy',
    'AddUserToGroup',
    'CreateUser',
    'CreateAccessKey',
    'CreateLoginProfile',
    'UpdateLoginProfile',
    'UpdateAssumeRolePolicy',
    'CreatePolicyVersion',
  ],
  when: fromInstance,
});

/**
 * The calls someone makes first with credentials they just took: who am I, what may I do, what
 * is there. One bounded list per service, so the EventBridge rule stays a list of names.
 */
const FIRST_CALLS = new Map<string, readonly string[]>(
  Object.entries({
    'sts.amazonaws.com': ['GetCallerIdentity'],
    'iam.amazonaws.com': [
      'GetAccountAuthorizationDetails',
      'GetAccountSummary',
      'GetRole',
      'GetUser',
      'ListAccessKeys',
      'ListAttachedRolePolicies',
      'ListAttachedUserPolicies',
      'ListGroups',
      'ListInstanceProfiles',
      'ListPolicies',
      'ListRolePolicies',
      'ListRoles',
      'ListUsers',
    ],
    'ec2.amazonaws.com': [
      'DescribeInstances',
      'DescribeRegions',
      'DescribeSecurityGroups',
      'DescribeSnapshots',
      'DescribeVpcs',
    ],
    'organizations.amazonaws.com': ['DescribeOrganization', 'ListAccounts'],
    'cloudtrail.amazonaws.com': ['DescribeTrails'],
    'guardduty.amazonaws.com': ['ListDetectors'],
    'secretsmanager.amazonaws.com': ['ListSecrets'],
    'lambda.amazonaws.com': ['ListFunctions20150331'],
  }),
);

/**
 * EC2 instance credentials, taken from the metadata service, at the attacker's first calls. What
 * one record shows decides: instance credentials, a reconnaissance call, and an origin that is
 * neither an AWS service, nor a VPC endpoint of the account, nor a private address. An instance
 * reaching AWS over its public address looks the same in one record; the first-seen runbook
 * clears it there (the address is in the role's history), and a new address, a new user agent
 * and a burst of refusals confirm the theft. Refused calls fire too: a denied probe is still the
 * credential used from outside.
 */
export const instanceCredentialsOutsideRecon: DetectionRule = {
  id: 'instance-credentials-outside-recon',
  title: 'EC2 instance credentials used from outside the VPC for reconnaissance',
  tactic: 'credential-access',
  severity: 'high',
  rationale:
    'Instance credentials are meant to be used on their instance. Who-am-I and listing calls from a public ' +
    'address, not through the VPC, are the first thing done with credentials taken from the metadata service.',
  confirmWith: ALL_CONFIRMATIONS,
  response: 'auto-revoke',
  readOnlyEvents: true,
  eventPattern: {
    source: [...FIRST_CALLS.keys()].map(eventBridgeSourceFor),
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: [...FIRST_CALLS.keys()],
      eventName: [...new Set([...FIRST_CALLS.values()].flat())].sort(),
    },
  },
  matches(record, principal) {
    return (
      (FIRST_CALLS.get(record.eventSource)?.includes(record.eventName) ?? false) &&
      fromInstance(record, principal) &&
      callOrigin(record) === 'public-address'
    );
  },
};

export const RULES: readonly DetectionRule[] = [
  // Defence evasion: blinding the logs and detectors the response depends on.
  apiRule({
    id: 'cloudtrail-stopped-or-deleted',
    title: 'CloudTrail logging stopped or a trail deleted',
    tactic: 'defense-evasion',
    severity: 'critical',
    rationale: 'Stopping or deleting a trail blinds every detection that reads CloudTrail, revoker included.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'cloudtrail.amazonaws.com',
    eventNames: ['StopLogging', 'DeleteTrail'],
    includeFailures: true,
  }),
  apiRule({
    id: 'cloudtrail-selectors-narrowed',
    title: 'CloudTrail recording narrowed',
    tactic: 'defense-evasion',
    severity: 'high',
    rationale:
      'Selectors and trail settings decide what a trail records and where it delivers; dropping management ' +
      'events, regions, global services or Insights, or moving the logs, hides the attacker’s calls.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'cloudtrail.amazonaws.com',
    eventNames: ['PutEventSelectors', 'PutInsightSelectors', 'UpdateTrail'],
    when: (record) =>
      record.eventName === 'PutEventSelectors'
        ? narrowsManagementEvents(record)
        : record.eventName === 'UpdateTrail'
          ? weakensTrail(record)
          : disablesInsights(record),
  }),
  apiRule({
    id: 'guardduty-disabled',
    title: 'GuardDuty detector deleted or disabled',
    tactic: 'defense-evasion',
    severity: 'critical',
    rationale: 'Disabling GuardDuty removes AWS-managed threat detection for the account.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'guardduty.amazonaws.com',
    eventNames: [
      'DeleteDetector',
      'UpdateDetector',
      'DisassociateFromMasterAccount',
      'DisassociateFromAdministratorAccount',
    ],
    includeFailures: true,
    when: (record) =>
      record.eventName !== 'UpdateDetector' || field(record.requestParameters, 'enable') === false,
  }),
  apiRule({
    id: 'config-recording-stopped',
    title: 'AWS Config recording stopped or removed',
    tactic: 'defense-evasion',
    severity: 'high',
    rationale: 'Config records what changed in the account; stopping it hides the attacker’s changes.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'config.amazonaws.com',
    eventNames: ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'],
    includeFailures: true,
  }),
  apiRule({
    id: 'vpc-flow-logs-deleted',
    title: 'VPC flow logs deleted',
    tactic: 'defense-evasion',
    severity: 'high',
    rationale: 'Flow logs and resolver query logs are how exfiltration and command-and-control are traced.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'ec2.amazonaws.com',
    eventNames: ['DeleteFlowLogs'],
  }),
  apiRule({
    id: 'dns-query-logging-deleted',
    title: 'Route 53 Resolver query logging deleted',
    tactic: 'defense-evasion',
    severity: 'high',
    rationale:
      'Resolver query logs show which domains workloads resolved: deleting them hides command and control.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'route53resolver.amazonaws.com',
    eventNames: ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'],
  }),
  apiRule({
    id: 'organization-leave-attempt',
    title: 'Attempt to leave the AWS Organization',
    tactic: 'defense-evasion',
    severity: 'critical',
    rationale: 'Leaving the organization escapes its service control policies and central logging.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'organizations.amazonaws.com',
    eventNames: ['LeaveOrganization'],
    includeFailures: true,
  }),
  // Credential access.
  instanceCredentialsIamEscalation,
  apiRule({
    id: 'instance-credentials-bucket-listing',
    title: 'EC2 instance credentials listing every bucket',
    tactic: 'credential-access',
    severity: 'high',
    rationale:
      'Applications read the buckets they were built for; listing all buckets is what someone does first with ' +
      'instance credentials taken off the instance.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'auto-revoke',
    eventSource: 's3.amazonaws.com',
    eventNames: ['ListBuckets'],
    readOnlyEvents: true,
    when: fromInstance,
  }),
  instanceCredentialsOutsideRecon,
  apiRule({
    id: 'ec2-password-data-read',
    title: 'Windows administrator password data requested',
    tactic: 'credential-access',
    severity: 'high',
    rationale:
      'GetPasswordData returns an instance’s encrypted administrator password; repeated attempts are a hunt for it.',
    confirmWith: ['first-seen', 'error-burst'],
    response: 'escalate',
    eventSource: 'ec2.amazonaws.com',
    eventNames: ['GetPasswordData'],
    readOnlyEvents: true,
    includeFailures: true,
  }),
  apiRule({
    id: 'secrets-bulk-read',
    title: 'Secrets read in bulk, or by a person',
    tactic: 'credential-access',
    severity: 'high',
    rationale:
      'Workloads read their own secrets through roles; BatchGetSecretValue, or a person (an IAM user, or a ' +
      'sign-in through Identity Center or a federation) reading secret values, is how secrets are harvested.',
    confirmWith: ['first-seen', 'error-burst'],
    response: 'escalate',
    eventSource: 'secretsmanager.amazonaws.com',
    eventNames: ['BatchGetSecretValue', 'GetSecretValue'],
    readOnlyEvents: true,
    when: (record, principal) => record.eventName === 'BatchGetSecretValue' || isPerson(principal, record),
  }),
  apiRule({
    id: 'securestring-parameters-decrypted',
    title: 'SecureString parameters decrypted by a person',
    tactic: 'credential-access',
    severity: 'medium',
    rationale:
      'Workloads decrypt their own parameters through roles; a person decrypting SecureString parameters is ' +
      'harvesting configuration secrets.',
    confirmWith: ['first-seen', 'error-burst'],
    response: 'escalate',
    eventSource: 'ssm.amazonaws.com',
    eventNames: ['GetParameters', 'GetParameter', 'GetParametersByPath'],
    readOnlyEvents: true,
    when: (record, principal) =>
      isPerson(principal, record) && field(record.requestParameters, 'withDecryption') === true,
  }),
  // Persistence and privilege escalation.
  apiRule({
    id: 'access-key-for-another-user',
    title: 'Access key created for another user',
    tactic: 'persistence',
    severity: 'high',
    rationale: 'A key made for someone else is a second way in that survives the caller’s own revocation.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'auto-revoke',
    eventSource: 'iam.amazonaws.com',
    eventNames: ['CreateAccessKey'],
    when: forAnotherUser,
  }),
  apiRule({
    id: 'login-profile-for-another-user',
    title: 'Console password set for another user',
    tactic: 'persistence',
    severity: 'high',
    rationale: 'Setting another user’s console password takes over their identity, or opens a dormant one.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'auto-revoke',
    eventSource: 'iam.amazonaws.com',
    eventNames: ['CreateLoginProfile', 'UpdateLoginProfile'],
    when: forAnotherUser,
  }),
  apiRule({
    id: 'admin-policy-attached',
    title: 'Administrator-level managed policy attached',
    tactic: 'privilege-escalation',
    severity: 'high',
    rationale: 'AdministratorAccess, IAMFullAccess or PowerUserAccess granted outside the usual pipeline.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'escalate',
    eventSource: 'iam.amazonaws.com',
    eventNames: ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy'],
    when: (record) => ADMIN_POLICIES.includes(text(field(record.requestParameters, 'policyArn'))),
  }),
  apiRule({
    id: 'role-trust-opened',
    title: 'Role trust policy opened to anyone or another account',
    tactic: 'persistence',
    severity: 'critical',
    rationale:
      'A trust policy naming another account (or everyone) is a backdoor role the attacker can assume at will.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'escalate',
    eventSource: 'iam.amazonaws.com',
    eventNames: ['UpdateAssumeRolePolicy', 'CreateRole'],
    when: (record) => {
      const document = field(
        record.requestParameters,
        record.eventName === 'CreateRole' ? 'assumeRolePolicyDocument' : 'policyDocument',
      );
      return (
        document !== undefined &&
        opensToOutsiders(
          policyText(document),
          record.recipientAccountId ?? record.userIdentity?.accountId ?? null,
        )
      );
    },
  }),
  apiRule({
    id: 'compromised-key-quarantine',
    title: 'AWS quarantined an exposed access key',
    tactic: 'credential-access',
    severity: 'critical',
    rationale:
      'AWS attaches AWSCompromisedKeyQuarantine when it finds a user’s key exposed in public: the key is in someone else’s hands.',
    confirmWith: ['first-seen'],
    response: 'auto-revoke',
    eventSource: 'iam.amazonaws.com',
    eventNames: ['AttachUserPolicy'],
    when: (record) => QUARANTINE_POLICIES.test(text(field(record.requestParameters, 'policyArn'))),
  }),
  apiRule({
    id: 'lambda-function-exposed',
    title: 'Lambda function opened to anyone or another account',
    tactic: 'persistence',
    severity: 'high',
    rationale:
      'A resource policy letting everyone, or a foreign account, invoke a function is a standing backdoor.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'escalate',
    eventSource: 'lambda.amazonaws.com',
    eventNames: ['AddPermission20150331v2', 'AddPermission20150331', 'CreateFunctionUrlConfig20211031'],
    when: (record) => {
      if (record.eventName.startsWith('CreateFunctionUrlConfig'))
        return field(record.requestParameters, 'authType') === 'NONE';
      const principal = text(field(record.requestParameters, 'principal'));
      const account = record.recipientAccountId ?? record.userIdentity?.accountId ?? null;
      return (
        principal === '*' ||
        (/^\d{12}$/.test(principal) && principal !== account) ||
        (principal.includes(':iam::') && !principal.includes(`:iam::${account}:`))
      );
    },
  }),
  apiRule({
    id: 'lambda-code-changed-by-person',
    title: 'Lambda code or layers changed by a person',
    tactic: 'persistence',
    severity: 'medium',
    rationale:
      'Function code normally changes through a deployment role; a person changing code or layers can plant a backdoor.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'escalate',
    eventSource: 'lambda.amazonaws.com',
    eventNames: ['UpdateFunctionCode20150331v2', 'UpdateFunctionConfiguration20150331v2'],
    when: (record, principal) =>
      isPerson(principal, record) &&
      (record.eventName.startsWith('UpdateFunctionCode') ||
        field(record.requestParameters, 'layers') !== undefined),
  }),
  apiRule({
    id: 'roles-anywhere-trust-anchor',
    title: 'IAM Roles Anywhere trust anchor created',
    tactic: 'persistence',
    severity: 'high',
    rationale:
      'A trust anchor lets certificates from an outside CA obtain AWS credentials: a way in that needs no key.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'escalate',
    eventSource: 'rolesanywhere.amazonaws.com',
    eventNames: ['CreateTrustAnchor'],
  }),
  apiRule({
    id: 'federation-token-issued',
    title: 'Federation token issued to a user',
    tactic: 'persistence',
    severity: 'medium',
    rationale: 'GetFederationToken makes credentials that outlive the user’s key being deactivated.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'sts.amazonaws.com',
    eventNames: ['GetFederationToken'],
  }),
  apiRule({
    id: 'identity-center-permissions-changed',
    title: 'IAM Identity Center permissions changed',
    tactic: 'privilege-escalation',
    severity: 'high',
    rationale: 'Assigning permission sets or changing their policies grants access across accounts at once.',
    confirmWith: ALL_CONFIRMATIONS,
    response: 'escalate',
    eventSource: 'sso.amazonaws.com',
    eventNames: [
      'CreateAccountAssignment',
      'AttachManagedPolicyToPermissionSet',
      'PutInlinePolicyToPermissionSet',
    ],
  }),
  // Exfiltration.
  apiRule({
    id: 'snapshot-or-image-shared',
    title: 'Snapshot or machine image shared',
    tactic: 'exfiltration',
    severity: 'high',
    rationale: 'Sharing an EBS or RDS snapshot, or an AMI, copies the data out to whoever it is shared with.',
    confirmWith: ['first-seen', 'persistence-created'],
    response: 'auto-revoke',
    eventSource: 'ec2.amazonaws.com',
    eventNames: ['ModifySnapshotAttribute', 'ModifyImageAttribute'],
    when: sharesOut,
  }),
  apiRule({
    id: 'rds-snapshot-shared',
    title: 'RDS snapshot shared',
    tactic: 'exfiltration',
    severity: 'high',
    rationale: 'Adding an account to a snapshot’s restore attribute hands it the database.',
    confirmWith: ['first-seen', 'persistence-created'],
    response: 'auto-revoke',
    eventSource: 'rds.amazonaws.com',
    eventNames: ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'],
    // An empty valuesToAdd (or only valuesToRemove) shares with no one.
    when: (record) =>
      items(field(record.requestParameters, 'valuesToAdd')).some(
        (value) => typeof value === 'string' && value !== '',
      ),
  }),
  apiRule({
    id: 'security-group-open-to-world',
    title: 'Security group opened to the internet',
    tactic: 'exfiltration',
    severity: 'medium',
    rationale: 'Ingress from a /0 range (0.0.0.0/0, ::/0) exposes whatever listens behind the group.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'ec2.amazonaws.com',
    eventNames: ['AuthorizeSecurityGroupIngress'],
    // Any address with a /0 prefix is the whole internet, however the address is written.
    when: (record) => /"cidrIp(v6)?"\s*:\s*"[^"]*\/0"/.test(text(record.requestParameters)),
  }),
  // Initial access.
  apiRule({
    id: 'console-login-without-mfa',
    title: 'Console sign-in without MFA',
    tactic: 'initial-access',
    severity: 'medium',
    rationale:
      'A password alone signed in an IAM user or the root user to the console: phished or reused passwords ' +
      'look exactly like this. Federated sign-ins are left to the identity provider’s MFA.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'signin.amazonaws.com',
    eventNames: ['ConsoleLogin'],
    detailType: 'AWS Console Sign In via CloudTrail',
    // Only IAM users and root sign in with an AWS password; every federated sign-in (SAML,
    // Identity Center, a broker's federation token) is an assumed role or federated user.
    when: (record, principal) =>
      (principal.kind === 'iam-user' || principal.kind === 'root') &&
      !viaSamlProvider(record) &&
      field(record.responseElements, 'ConsoleLogin') === 'Success' &&
      // The documentation's root examples write YES as well as Yes.
      text(entry(record.additionalEventData, 'MFAUsed')).toLowerCase() === 'no',
  }),
  {
    id: 'root-user-activity',
    title: 'Root user activity',
    tactic: 'initial-access',
    severity: 'critical',
    rationale: 'The root user is for a handful of account tasks; any use of it is worth a human’s eyes.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    readOnlyEvents: true,
    eventPattern: {
      // Any service's, but only AWS's own events: nobody may put an aws.* event on a bus.
      source: [{ prefix: 'aws.' }],
      'detail-type': ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'],
      detail: { userIdentity: { type: ['Root'] } },
    },
    matches: (record, principal) => principal.kind === 'root' && record.eventType !== 'AwsServiceEvent',
  },
  // Execution and lateral movement.
  apiRule({
    id: 'ec2-user-data-modified',
    title: 'Instance user data changed',
    tactic: 'execution',
    severity: 'high',
    rationale:
      'User data runs as root at the next boot: changing it is remote code execution on the instance.',
    confirmWith: ['first-seen'],
    response: 'escalate',
    eventSource: 'ec2.amazonaws.com',
    eventNames: ['ModifyInstanceAttribute'],
    when: (record) => field(record.requestParameters, 'userData') !== undefined,
  }),
  apiRule({
    id: 'ssm-command-by-person',
    title: 'Commands or shell sessions on instances through SSM, by a person',
    tactic: 'execution',
    severity: 'medium',
    rationale:
      'SendCommand and StartSession run code on instances; by a person, however they signed in, they deserve a ' +
      'second look.',
    confirmWith: ['first-seen'],
    response: 'notify',
    eventSource: 'ssm.amazonaws.com',
    eventNames: ['SendCommand', 'StartSession'],
    when: (record, principal) => isPerson(principal, record),
  }),
  apiRule({
    id: 'ec2-ssh-key-pushed',
    title: 'SSH key pushed to an instance or its serial console',
    tactic: 'lateral-movement',
    severity: 'medium',
    rationale: 'EC2 Instance Connect keys open an interactive way onto the instance for 60 seconds.',
    confirmWith: ['first-seen'],
    response: 'notify',
    eventSource: 'ec2-instance-connect.amazonaws.com',
    eventNames: ['SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey'],
  }),
];

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

function bySeverity(rules: readonly DetectionRule[]): readonly DetectionRule[] {
  // Array sort is stable: catalog order among equals.
  return [...rules].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** The event sources and names a rule's pattern lists, when it lists both (most rules). */
function namedCalls(rule: DetectionRule): { sources: string[]; names: string[] } | null {
  const detail = rule.eventPattern.detail as Record<string, unknown> | undefined;
  const strings = (value: unknown): value is string[] =>
    Array.isArray(value) && value.every((item) => typeof item === 'string');
  if (!detail || !strings(detail.eventSource) || !strings(detail.eventName)) return null;
  return { sources: detail.eventSource, names: detail.eventName };
}

/**
 * The rules worth asking about a call, by its eventSource and eventName, most severe first: the
 * rules whose pattern names that call, and those whose pattern names no calls (root's). A rule
 * is never narrower than its pattern (EventBridge hands detect nothing else; a test holds every
 * rule to it), so a call its pattern does not name cannot match it, and most calls meet no rule.
 */
export class RuleIndex {
  private readonly byCall = new Map<string, Map<string, readonly DetectionRule[]>>();
  /** For a call no pattern names. */
  readonly unnamed: readonly DetectionRule[];

  constructor(rules: readonly DetectionRule[]) {
    const named = new Map<string, Map<string, DetectionRule[]>>();
    const unnamed: DetectionRule[] = [];
    for (const rule of rules) {
      const calls = namedCalls(rule);
      if (!calls) {
        unnamed.push(rule);
        continue;
      }
      for (const source of calls.sources) {
        const names = named.get(source) ?? new Map<string, DetectionRule[]>();
        named.set(source, names);
        for (const name of calls.names) names.set(name, [...(names.get(name) ?? []), rule]);
      }
    }
    this.unnamed = bySeverity(unnamed);
    for (const [source, names] of named) {
      const sorted = new Map<string, readonly DetectionRule[]>();
      for (const [name, found] of names)
        sorted.set(name, bySeverity(rules.filter((rule) => found.includes(rule) || unnamed.includes(rule))));
      this.byCall.set(source, sorted);
    }
  }

  candidates(eventSource: string, eventName: string): readonly DetectionRule[] {
    return this.byCall.get(eventSource)?.get(eventName) ?? this.unnamed;
  }

  /** The rules a call matches, most severe first (catalog order among equals). */
  matching(record: CloudTrailRecord, principal: Principal): DetectionRule[] {
    const matched: DetectionRule[] = [];
    for (const rule of this.candidates(record.eventSource, record.eventName))
      if (rule.matches(record, principal)) matched.push(rule);
    return matched;
  }
}

const CATALOG_INDEX = new RuleIndex(RULES);

/** The rules a call matches, most severe first (catalog order among equals). */
export function matchingRules(record: CloudTrailRecord, principal: Principal): DetectionRule[] {
  return CATALOG_INDEX.matching(record, principal);
}

/** The stack's own account, as a CloudFormation reference in an event pattern. */
const OWN_ACCOUNT = [{ Ref: 'AWS::AccountId' }];

/**
 * The bus the detection rules listen on (template.yaml's DetectBus). Every account's events are
 * forwarded to it, the stack's own from its default bus: an event forwarded once (from a member
 * account) cannot be forwarded again, so the rules cannot stay on the default bus.
 */
const DETECT_BUS = { Ref: 'DetectBus' };

/** A pattern naming sources, detail types, event sources and event names, and nothing else. */
interface NamedCallsPattern {
  source: string[];
  'detail-type': string[];
  detail: { eventSource: string[]; eventName: string[] };
}

function isNamedCalls(pattern: EventPattern): pattern is EventPattern & NamedCallsPattern {
  const detail = pattern.detail as Record<string, unknown> | undefined;
  const strings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string');
  return (
    Object.keys(pattern).sort().join() === 'detail,detail-type,source' &&
    strings(pattern.source) &&
    strings(pattern['detail-type']) &&
    detail !== undefined &&
    Object.keys(detail).sort().join() === 'eventName,eventSource' &&
    strings(detail.eventSource) &&
    strings(detail.eventName)
  );
}

/**
 * What each account forwards to the detect bus (template.yaml from its own default bus,
 * member.yaml from each member's): the calls the rules name, merged into one pattern, and any
 * other rule's pattern as it is. Never narrower than a rule's (a test checks every record a rule
 * fires on); a little wider where merging pairs one rule's source with another's names.
 */
export function forwardingPatterns(rules: readonly DetectionRule[] = RULES): EventPattern[] {
  const union = (values: string[]) => [...new Set(values)].sort();
  const named = rules.map((rule) => rule.eventPattern).filter(isNamedCalls);
  const others = rules.map((rule) => rule.eventPattern).filter((pattern) => !isNamedCalls(pattern));
  return [
    {
      source: union(named.flatMap((pattern) => pattern.source)),
      'detail-type': union(named.flatMap((pattern) => pattern['detail-type'])),
      detail: {
        eventSource: union(named.flatMap((pattern) => pattern.detail.eventSource)),
        eventName: union(named.flatMap((pattern) => pattern.detail.eventName)),
      },
    },
    ...others.filter(
      (pattern, index) =>
        others.findIndex((other) => JSON.stringify(other) === JSON.stringify(pattern)) === index,
    ),
    // GuardDuty and Security Hub findings that name an IAM credential (lib/domain/findings.ts).
    ...FINDING_EVENT_PATTERNS,
  ];
}

/**
 * The detect function's EventBridge rules in template.yaml: one per detection rule, one for
 * our own offboarding event (set aside), Identity Center's removals and grants' ends. The
 * template holds exactly this (a test keeps them equal; `revoker rules --eventbridge` prints it).
 */
export function eventBridgeEvents(): Record<
  string,
  { Type: 'EventBridgeRule'; Properties: Record<string, unknown> }
> {
  return Object.fromEntries([
    ...RULES.map((rule) => [
      rule.id.replace(/(^|-)([a-z0-9])/g, (_match, _dash, letter: string) => letter.toUpperCase()),
      {
        Type: 'EventBridgeRule' as const,
        Properties: {
          EventBusName: DETECT_BUS,
          Pattern: rule.eventPattern,
          // Get/List/Describe calls are delivered only to rules in this state.
          ...(rule.readOnlyEvents ? { State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' } : {}),
        },
      },
    ]),
    // Our own event offboards no one (anyone here who may put events could send it): detect
    // sets it aside with the reason, so a system still sending it learns to ask through the
    // operator API instead of being dropped unseen. Only this account's events reach it.
    [
      'PersonOffboarded',
      {
        Type: 'EventBridgeRule' as const,
        Properties: { Pattern: { ...OFFBOARDING_EVENT_PATTERN, account: OWN_ACCOUNT } },
      },
    ],
    // Identity Center removing a user offboards them too.
    [
      'IdentityCenterUserRemoved',
      { Type: 'EventBridgeRule' as const, Properties: { Pattern: IDENTITY_CENTER_REMOVAL_PATTERN } },
    ],
    // GuardDuty and Security Hub findings naming an IAM credential: a case like a rule match.
    [
      'GuardDutyFinding',
      {
        Type: 'EventBridgeRule' as const,
        Properties: { EventBusName: DETECT_BUS, Pattern: FINDING_EVENT_PATTERNS[0] },
      },
    ],
    [
      'SecurityHubFinding',
      {
        Type: 'EventBridgeRule' as const,
        Properties: { EventBusName: DETECT_BUS, Pattern: FINDING_EVENT_PATTERNS[1] },
      },
    ],
    // Put on the bus by EventBridge Scheduler, in this account, when a just-in-time grant ends.
    [
      'GrantExpired',
      {
        Type: 'EventBridgeRule' as const,
        Properties: { Pattern: { ...JIT_EVENT_PATTERN, account: OWN_ACCOUNT } },
      },
    ],
  ]);
}
