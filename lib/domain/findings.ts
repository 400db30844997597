// Findings as triggers: a GuardDuty finding or a Security Hub (ASFF) finding that names an IAM
// credential opens (or joins) that credential's case, like a rule match. Validated here, at the
// edge; the envelope's `source` (aws.guardduty, aws.securityhub) is what proves AWS wrote it.
// Formats: the EventBridge envelopes and ASFF resource details in the AWS documentation
// (samples under /work/shared/data/findings, see its README).
import { z } from 'zod';
import type { Ranking } from './case.ts';
import { describeIssues } from './cloudtrail.ts';
import type { EventPattern } from './event-pattern.ts';
import type { RuleResponse, Severity } from './rules.ts';
import { credentialIdOf, type Trigger, TriggerSchema } from './trigger.ts';

export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';
export const SECURITY_HUB_DETAIL_TYPE = 'Security Hub Findings - Imported';

/** The credential-exfiltration findings revoker revokes on by default (guard rails still decide). */
export const DEFAULT_FINDING_RESPONSES: Readonly<Record<string, RuleResponse>> = {
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS': 'auto-revoke',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS': 'auto-revoke',
};

const Response = z.enum(['auto-revoke', 'escalate', 'notify']);

/**
 * The `findings` configuration key: a response per finding type (a GuardDuty type such as
 * `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS`, or an ASFF `Types`
 * entry), over the defaults above; `otherwise` for every other type (absent: escalate a high or
 * critical finding, notify a medium or low one).
 */
export const FindingsConfigSchema = z
  .strictObject({
    responses: z
      .record(
        z
          .string()
          .min(1)
          .max(256)
          .regex(/^[^\s]+$/, 'a finding type without spaces'),
        Response,
      )
      .default({}),
    otherwise: Response.optional(),
  })
  .default({ responses: {} });
export type FindingsConfig = z.infer<typeof FindingsConfigSchema>;

/** The response a finding of these types asks for: configured, else the default, else by severity. */
export function findingResponse(
  config: FindingsConfig | undefined,
  types: readonly string[],
  severity: Severity,
): RuleResponse {
  for (const type of types) {
    const configured = config?.responses[type] ?? DEFAULT_FINDING_RESPONSES[type];
    if (configured) return configured;
  }
  return config?.otherwise ?? (severity === 'high' || severity === 'critical' ? 'escalate' : 'notify');
}

/** GuardDuty's numeric severity bands: 9-10 critical, 7-8.9 high, 4-6.9 medium, below low. */
export function guardDutySeverity(value: number): Severity {
  if (value >= 9) return 'critical';
  if (value >= 7) return 'high';
  if (value >= 4) return 'medium';
  return 'low';
}

const ASFF_SEVERITIES: Record<string, Severity> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INFORMATIONAL: 'low',
};

const Envelope = {
  version: z.string(),
  id: z.string().min(1),
  account: z.string().regex(/^\d{12}$/, 'a 12-digit account ID'),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()).default([]),
};

