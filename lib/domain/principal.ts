// Who made a CloudTrail call, in terms the revocation engine can act on.
import type { UserIdentity } from './cloudtrail.ts';

/**
 * An IAM Identity Center role's ARN: under the path AWS reserves for Identity Center (no one
 * else can create roles there), named `AWSReservedSSO_<permission set>_<suffix>`. A session of
 * it is named with the person's user name, by AWS.
 */
export const IDENTITY_CENTER_ROLE_ARN =
  /^arn:aws[a-z-]*:iam::\d{12}:role\/aws-reserved\/sso\.amazonaws\.com\/([\w-]+\/)?AWSReservedSSO_[\w+=,.@-]+$/;

interface Base {
  accountId: string | null;
  /** The access key the call was signed with (AKIA… long-term, ASIA… temporary). */
  accessKeyId: string | null;
}

export type Principal =
  | (Base & { kind: 'iam-user'; arn: string; userName: string })
  | (Base & {
      kind: 'assumed-role';
      /** The IAM role ARN, with its path when CloudTrail gave the session issuer. */
      roleArn: string;
      roleName: string;
      rolePathKnown: boolean;
      sessionArn: string | null;
      sessionName: string | null;
      /** When the session's credentials were issued (matches `aws:TokenIssueTime`). */
      sessionIssuedAt: string | null;
      /** `aws:userid` of the session (`AROA…:session-name`), to deny this session alone. */
      sessionUserId: string | null;
      sourceIdentity: string | null;
      /** `AWSReservedSSO_*` roles belong to IAM Identity Center and cannot be edited in IAM. */
      managedByIdentityCenter: boolean;
      serviceLinked: boolean;
    })
  | (Base & { kind: 'root'; arn: string | null })
  | (Base & { kind: 'federated-user'; arn: string; federatedName: string; issuerArn: string | null })
  | (Base & {
      kind: 'identity-center-user';
      userId: string;
      identityStoreArn: string | null;
      userName: string | null;
    })
  | (Base & { kind: 'saml-user' | 'web-identity-user'; userName: string; identityProvider: string | null })
  | (Base & { kind: 'aws-service'; service: string })
  | (Base & { kind: 'aws-account'; principalId: string | null })
  | (Base & { kind: 'unknown'; detail: string | null });

export type PrincipalKind = Principal['kind'];

export type Resolution = { ok: true; principal: Principal } | { ok: false; reason: string };

const STS_SESSION_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:(.*)\/)?([^/]+)$/;
const FEDERATED_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):federated-user\/(.+)$/;

function text(value: string | null | undefined): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** A role session's principal ID is its `aws:userid`: the role's unique ID, a colon, the session name. */
function sessionUserIdOf(principalId: string | null): string | null {
  return principalId && /^AROA[A-Z0-9]+:.+$/.test(principalId) ? principalId : null;
}

/** What the record around a `userIdentity` can add to it. */
export interface RecordContext {
  recipientAccountId?: string | null;
  awsRegion?: string | null;
}

const ACCOUNT_ID = /^\d{12}$/;
/** What IAM accepts as a user name. */
const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * The partition a region belongs to, for building an ARN CloudTrail left out. Regions are
 * named after their partition (`us-gov-west-1`, `cn-north-1`, `us-iso-east-1`,
 * `us-isob-east-1`); every other region, or none, is in the commercial partition `aws`.
 */
