// Findings as triggers: a GuardDuty finding, or a Security Hub (ASFF) finding from an AWS
// service, that names an IAM credential opens (or joins) that credential's case, like a rule
// match. Validated here, at the edge. What is trusted, and why:
// - The envelope's `source` (aws.guardduty, aws.securityhub): only AWS puts `aws.*` events.
// - For Security Hub, only findings an AWS service produced: ProductArn
//   `arn:<partition>:securityhub:<region>::product/aws/<service>`. Anyone allowed
//   securityhub:BatchImportFindings can import a finding of their own product with any
//   GeneratorId, Types, severity and resources, so those are never acted on.
// - For an AWS service's finding, its type and severity as the service gave them
//   (`FindingProviderFields`): the top-level `Types` and `Severity` can be changed by anyone
//   allowed securityhub:BatchUpdateFindings, so read alone they ask a human at most.
// - The accounts it names must agree with one another and with the account the event came
//   from (or an enrolled one): a finding never points revoker at a principal elsewhere.
// A finding is not proof on its own: confirm weighs the principal's history as for any call.
// Formats: the EventBridge envelopes, GetFindings' fields and ASFF's resource details in the
// AWS documentation (samples in the shared findings data set; see its README).
import * as z from 'zod';
import type { Accounts } from './accounts.ts';
import { accountOfArn } from './arn.ts';
import type { Ranking } from './case.ts';
import { describeIssues } from './cloudtrail.ts';
import type { EventPattern } from './event-pattern.ts';
import type { RuleResponse, Severity } from './rules.ts';
import { credentialIdOf, type Trigger, TriggerSchema } from './trigger.ts';

export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';
export const SECURITY_HUB_DETAIL_TYPE = 'Security Hub Findings - Imported';

/**
 * The findings revoker revokes on by default (confirm's evidence and the guard rails still
 * decide), keyed `<product>:<type>`: GuardDuty's credential exfiltration.
 */
export const DEFAULT_FINDING_RESPONSES: ReadonlyMap<string, RuleResponse> = new Map([
  ['guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'auto-revoke'],
  ['guardduty:UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS', 'auto-revoke'],
]);

export const FindingResponse = z.enum(['auto-revoke', 'escalate', 'notify']);

/** Responses by `<product>:<type>`: `guardduty:Policy:IAMUser/RootCredentialUsage`, `macie:TTPs/…`. */
export const FindingResponsesSchema = z.record(
  z
    .string()
    .max(300)
    .regex(
      /^[a-z0-9-]+:\S(?:[^\p{Cc}]*\S)?$/u,
      'a product and a finding type, such as guardduty:Policy:IAMUser/RootCredentialUsage',
    ),
  FindingResponse,
);

/**
 * The `findings` configuration key (top level, and per enrolled account): a response per
 * `<product>:<type>` over the defaults above, and `otherwise` for every other threat finding
 * (absent: escalate a high or critical one, notify the rest).
 */
export const FindingsConfigSchema = z
  .strictObject({ responses: FindingResponsesSchema.default({}), otherwise: FindingResponse.optional() })
  .default({ responses: {} });
export type FindingsConfig = z.infer<typeof FindingsConfigSchema>;

/** What a finding's response depends on: the top-level settings and the enrolled accounts' own. */
export interface FindingSettings {
  findings?: FindingsConfig | undefined;
  accounts?: Accounts | undefined;
}

/** A configured response, looked up as data: a key such as `constructor` names nothing. */
function configured(
  responses: Record<string, RuleResponse> | undefined,
  key: string,
): RuleResponse | undefined {
  return responses !== undefined && Object.hasOwn(responses, key) ? responses[key] : undefined;
}

/**
 * A finding's response in its account: the account's own setting for its type, the top-level
 * one, the default, then `otherwise` (the account's, the top level's), else by severity.
 */
export function findingResponse(
  settings: FindingSettings,
  accountId: string,
  key: string,
  severity: Severity,
): RuleResponse {
  const own = settings.accounts?.enrolled.find((entry) => entry.id === accountId)?.findings;
  return (
    configured(own?.responses, key) ??
    configured(settings.findings?.responses, key) ??
    DEFAULT_FINDING_RESPONSES.get(key) ??
    own?.otherwise ??
    settings.findings?.otherwise ??
    (severity === 'high' || severity === 'critical' ? 'escalate' : 'notify')
  );
}

/** GuardDuty's numeric severity bands: 9-10 critical, 7-8.9 high, 4-6.9 medium, below low. */
export function guardDutySeverity(value: number): Severity {
  if (value >= 9) return 'critical';
  if (value >= 7) return 'high';
  if (value >= 4) return 'medium';
  return 'low';
}

const AsffLabel = z.enum(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);

function asffSeverity(label: z.infer<typeof AsffLabel>): Severity {
  return label === 'INFORMATIONAL' ? 'low' : (label.toLowerCase() as Severity);
}

const AccountIdField = z.string().regex(/^\d{12}$/, 'a 12-digit account ID');
const RegionField = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'a region such as us-east-1');
const Text = z.string().min(1).max(2048);