const Text = z.string().min(1).max(2048);

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
  accountId: z.string().regex(/^\d{12}$/, 'a 12-digit account ID'),
  region: z.string(),
  partition: z.string().optional(),
  id: Text,
  arn: z.string().optional(),
  type: Text,
  severity: z.number().min(0).max(10),
  createdAt: z.string(),
  updatedAt: z.iso.datetime(),
  title: z.string().optional(),
  resource: z.object({ resourceType: z.string(), accessKeyDetails: AccessKeyDetailsSchema.optional() }),
  service: z
    .object({
      action: z
        .object({
          awsApiCallAction: z
            .object({ remoteIpDetails: z.object({ ipAddressV4: z.string().optional() }).optional() })
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

/** An AWS Security Finding Format finding: the fields revoker reads. */
const AsffFindingSchema = z.object({
  SchemaVersion: z.string(),
  Id: Text,
  ProductArn: Text,
  GeneratorId: Text,
  AwsAccountId: z.string().regex(/^\d{12}$/, 'a 12-digit account ID'),
  Types: z.array(z.string()).default([]),
  UpdatedAt: z.iso.datetime({ offset: true }),
  Severity: z.object({ Label: z.enum(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']) }),
  Title: z.string().optional(),
  Region: z.string().optional(),
  Resources: z.array(AsffResourceSchema).min(1),
});

export const SecurityHubFindingsEventSchema = z.object({
  ...Envelope,
  'detail-type': z.literal(SECURITY_HUB_DETAIL_TYPE),
  source: z.literal('aws.securityhub'),
  detail: z.object({ findings: z.array(AsffFindingSchema).min(1) }),
});

/** `Details.AwsIamAccessKey`, as the ASFF reference documents it. */
const AsffAccessKeySchema = z.object({
  AccessKeyId: z.string().optional(),
  AccountId: z.string().optional(),
  PrincipalId: z.string().optional(),
  PrincipalName: z.string().optional(),
  PrincipalType: z.string().optional(),
  UserName: z.string().optional(),
  SessionContext: z
    .object({
      SessionIssuer: z
        .object({ Arn: z.string().optional(), UserName: z.string().optional(), Type: z.string().optional() })
        .optional(),
    })
    .optional(),
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

/** An event that says it carries findings: detect takes it down this path, never as a call. */
export function claimsToBeFinding(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const fields = event as Record<string, unknown>;
  return (
    fields['detail-type'] === GUARDDUTY_DETAIL_TYPE ||
    fields['detail-type'] === SECURITY_HUB_DETAIL_TYPE ||
    fields.source === 'aws.securityhub'
  );
}

export interface FindingMatch {
  trigger: Trigger;
  ranking: Ranking;
  /** The finding's identity: a finding updated and sent again joins its case as taken in before. */
  eventKey: string;
}

export type FindingOutcome = FindingMatch | { rejected: string };

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

/** GuardDuty's `accessKeyDetails`: an IAM user, an assumed role's session, or root. */
function guardDutyPrincipal(finding: z.infer<typeof GuardDutyFindingSchema>): Named | string {
  const details = finding.resource.accessKeyDetails;
  if (!details) return `names no credential (resource ${finding.resource.resourceType}, no accessKeyDetails)`;
  const partition = finding.partition ?? partitionOf(finding.region);
  const accessKeyId = details.accessKeyId ?? null;
  switch (details.userType) {
    case 'IAMUser':
      if (!details.userName) return 'an IAMUser with no userName';
      return userTarget(partition, finding.accountId, details.userName, accessKeyId);
    case 'Root':
      return rootTarget(partition, finding.accountId, accessKeyId);
    case 'AssumedRole': {
      // userName is the role's name; principalId is `<role ID>:<session name>`. GuardDuty does
      // not give the role's path: the ARN is built without one.
      if (!details.userName) return 'an AssumedRole with no userName (the role name)';
      const colon = details.principalId?.indexOf(':') ?? -1;
      const sessionName = colon >= 0 ? (details.principalId?.slice(colon + 1) ?? null) : null;
      const roleArn = `arn:${partition}:iam::${finding.accountId}:role/${details.userName}`;
      return roleTarget(finding.accountId, roleArn, sessionName, accessKeyId, details.principalId ?? null);
    }
    default:
      return `names a principal of type ${JSON.stringify(details.userType ?? null)}; revoker opens cases for IAM users, assumed roles and root`;
  }
}

const RESOURCE_ORDER = ['AwsIamAccessKey', 'AwsIamUser', 'AwsIamRole'];

/** The IAM principal an ASFF finding's resources name: an access key first, then a user, a role. */
function asffPrincipal(finding: z.infer<typeof AsffFindingSchema>, region: string): Named | string {
  const resource = [...finding.Resources]
    .filter((candidate) => RESOURCE_ORDER.includes(candidate.Type))
    .sort((a, b) => RESOURCE_ORDER.indexOf(a.Type) - RESOURCE_ORDER.indexOf(b.Type))[0];
  if (!resource)
    return `names no IAM credential (resources: ${finding.Resources.map((each) => each.Type).join(', ')})`;
  const partition = resource.Partition ?? partitionOf(region);
  const accountId = finding.AwsAccountId;
  if (resource.Type === 'AwsIamRole') return roleTarget(accountId, resource.Id, null, null, null);
  if (resource.Type === 'AwsIamUser') {
    const userName =
      (resource.Details?.AwsIamUser as { UserName?: unknown } | undefined)?.UserName ??
      resource.Id.match(/:user\/(?:.*\/)?([^/]+)$/)?.[1];
    if (typeof userName !== 'string') return 'an AwsIamUser resource without a user name';
    return userTarget(partition, accountId, userName, null);
  }
  const parsed = AsffAccessKeySchema.safeParse(resource.Details?.AwsIamAccessKey ?? {});
  if (!parsed.success) return `AwsIamAccessKey details: ${describeIssues(parsed.error)}`;
  const key = parsed.data;
  const accessKeyId = key.AccessKeyId ?? null;
  const keyAccount = key.AccountId ?? accountId;
  switch (key.PrincipalType) {
    case 'IAMUser': {
      const userName = key.PrincipalName ?? key.UserName;
      if (!userName) return 'an IAMUser access key with no PrincipalName';
      return userTarget(partition, keyAccount, userName, accessKeyId);
    }
    case 'Root':
      return rootTarget(partition, keyAccount, accessKeyId);
    case 'AssumedRole': {
      const roleArn = key.SessionContext?.SessionIssuer?.Arn;
      if (!roleArn) return 'an AssumedRole access key with no SessionContext.SessionIssuer.Arn';
      const colon = key.PrincipalId?.indexOf(':') ?? -1;
      const sessionName = colon >= 0 ? (key.PrincipalId?.slice(colon + 1) ?? null) : null;
      return roleTarget(keyAccount, roleArn, sessionName, accessKeyId, key.PrincipalId ?? null);
    }
    default:
      return `an access key of principal type ${JSON.stringify(key.PrincipalType ?? null)}; revoker opens cases for IAM users, assumed roles and root`;
  }
}

function triggerFor(named: Named, facts: Omit<Trigger, 'credentialId' | 'target'>): Trigger | string {
  const trigger = TriggerSchema.safeParse({
    ...facts,
    credentialId: credentialIdOf(named.credential),
    target: named.target,
  });
  return trigger.success ? trigger.data : `cannot open a case: ${describeIssues(trigger.error)}`;
}

/**
 * A findings event, judged: one outcome per finding (GuardDuty sends one; an ASFF event holds
 * an array). A malformed event, or a finding naming no IAM credential, is rejected with why.
 */
export function findingTriggers(event: unknown, config: FindingsConfig | undefined): FindingOutcome[] {
  const fields = (event ?? {}) as Record<string, unknown>;
  if (fields['detail-type'] === GUARDDUTY_DETAIL_TYPE) {
    const parsed = GuardDutyFindingEventSchema.safeParse(event);
    if (!parsed.success)
      return [{ rejected: `invalid GuardDuty finding event: ${describeIssues(parsed.error)}` }];
    const finding = parsed.data.detail;
    const principal = guardDutyPrincipal(finding);
    if (typeof principal === 'string')
      return [{ rejected: `GuardDuty finding ${finding.type} (${finding.id}) ${principal}` }];
    const severity = guardDutySeverity(finding.severity);
    const ruleId = `guardduty:${finding.type}`;
    const trigger = triggerFor(principal, {
      ruleId,
      eventId: finding.id,
      eventTime: finding.updatedAt,
      eventSource: 'guardduty.amazonaws.com',
      eventName: finding.type,
      region: finding.region,
      sourceIp: finding.service?.action?.awsApiCallAction?.remoteIpDetails?.ipAddressV4 ?? null,
      userAgent: null,
      finding: {
        product: 'guardduty',
        id: finding.id,
        type: finding.type,
        severity: String(finding.severity),
        title: finding.title?.slice(0, 512) ?? null,
      },
    });
    if (typeof trigger === 'string')
      return [{ rejected: `GuardDuty finding ${finding.type} (${finding.id}): ${trigger}` }];
    return [
      {
        trigger,
        ranking: { ruleId, severity, response: findingResponse(config, [finding.type], severity) },
        eventKey: `guardduty:${finding.id}`,
      },
    ];
  }
  const parsed = SecurityHubFindingsEventSchema.safeParse(event);
  if (!parsed.success)
    return [{ rejected: `invalid Security Hub findings event: ${describeIssues(parsed.error)}` }];
  return parsed.data.detail.findings.map((finding): FindingOutcome => {
    const region = finding.Region ?? parsed.data.region;
    const principal = asffPrincipal(finding, region);
    if (typeof principal === 'string') return { rejected: `Security Hub finding ${finding.Id} ${principal}` };
    const severity = ASFF_SEVERITIES[finding.Severity.Label] ?? 'low';
    const type = finding.Types[0] ?? finding.GeneratorId;
    const ruleId = `securityhub:${type}`.slice(0, 512);
    const trigger = triggerFor(principal, {
      ruleId,
      eventId: finding.Id,
      eventTime: new Date(finding.UpdatedAt).toISOString(),
      eventSource: 'securityhub.amazonaws.com',
      eventName: type,
      region,
      sourceIp: null,
      userAgent: null,
      finding: {
        product: 'securityhub',
        id: finding.Id,
        type,
        severity: finding.Severity.Label,
        title: finding.Title?.slice(0, 512) ?? null,
      },
    });
    if (typeof trigger === 'string') return { rejected: `Security Hub finding ${finding.Id}: ${trigger}` };
    return {
      trigger,
      ranking: {
        ruleId,
        severity,
        response: findingResponse(config, [...finding.Types, finding.GeneratorId], severity),
      },
      eventKey: `securityhub:${finding.Id}`,
    };
  });
}
