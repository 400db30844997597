// Revocation plans (pure): what to change in IAM, and the exact policy to write.

/** The pipeline's own inline policy: replaced, never stacked. */
export function revocationPolicyName(caseId: string): string {
  return `revoker-${caseId}`.slice(0, 128);
}

/**
 * Deny everything to the role's sessions issued before the cutoff (AWS's
 * AWSRevokeOlderSessions pattern). Temporary credentials cannot be recalled, only denied;
 * sessions issued after the cutoff are unaffected.
 */
export function revokeOlderSessionsPolicy(cutoff: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RevokerDenySessionsIssuedBeforeCutoff',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } },
      },
    ],
  });
}