export function partitionOfRegion(region: string | null | undefined): string {
  if (!region) return 'aws';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/**
 * An IAM user's ARN when CloudTrail gave only the name (console sign-in records do): from the
 * account (the identity's, else the record's recipient) and the partition of the event's
 * region. The user's path is not in the record, so the ARN is the one without a path; IAM
 * calls address users by name, which is what revocation uses.
 */
function iamUserArnFrom(identity: UserIdentity, context: RecordContext): string | null {
  const userName = text(identity.userName);
  const accountId = text(identity.accountId) ?? text(context.recipientAccountId);
  if (!userName || !IAM_USER_NAME.test(userName) || !accountId || !ACCOUNT_ID.test(accountId)) return null;
  return `arn:${partitionOfRegion(context.awsRegion)}:iam::${accountId}:user/${userName}`;
}

/**
 * Resolve `userIdentity` into a principal; never throws, names the reason when it cannot.
 * `context` (the record itself) fills in what the identity leaves out.
 */
export function resolvePrincipal(
  identity: UserIdentity | null | undefined,
  context: RecordContext = {},
): Resolution {
  if (!identity) return { ok: false, reason: 'userIdentity is missing' };
  const accountId = text(identity.accountId);
  const accessKeyId = text(identity.accessKeyId);
  const base = { accountId, accessKeyId };
  const type = text(identity.type);
  // Each principal names accountId and accessKeyId itself: spreading a shared base into the
  // literal made resolving a principal cost as much as parsing its JSON.

  switch (type) {
    case 'IAMUser': {
      const arn = text(identity.arn) ?? iamUserArnFrom(identity, context);
      const userName = text(identity.userName) ?? arn?.split('/').pop() ?? null;
      if (!arn || !userName)
        return {
          ok: false,
          reason: 'IAMUser without an arn, or a userName and a 12-digit account to build it from',
        };
      const userAccountId = accountId ?? (text(identity.arn) ? null : text(context.recipientAccountId));
      return {
        ok: true,
        principal: { accountId: userAccountId, accessKeyId, kind: 'iam-user', arn, userName },
      };
    }
    case 'AssumedRole':
      return resolveAssumedRole(identity, base);
    case 'Root':
      return { ok: true, principal: { accountId, accessKeyId, kind: 'root', arn: text(identity.arn) } };
    case 'FederatedUser': {
      const arn = text(identity.arn);
      const match = arn ? FEDERATED_ARN.exec(arn) : null;
      if (!arn || !match)
        return { ok: false, reason: `FederatedUser with an unrecognised arn: ${arn ?? 'none'}` };
      return {
        ok: true,
        principal: {
          accountId,
          accessKeyId,
          kind: 'federated-user',
          arn,
          federatedName: match[3]!,
          issuerArn: text(identity.sessionContext?.sessionIssuer?.arn),
        },
      };
    }
    case 'IdentityCenterUser': {
      const userId = text(identity.onBehalfOf?.userId);
      if (!userId) return { ok: false, reason: 'IdentityCenterUser without onBehalfOf.userId' };
      return {
        ok: true,
        principal: {
          accountId,
          accessKeyId,
          kind: 'identity-center-user',
          userId,
          identityStoreArn: text(identity.onBehalfOf?.identityStoreArn),
          userName: text(identity.userName),
        },
      };
    }
    case 'SAMLUser':
    case 'WebIdentityUser': {
      const userName = text(identity.userName) ?? text(identity.principalId);
      if (!userName) return { ok: false, reason: `${type} without userName or principalId` };
      return {
        ok: true,
        principal: {
          accountId,
          accessKeyId,
          kind: type === 'SAMLUser' ? 'saml-user' : 'web-identity-user',
          userName,
          identityProvider: text(identity.identityProvider),
        },
      };
    }
    case 'AWSService': {
      const service = text(identity.invokedBy);
      if (!service) return { ok: false, reason: 'AWSService without invokedBy' };
      return { ok: true, principal: { accountId, accessKeyId, kind: 'aws-service', service } };
    }
    case 'AWSAccount':
      return {
        ok: true,
        principal: { accountId, accessKeyId, kind: 'aws-account', principalId: text(identity.principalId) },
      };
    case 'Unknown':
      return {
        ok: true,
        principal: { accountId, accessKeyId, kind: 'unknown', detail: text(identity.userName) },
      };
    case null: {
      // Service events carry only `{accountId, invokedBy}`.
      const service = text(identity.invokedBy);
      if (service) return { ok: true, principal: { accountId, accessKeyId, kind: 'aws-service', service } };
      return { ok: false, reason: 'userIdentity.type is missing' };
    }
    default:
      return { ok: false, reason: `unrecognised userIdentity.type ${JSON.stringify(type).slice(0, 80)}` };
  }
}

function resolveAssumedRole(
  identity: UserIdentity,
  base: { accountId: string | null; accessKeyId: string | null },
): Resolution {
  const sessionArn = text(identity.arn);
  const sessionMatch = sessionArn ? STS_SESSION_ARN.exec(sessionArn) : null;
  const issuerArn = text(identity.sessionContext?.sessionIssuer?.arn);
  const issuerMatch = issuerArn ? ROLE_ARN.exec(issuerArn) : null;

  let roleArn: string;
  let roleName: string;
  let rolePath: string | null;
  if (issuerArn && issuerMatch) {
    roleArn = issuerArn;
    roleName = issuerMatch[4]!;
    rolePath = issuerMatch[3] ?? '';
  } else if (sessionMatch) {
    // Without a session issuer the role's path is unknown; IAM calls address roles by name.
    roleName = sessionMatch[3]!;
    roleArn = `arn:${sessionMatch[1]}:iam::${sessionMatch[2]}:role/${roleName}`;
    rolePath = null;
  } else {
    return { ok: false, reason: 'AssumedRole without a role arn in arn or sessionContext.sessionIssuer' };
  }

  return {
    ok: true,
    principal: {
      accountId: base.accountId ?? (issuerMatch?.[2] || sessionMatch?.[2] || null),
      accessKeyId: base.accessKeyId,
      kind: 'assumed-role',
      roleArn,
      roleName,
      rolePathKnown: rolePath !== null,
      sessionArn,
      sessionName: sessionMatch?.[4] ?? null,
      sessionIssuedAt: text(identity.sessionContext?.attributes?.creationDate),
      sessionUserId: sessionUserIdOf(text(identity.principalId)),
      sourceIdentity: text(identity.sessionContext?.sourceIdentity),
      managedByIdentityCenter: roleName.startsWith('AWSReservedSSO_'),
      serviceLinked: rolePath?.startsWith('aws-service-role') ?? false,
    },
  };
}
