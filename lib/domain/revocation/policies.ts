// The policy documents the pipeline writes. Its own inline policy has one fixed name per
// principal, and a new case merges its statement into it (by Sid) instead of stacking
// another policy, so the principal's inline-policy quota is spent once.

/** The pipeline's own inline policy (and, when that would not fit, its managed policy). */
export const REVOCATION_POLICY_NAME = 'revoker-revocation';

export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export const OLDER_SESSIONS_SID = 'RevokerDenySessionsIssuedBeforeCutoff';
export const DENY_ALL_SID = 'RevokerDenyAll';
export const BLOCK_ASSUME_SID = 'RevokerBlockAssumeRole';

/**
 * Deny everything to sessions issued before the cutoff (AWS's AWSRevokeOlderSessions
 * pattern). Temporary credentials cannot be recalled, only denied; sessions issued after the
 * cutoff are unaffected.
 */
export function olderSessionsStatement(cutoff: string): Statement {
  return {
    Sid: OLDER_SESSIONS_SID,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } },
  };
}

/** Only one session: by its `aws:userid` (role ID and session name) and issue time. */
export function oneSessionStatement(userId: string, cutoff: string): Statement {
  return {
    Sid: `RevokerDenySession${sidSuffix(userId)}`,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: { StringEquals: { 'aws:userid': userId }, DateLessThan: { 'aws:TokenIssueTime': cutoff } },
  };
}

/** Sessions carrying a source identity, which the caller cannot change once set. */
export function sourceIdentityStatement(sourceIdentity: string, cutoff: string): Statement {
  return {
    Sid: `RevokerDenySourceIdentity${sidSuffix(sourceIdentity)}`,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      StringEquals: { 'aws:SourceIdentity': sourceIdentity },
      DateLessThan: { 'aws:TokenIssueTime': cutoff },
    },
  };
}

/** Everything, for every credential of the principal: keys, console, sessions. */
export function denyAllStatement(): Statement {
  return { Sid: DENY_ALL_SID, Effect: 'Deny', Action: '*', Resource: '*' };
}

/** One Identity Center user within a permission set every user of it shares. */
export function identityCenterUserStatement(userId: string): Statement {
  return {
    Sid: `RevokerDenyUser${sidSuffix(userId)}`,
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: { StringEquals: { 'identitystore:UserId': userId } },
  };
}

/** A trust-policy statement that stops anyone assuming the role. */
export function blockAssumeStatement(): Statement {
  return {
    Sid: BLOCK_ASSUME_SID,
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
  };
}

/** Sids are `[A-Za-z0-9]`; a short hash keeps them unique per session, user or identity. */
function sidSuffix(text: string): string {
  let hash = 2166136261;
  for (const char of text) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * Add a statement to a policy (the pipeline's own, or a permission set's), replacing the one
 * with the same Sid. For the older-sessions statement the later cutoff wins: it denies a
 * superset of what the earlier one did.
 */
export function mergeStatement(document: string | null | undefined, statement: Statement): string {
  const parsed = document
    ? (JSON.parse(document) as { Version?: string; Statement: Statement | Statement[] })
    : { Statement: [] };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  const existing = statements.find((candidate) => candidate.Sid === statement.Sid);
  let merged = statement;
  if (existing && statement.Sid === OLDER_SESSIONS_SID) {
    const earlier = existing.Condition?.DateLessThan?.['aws:TokenIssueTime'];
    const later = statement.Condition?.DateLessThan?.['aws:TokenIssueTime'];
    if (typeof earlier === 'string' && typeof later === 'string' && earlier > later) merged = existing;
  }
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [...statements.filter((candidate) => candidate.Sid !== statement.Sid), merged],
  });
}

/** The older-sessions deny as a whole policy (the demo and the evaluator tests use it). */
export function revokeOlderSessionsPolicy(cutoff: string): string {
  return mergeStatement(null, olderSessionsStatement(cutoff));
}