const Envelope = {
  version: z.string(),
  id: z.string().min(1),
  account: AccountIdField,
  time: z.string(),
  region: RegionField,
  resources: z.array(z.string()).default([]),
};

/** `resource.accessKeyDetails`, as GetFindings documents it. */
const AccessKeyDetailsSchema = z.object({
  accessKeyId: Text.optional(),
  principalId: Text.optional(),
  userName: Text.optional(),
  userType: Text.optional(),
});

/** A GuardDuty finding (the envelope's `detail`): the fields revoker reads. */
const GuardDutyFindingSchema = z.object({
  schemaVersion: z.string(),
  accountId: AccountIdField,
  region: RegionField,
  partition: z.enum(['aws', 'aws-cn', 'aws-us-gov']).optional(),
  id: z.string().regex(/^[\w-]{1,128}$/, 'a GuardDuty finding ID'),
  arn: z.string().optional(),
  type: z.string().regex(/^[A-Za-z0-9]+:[A-Za-z0-9]+\/[\w.!&:-]{1,200}$/, 'a GuardDuty finding type'),
  severity: z.number().min(0).max(10),
  createdAt: z.string(),
  updatedAt: z.iso.datetime({ offset: true }),
  title: z.string().optional(),
  resource: z.object({ resourceType: z.string(), accessKeyDetails: AccessKeyDetailsSchema.optional() }),
  service: z
    .object({
      action: z
        .object({
          awsApiCallAction: z
            .object({
              api: z.string().optional(),
              serviceName: z.string().optional(),
              remoteIpDetails: z.object({ ipAddressV4: z.string().optional() }).optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

export const GuardDutyFindingEventSchema = z.object({
  ...Envelope,
  'detail-type': z.literal(GUARDDUTY_DETAIL_TYPE),
  source: z.literal('aws.guardduty'),
  detail: GuardDutyFindingSchema,
});

const AsffResourceSchema = z.object({
  Type: Text,
  Id: Text,
  Partition: z.string().optional(),
  Region: z.string().optional(),
  Details: z.record(z.string(), z.unknown()).optional(),
});

const AsffSeveritySchema = z.object({ Label: AsffLabel });

/** An AWS Security Finding Format finding: the fields revoker reads. */
const AsffFindingSchema = z.object({
  SchemaVersion: z.string(),
  Id: Text,
  ProductArn: Text,
  GeneratorId: Text,
  AwsAccountId: AccountIdField,
  Types: z.array(Text).default([]),
  UpdatedAt: z.iso.datetime({ offset: true }),
  Severity: AsffSeveritySchema,
  /** Set only by the product that made the finding; customers cannot change it. */
  FindingProviderFields: z
    .object({ Severity: AsffSeveritySchema.optional(), Types: z.array(Text).optional() })
    .optional(),
  Title: z.string().optional(),
  Region: z.string().optional(),
  RecordState: z.string().optional(),
  Resources: z.array(AsffResourceSchema).min(1),
});

export const SecurityHubFindingsEventSchema = z.object({
  ...Envelope,
  'detail-type': z.literal(SECURITY_HUB_DETAIL_TYPE),
  source: z.literal('aws.securityhub'),
  detail: z.object({ findings: z.array(z.unknown()).min(1) }),
});

/** `Details.AwsIamAccessKey`, as the ASFF reference documents it. */
const AsffAccessKeySchema = z.object({
  AccessKeyId: z.string().optional(),
  AccountId: z.string().optional(),
  PrincipalId: z.string().optional(),
  PrincipalName: z.string().optional(),
  PrincipalType: z.string().optional(),
  UserName: z.string().optional(),
  SessionContext: z.object({ SessionIssuer: z.object({ Arn: z.string().optional() }).optional() }).optional(),
});

/**
 * Routes findings to detect: only those that name an IAM credential (a GuardDuty finding about
 * an access key; an ASFF finding with an IAM access key, user or role among its resources).
 */
export const FINDING_EVENT_PATTERNS: readonly EventPattern[] = [
  {
    source: ['aws.guardduty'],
    'detail-type': [GUARDDUTY_DETAIL_TYPE],
    detail: { resource: { resourceType: ['AccessKey'] } },
  },
  {
    source: ['aws.securityhub'],
    'detail-type': [SECURITY_HUB_DETAIL_TYPE],
    detail: { findings: { Resources: { Type: ['AwsIamAccessKey', 'AwsIamUser', 'AwsIamRole'] } } },
  },
];

/**
 * An event that says it carries findings, by its detail type: detect takes it down this path,
 * never as a call. Not by its source: CloudTrail's record of a call to GuardDuty or Security
 * Hub (DeleteDetector, say) comes from `aws.guardduty` too, and is a call for the rules.
 */
export function claimsToBeFinding(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const detailType = (event as Record<string, unknown>)['detail-type'];
  return detailType === GUARDDUTY_DETAIL_TYPE || detailType === SECURITY_HUB_DETAIL_TYPE;
}

export type FindingEvent =
  | { product: 'guardduty'; event: z.infer<typeof GuardDutyFindingEventSchema> }
  | { product: 'securityhub'; event: z.infer<typeof SecurityHubFindingsEventSchema> };

/** A findings event checked at the edge, or why it cannot be read. */
export function parseFindingEvent(event: unknown): FindingEvent | { rejected: string } {
  const fields = (event ?? {}) as Record<string, unknown>;
  if (fields['detail-type'] === GUARDDUTY_DETAIL_TYPE) {
    const parsed = GuardDutyFindingEventSchema.safeParse(event);
    return parsed.success
      ? { product: 'guardduty', event: parsed.data }
      : { rejected: `invalid GuardDuty finding event: ${describeIssues(parsed.error)}` };
  }
  const parsed = SecurityHubFindingsEventSchema.safeParse(event);
  return parsed.success
    ? { product: 'securityhub', event: parsed.data }
    : { rejected: `invalid Security Hub findings event: ${describeIssues(parsed.error)}` };
}

export interface FindingMatch {
  trigger: Trigger;
  ranking: Ranking;
  /**
   * The finding's identity at its last update: the same update sent again (or through Security
   * Hub as well as GuardDuty) is taken in once; a later update is a new delivery, which joins or
   * raises the credential's open case, or opens a new one after it closed.
   */
  eventKey: string;
}

/** One finding, judged: a case to open or join, nothing to do (and why), or unusable (and why). */
export type FindingOutcome = FindingMatch | { ignored: string } | { rejected: string };

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The case's target for a principal a finding names, and the credential it is about. */
interface Named {
  target: Record<string, unknown>;
  credential: string;
}

/** The same credential identity a CloudTrail call by this principal gets (see buildTrigger). */
function named(target: Record<string, unknown>, accessKeyId: string | null): Named {
  const credential =
    accessKeyId ??
    (target.kind === 'assumed-role'
      ? `${String(target.roleArn)}/${String(target.sessionName ?? '')}`
      : JSON.stringify(target));
  return { target, credential };
}

function userTarget(partition: string, accountId: string, userName: string, accessKeyId: string | null) {
  return named(
    {
      kind: 'iam-user',
      accountId,
      userArn: `arn:${partition}:iam::${accountId}:user/${userName}`,
      userName,
      accessKeyId,
    },
    accessKeyId,
  );
}

function rootTarget(partition: string, accountId: string, accessKeyId: string | null) {
  return named({ kind: 'root', accountId, arn: `arn:${partition}:iam::${accountId}:root` }, accessKeyId);
}

function roleTarget(
  accountId: string,
  roleArn: string,
  sessionName: string | null,
  accessKeyId: string | null,
  sessionUserId: string | null,
) {
  return named(
    {
      kind: 'assumed-role',
      accountId,
      roleArn,
      roleName: roleArn.slice(roleArn.lastIndexOf('/') + 1),
      sessionName,
      accessKeyId,
      sessionIssuedAt: null,
      sessionUserId,
      sourceIdentity: null,
    },
    accessKeyId,
  );
}

/** The session name in `<role ID>:<session name>`. */
function sessionNameOf(principalId: string | undefined): string | null {
  const colon = principalId?.indexOf(':') ?? -1;
  return colon >= 0 ? (principalId?.slice(colon + 1) ?? null) : null;
}

/** GuardDuty's `accessKeyDetails`: an IAM user, an assumed role's session, or root. */
function guardDutyPrincipal(finding: z.infer<typeof GuardDutyFindingSchema>): Named | string {
  const details = finding.resource.accessKeyDetails;
  if (!details) return `names no credential (resource ${finding.resource.resourceType}, no accessKeyDetails)`;
  const partition = finding.partition ?? partitionOf(finding.region);
  const accessKeyId = details.accessKeyId ?? null;
  switch (details.userType) {
    case 'IAMUser':
      if (!details.userName) return 'names an IAMUser with no userName';
      return userTarget(partition, finding.accountId, details.userName, accessKeyId);
    case 'Root':
      return rootTarget(partition, finding.accountId, accessKeyId);
    case 'AssumedRole': {
      // userName is the role's name; principalId is `<role ID>:<session name>`. GuardDuty does
      // not give the role's path: the ARN is built without one.
      if (!details.userName) return 'names an AssumedRole with no userName (the role name)';
      const roleArn = `arn:${partition}:iam::${finding.accountId}:role/${details.userName}`;
      return roleTarget(
        finding.accountId,
        roleArn,
        sessionNameOf(details.principalId),
        accessKeyId,
        details.principalId ?? null,
      );
    }
    default:
      return `names a principal of type ${JSON.stringify(details.userType ?? null)}; revoker opens cases for IAM users, assumed roles and root`;
  }
}

const IAM_RESOURCES = ['AwsIamAccessKey', 'AwsIamUser', 'AwsIamRole'];

/** An IAM ARN of this kind (`user`, `role`) in the finding's partition and account, or why not. */
function iamArnIn(arn: string, kind: 'user' | 'role', accountId: string, partition: string): string | null {
  if (
    !arn.startsWith(`arn:${partition}:iam::`) ||
    !new RegExp(`^arn:[a-z-]+:iam::\\d{12}:${kind}/`).test(arn)
  )
    return `${arn} is not an IAM ${kind} ARN in partition ${partition}`;
  const named = accountOfArn(arn);
  return named === accountId ? null : `${arn} is in account ${named}, not the finding's ${accountId}`;
}

/**
 * The IAM principal an ASFF finding's resources name (an access key first, then a user, a
 * role), in the finding's own account: a resource naming another account is refused.
 */
function asffPrincipal(finding: z.infer<typeof AsffFindingSchema>, region: string): Named | string {
  const resource = [...finding.Resources]
    .filter((candidate) => IAM_RESOURCES.includes(candidate.Type))
    .sort((a, b) => IAM_RESOURCES.indexOf(a.Type) - IAM_RESOURCES.indexOf(b.Type))[0];
  if (!resource)
    return `names no IAM credential (resources: ${finding.Resources.map((each) => each.Type).join(', ')})`;
  const partition = partitionOf(region);
  const accountId = finding.AwsAccountId;
  if (resource.Type === 'AwsIamRole') {
    const wrong = iamArnIn(resource.Id, 'role', accountId, partition);
    return wrong ?? roleTarget(accountId, resource.Id, null, null, null);
  }
  if (resource.Type === 'AwsIamUser') {
    const wrong = iamArnIn(resource.Id, 'user', accountId, partition);
    if (wrong) return wrong;
    const userName = resource.Id.slice(resource.Id.lastIndexOf('/') + 1);
    return userTarget(partition, accountId, userName, null);
  }
  const parsed = AsffAccessKeySchema.safeParse(resource.Details?.AwsIamAccessKey ?? {});
  if (!parsed.success) return `AwsIamAccessKey details: ${describeIssues(parsed.error)}`;
  const key = parsed.data;
  if (key.AccountId !== undefined && key.AccountId !== accountId)
    return `its access key is in account ${key.AccountId}, not the finding's ${accountId}`;
  const accessKeyId = key.AccessKeyId ?? null;
  switch (key.PrincipalType) {
    case 'IAMUser': {
      const userName = key.PrincipalName ?? key.UserName;
      if (!userName) return 'names an IAMUser access key with no PrincipalName';
      return userTarget(partition, accountId, userName, accessKeyId);
    }
    case 'Root':
      return rootTarget(partition, accountId, accessKeyId);
    case 'AssumedRole': {
      const roleArn = key.SessionContext?.SessionIssuer?.Arn;
      if (!roleArn) return 'names an AssumedRole access key with no SessionContext.SessionIssuer.Arn';
      const wrong = iamArnIn(roleArn, 'role', accountId, partition);
      if (wrong) return wrong;
      return roleTarget(
        accountId,
        roleArn,
        sessionNameOf(key.PrincipalId),
        accessKeyId,
        key.PrincipalId ?? null,
      );
    }
    default:
      return `names an access key of principal type ${JSON.stringify(key.PrincipalType ?? null)}; revoker opens cases for IAM users, assumed roles and root`;
  }
}

/** The AWS service whose finding this is, from its ProductArn, or null for any other product. */
export function awsServiceOf(productArn: string): string | null {
  return (
    productArn.match(
      /^arn:aws(?:-cn|-us-gov)?:securityhub:[a-z]{2}(?:-[a-z]+)+-\d+::product\/aws\/([a-z0-9-]+)$/,
    )?.[1] ?? null
  );
}

/**
 * GuardDuty's own type for the ASFF type Security Hub gives its findings: from the part that
 * names the threat, with the `-` after the resource type back to `/`
 * (`TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce` is `UnauthorizedAccess:EC2/SSHBruteForce`),
 * so one setting covers both ways a finding arrives.
 */
export function guardDutyTypeOf(asffType: string): string | null {
  const parts = asffType.split('/');
  const named = parts.findIndex((part) => /^[A-Za-z0-9]+:[A-Za-z0-9]+/.test(part));
  if (named < 0) return null;
  const rest = parts.slice(named).join('/');
  const type = rest.includes('/') ? rest : rest.replace(/^([A-Za-z0-9]+:[A-Za-z0-9]+)-/, '$1/');
  return /^[A-Za-z0-9]+:[A-Za-z0-9]+\/\S+$/.test(type) ? type : null;
}

/** ASFF's namespaces for threats; the others (checks, sensitive data) describe posture. */
const THREAT_NAMESPACES = ['TTPs/', 'Effects/', 'Unusual Behaviors/'];

/** The case a finding's facts open, or why none can. */
function judged(
  named: Named,
  facts: Omit<Trigger, 'credentialId' | 'target'>,
  ranking: Ranking,
  eventKey: string,
): FindingOutcome {
  const trigger = TriggerSchema.safeParse({
    ...facts,
    credentialId: credentialIdOf(named.credential),
    target: named.target,
  });
  return trigger.success
    ? { trigger: trigger.data, ranking, eventKey }
    : { rejected: `cannot open a case: ${describeIssues(trigger.error)}` };
}

/** A finding's account must be the one the event came from, or one revoker is enrolled in. */
function accountRefusal(
  findingAccount: string,
  envelopeAccount: string,
  settings: FindingSettings,
): string | null {
  if (findingAccount === envelopeAccount) return null;
  if (settings.accounts?.enrolled.some((entry) => entry.id === findingAccount)) return null;
  return `is about account ${findingAccount} but came from account ${envelopeAccount}, and ${findingAccount} is not enrolled`;
}

/** One GuardDuty finding: the credential it names, at its severity and its type's response. */
function guardDutyOutcome(
  event: z.infer<typeof GuardDutyFindingEventSchema>,
  settings: FindingSettings,
): FindingOutcome {
  const finding = event.detail;
  const label = `GuardDuty finding ${finding.type} (${finding.id})`;
  const refusal = accountRefusal(finding.accountId, event.account, settings);
  if (refusal) return { rejected: `${label} ${refusal}` };
  const principal = guardDutyPrincipal(finding);
  if (typeof principal === 'string') return { rejected: `${label} ${principal}` };
  const severity = guardDutySeverity(finding.severity);
  const key = `guardduty:${finding.type}`;
  const call = finding.service?.action?.awsApiCallAction;
  const observed = observedCall(call?.serviceName, call?.api);
  const outcome = judged(
    principal,
    {
      ruleId: key,
      eventId: finding.id,
      eventTime: new Date(finding.updatedAt).toISOString(),
      eventSource: observed?.eventSource ?? 'guardduty.amazonaws.com',
      eventName: observed?.eventName ?? finding.type,
      region: finding.region,
      sourceIp: call?.remoteIpDetails?.ipAddressV4 ?? null,
      userAgent: null,
      finding: {
        product: 'guardduty',
        id: finding.id,
        type: finding.type,
        severity: String(finding.severity),
        level: severity,
        title: finding.title?.slice(0, 512) ?? null,
      },
    },
    { ruleId: key, severity, response: findingResponse(settings, finding.accountId, key, severity) },
    // Each update of the finding (GuardDuty re-sends it as it sees more) is a delivery of its own.
    `guardduty:${finding.accountId}:${finding.region}:${finding.id}@${new Date(finding.updatedAt).toISOString()}`,
  );
  return 'rejected' in outcome ? { rejected: `${label}: ${outcome.rejected}` } : outcome;
}

/** The API call a GuardDuty finding observed, when it names one CloudTrail would. */
function observedCall(serviceName: string | undefined, api: string | undefined) {
  if (!serviceName || !api) return null;
  if (!/^[a-z0-9-]+\.amazonaws\.com$/.test(serviceName) || !/^[A-Za-z0-9]{1,128}$/.test(api)) return null;
  return { eventSource: serviceName, eventName: api };
}

/** One ASFF finding from an AWS service: the credential it names, at its severity and its type's response. */
function asffOutcome(
  value: unknown,
  event: z.infer<typeof SecurityHubFindingsEventSchema>,
  settings: FindingSettings,
): FindingOutcome {
  const parsed = AsffFindingSchema.safeParse(value);
  if (!parsed.success) return { rejected: `invalid Security Hub finding: ${describeIssues(parsed.error)}` };
  const finding = parsed.data;
  const label = `Security Hub finding ${finding.Id}`;
  const service = awsServiceOf(finding.ProductArn);
  if (service === null)
    return {
      ignored: `${label} is from ${finding.ProductArn}, which is not an AWS service's product ARN (arn:<partition>:securityhub:<region>::product/aws/<service>): revoker acts only on AWS services' own findings`,
    };
  if (finding.RecordState === 'ARCHIVED') return { ignored: `${label} is archived by ${service}` };
  const refusal = accountRefusal(finding.AwsAccountId, event.account, settings);
  if (refusal) return { rejected: `${label} ${refusal}` };
  // The product's own type and severity; the top-level ones only ask a human (see the header).
  const provided = finding.FindingProviderFields;
  const fromProvider = provided?.Types !== undefined && provided.Severity !== undefined;
  const types = (fromProvider ? provided?.Types : finding.Types) ?? [];
  const asffType =
    types.find((type) => THREAT_NAMESPACES.some((space) => type.startsWith(space))) ?? types[0];
  if (asffType === undefined) return { ignored: `${label} has no type` };
  const type = service === 'guardduty' ? guardDutyTypeOf(asffType) : asffType;
  if (type === null)
    return { rejected: `${label}: ${JSON.stringify(asffType)} is not a GuardDuty finding type` };
  const key = `${service}:${type}`;
  const own = settings.accounts?.enrolled.find((entry) => entry.id === finding.AwsAccountId)?.findings;
  const isThreat = service === 'guardduty' || THREAT_NAMESPACES.some((space) => asffType.startsWith(space));
  if (
    !isThreat &&
    configured(own?.responses, key) === undefined &&
    configured(settings.findings?.responses, key) === undefined
  )
    return {
      ignored: `${label} (${key}) describes posture, not a threat; set findings.responses["${key}"] to act on it`,
    };
  const region = finding.Region ?? event.region;
  const principal = asffPrincipal(finding, region);
  if (typeof principal === 'string') return { rejected: `${label} ${principal}` };
  const severity = asffSeverity(
    (fromProvider ? provided?.Severity : finding.Severity)?.Label ?? 'INFORMATIONAL',
  );
  const response = findingResponse(settings, finding.AwsAccountId, key, severity);
  const findingId =
    service === 'guardduty'
      ? finding.Id.slice(finding.Id.lastIndexOf('/finding/') + '/finding/'.length)
      : finding.Id;
  const outcome = judged(
    principal,
    {
      ruleId: key.slice(0, 512),
      eventId: finding.Id,
      eventTime: new Date(finding.UpdatedAt).toISOString(),
      eventSource: `${service}.amazonaws.com`,
      eventName: type.slice(0, 256),
      region,
      sourceIp: null,
      userAgent: null,
      finding: {
        product: 'securityhub',
        id: finding.Id,
        type: key,
        severity: (fromProvider ? provided?.Severity : finding.Severity)?.Label ?? 'INFORMATIONAL',
        level: severity,
        title: finding.Title?.slice(0, 512) ?? null,
      },
    },
    {
      ruleId: key.slice(0, 512),
      severity,
      // Types and severity anyone may have edited ask a human at most.
      response: !fromProvider && response === 'auto-revoke' ? 'escalate' : response,
    },
    `${
      service === 'guardduty' && finding.Id.includes('/finding/')
        ? `guardduty:${finding.AwsAccountId}:${region}:${findingId}`
        : `securityhub:${finding.Id}`
    }@${new Date(finding.UpdatedAt).toISOString()}`,
  );
  return 'rejected' in outcome ? { rejected: `${label}: ${outcome.rejected}` } : outcome;
}

/**
 * A findings event, judged: one outcome per finding (GuardDuty sends one; an ASFF event holds
 * an array). One finding that cannot be used is its own outcome; the others still count.
 */
export function findingOutcomes(event: FindingEvent, settings: FindingSettings): FindingOutcome[] {
  if (event.product === 'guardduty') return [guardDutyOutcome(event.event, settings)];
  return event.event.detail.findings.map((finding) => {
    try {
      return asffOutcome(finding, event.event, settings);
    } catch (error) {
      return { rejected: `Security Hub finding could not be read: ${(error as Error).message}` };
    }
  });
}
