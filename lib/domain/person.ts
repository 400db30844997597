// Whether a CloudTrail call was made by a person, however the person signed in: decided only
// from what CloudTrail records about the credentials, never from a name the caller picks
// (a role session's name, its source identity, a role named like an Identity Center one).
import type { CloudTrailRecord } from './cloudtrail.ts';
import { IDENTITY_CENTER_ROLE_ARN, type Principal } from './principal.ts';

/** How a call is known to be a person's, for a case to say; null when it is not known to be. */
export type PersonEvidence =
  /** Long-term keys or a console password of an IAM user. */
  | 'iam-user'
  | 'root'
  /** GetFederationToken credentials: only an IAM user's or root's long-term keys can mint them. */
  | 'federation-token'
  /** An Identity Center user, or a session of an Identity Center permission set's role. */
  | 'identity-center'
  /** AssumeRoleWithSAML, or a console sign-in through a SAML provider. */
  | 'saml'
  /** A session from a consumer identity provider (Google, Amazon, Facebook, Cognito). */
  | 'web-identity';

/**
 * The web identity providers whose users are people: the ones STS trusts by name, as the
 * CloudTrail User Guide lists them for `identityProvider` and `webIdFederationData`
 * (cloudtrail-event-reference-user-identity). An OIDC provider created in IAM
 * (`arn:aws:iam::…:oidc-provider/token.actions.githubusercontent.com`, EKS service accounts,
 * CI systems) is named by its ARN and is almost always a workload, so it does not count.
 */
const PEOPLE_WEB_IDENTITY_PROVIDERS = new Set([
  'accounts.google.com',
  'www.amazon.com',
  'graph.facebook.com',
  'cognito-identity.amazonaws.com',
]);

const SAML_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:saml-provider\/[\w.-]+$/;
const INSTANCE_ID = /^i-[0-9a-fA-F]{8,17}$/;

function textAt(value: unknown, key: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'string' && found !== '' ? found : null;
}

/** `additionalEventData.SamlProviderArn` of a console sign-in, whatever its key's case. */
function samlProviderOfSignIn(record: CloudTrailRecord): string | null {
  const data = record.additionalEventData;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const key = Object.keys(data).find((candidate) => candidate.toLowerCase() === 'samlproviderarn');
  return key ? textAt(data, key) : null;
}

/**
 * Why this call is a person's, or null. What counts, from the record alone:
 * - IAM users, root, and federation tokens (minted only with an IAM user's or root's keys);
 * - Identity Center: an `IdentityCenterUser`, or a session whose issuer is a role under the
 *   path AWS reserves for Identity Center (`role/aws-reserved/sso.amazonaws.com/…`); anyone can
 *   name a role `AWSReservedSSO_…` elsewhere, so the name alone does not count, and neither does
 *   a session without its issuer;
 * - SAML: the `AssumeRoleWithSAML` call (`SAMLUser`), and a console sign-in naming the SAML
 *   provider it came through;
 * - web identity: a consumer provider's user (`WebIdentityUser`, or a session whose
 *   `webIdFederationData.federatedProvider` is that provider).
 * Instance, Lambda and other service sessions are ordinary role sessions and stay out, as does
 * every session of a role assumed with AssumeRole: its session name and source identity are the
 * caller's choice. Later calls of a SAML session are among those: CloudTrail records nothing on
 * them that tells SAML from AssumeRole, only the AssumeRoleWithSAML call that issued them does.
 */
export function personEvidence(principal: Principal, record: CloudTrailRecord): PersonEvidence | null {
  switch (principal.kind) {
    case 'iam-user':
      return 'iam-user';
    case 'root':
      return 'root';
    case 'federated-user':
      return 'federation-token';
    case 'identity-center-user':
      return 'identity-center';
    case 'saml-user':
      return 'saml';
    case 'web-identity-user':
      return principal.identityProvider && PEOPLE_WEB_IDENTITY_PROVIDERS.has(principal.identityProvider)
        ? 'web-identity'
        : null;
    case 'assumed-role':
      return sessionEvidence(principal, record);
    default:
      return null;
  }
}

function sessionEvidence(
  principal: Extract<Principal, { kind: 'assumed-role' }>,
  record: CloudTrailRecord,
): PersonEvidence | null {
  const context = record.userIdentity?.sessionContext;
  // Instance credentials are never a person's, whatever role delivers them.
  if (context?.ec2RoleDelivery || INSTANCE_ID.test(principal.sessionName ?? '')) return null;
  if (principal.serviceLinked) return null;
  if (principal.rolePathKnown && IDENTITY_CENTER_ROLE_ARN.test(principal.roleArn)) return 'identity-center';
  const samlProvider = samlProviderOfSignIn(record);
  if (record.eventName === 'ConsoleLogin' && samlProvider && SAML_PROVIDER_ARN.test(samlProvider))
    return 'saml';
  const provider = textAt(context?.webIdFederationData, 'federatedProvider');
  if (provider && PEOPLE_WEB_IDENTITY_PROVIDERS.has(provider)) return 'web-identity';
  return null;
}

/** Whether a person made this call, however they signed in (see {@link personEvidence}). */
export function isPerson(principal: Principal, record: CloudTrailRecord): boolean {
  return personEvidence(principal, record) !== null;
}
