// The slice of an AWS account's IAM the revocation engine reads and changes, as plain data.
// The local account stores it whole; the AWS adapter reads the part about one principal.
// Revocation actions are pure functions over it, so a plan's effect, its undo and its
// idempotence can be worked out (and tested) without touching IAM.
import * as z from 'zod';

const Status = z.enum(['Active', 'Inactive']);
const Tags = z.record(z.string(), z.string());
const PolicyDocuments = z.record(z.string(), z.string());

export const RoleStateSchema = z.object({
  arn: z.string(),
  path: z.string(),
  tags: Tags.default({}),
  /** The trust policy (AssumeRolePolicyDocument), as IAM returns it decoded. */
  trustPolicy: z.string().nullable().default(null),
  inlinePolicies: PolicyDocuments.default({}),
  attachedPolicies: z.array(z.string()).default([]),
  instanceProfiles: z.array(z.string()).default([]),
});

export const UserStateSchema = z.object({
  arn: z.string(),
  tags: Tags.default({}),
  accessKeys: z.array(z.object({ accessKeyId: z.string(), status: Status })).default([]),
  inlinePolicies: PolicyDocuments.default({}),
  attachedPolicies: z.array(z.string()).default([]),
  hasLoginProfile: z.boolean().default(false),
  signingCertificates: z.array(z.object({ certificateId: z.string(), status: Status })).default([]),
  sshPublicKeys: z.array(z.object({ sshPublicKeyId: z.string(), status: Status })).default([]),
  serviceSpecificCredentials: z
    .array(z.object({ serviceSpecificCredentialId: z.string(), status: Status }))
    .default([]),
});

export const PermissionSetStateSchema = z.object({
  name: z.string(),
  inlinePolicy: z.string().nullable().default(null),
});

export const AccountAssignmentSchema = z.object({
  accountId: z.string(),
  permissionSetArn: z.string(),
  principalType: z.enum(['USER', 'GROUP']),
  principalId: z.string(),
});

export const IamAccountStateSchema = z.object({
  accountId: z.string(),
  roles: z.record(z.string(), RoleStateSchema).default({}),
  users: z.record(z.string(), UserStateSchema).default({}),
  /** Customer managed policies by ARN. */
  managedPolicies: z.record(z.string(), z.object({ name: z.string(), document: z.string() })).default({}),
  identityCenter: z
    .object({
      instanceArn: z.string(),
      permissionSets: z.record(z.string(), PermissionSetStateSchema).default({}),
      assignments: z.array(AccountAssignmentSchema).default([]),
    })
    .nullable()
    .default(null),
});

export type RoleState = z.infer<typeof RoleStateSchema>;
export type UserState = z.infer<typeof UserStateSchema>;
export type AccountAssignment = z.infer<typeof AccountAssignmentSchema>;
export type IamAccountState = z.infer<typeof IamAccountStateSchema>;
/** As stored or written by hand: every collection may be left out. */
export type IamAccountStateInput = z.input<typeof IamAccountStateSchema>;

/**
 * A map entry by name, own properties only: IAM names such as `constructor` or `toString` are
 * valid role, user and policy names, and must not find Object.prototype's members.
 */
export function own<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Which part of an account's IAM to read: the principals a plan touches. */
export interface IamScope {
  accountId: string;
  roles: string[];
  users: string[];
  /** The pipeline's own managed policies, by ARN. */
  managedPolicies: string[];
  /** Read the Identity Center instance's permission sets and assignments for this account. */
  identityCenter: boolean;
}

/**
 * The part of an account a scope names, as IAM would return it to reads of just those
 * principals and policies: a revocation's before/after and its undo compare only this.
 */
export function within(state: IamAccountState, scope: IamScope): IamAccountState {
  const pick = <T>(map: Record<string, T>, keys: string[]) =>
    Object.fromEntries(keys.filter((key) => Object.hasOwn(map, key)).map((key) => [key, map[key]!]));
  return {
    accountId: state.accountId,
    roles: pick(state.roles, scope.roles),
    users: pick(state.users, scope.users),
    managedPolicies: pick(state.managedPolicies, scope.managedPolicies),
    identityCenter: scope.identityCenter ? state.identityCenter : null,
  };
}

/** Fill in what a stored or hand-written state leaves out. */
export function normalizeAccountState(input: IamAccountStateInput): IamAccountState {
  return IamAccountStateSchema.parse(input);
}

/** IAM counts inline policy size without whitespace; these are its per-principal quotas. */
export const INLINE_POLICY_QUOTA = { role: 10_240, user: 2_048 } as const;
export const MANAGED_POLICY_QUOTA = 6_144;

export function policySize(document: string): number {
  return document.replace(/\s/g, '').length;
}

/** Policy documents compare by meaning, not by spacing or key order IAM may change. */
export function samePolicy(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a == null || b == null) return a == null && b == null;
  return fingerprint(a) === fingerprint(b);
}

/**
 * Whether two states hold the same IAM facts. Lists IAM keeps as sets (attached policies,
 * instance profiles, assignments, statements) compare regardless of order; policy documents
 * by meaning, not by spacing or key order.
 */
export function equivalentStates(a: IamAccountState, b: IamAccountState): boolean {
  return fingerprint(a) === fingerprint(b);
}

/** A canonical text for a value: keys sorted, lists as sets, JSON documents parsed. */
export function fingerprint(value: unknown): string {
  if (typeof value === 'string' && /^\s*[{[]/.test(value)) {
    try {
      return fingerprint(JSON.parse(value));
    } catch {
      return JSON.stringify(value);
    }
  }
  if (Array.isArray(value)) return `[${value.map(fingerprint).sort().join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${fingerprint(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
