// Detection rules: which CloudTrail calls open a case, and which runbook confirms them.
import type { CloudTrailRecord } from './cloudtrail.ts';
import type { EventPattern } from './event-pattern.ts';
import type { Principal } from './principal.ts';

export type ConfirmationRunbook = 'first-seen' | 'error-burst' | 'persistence-created';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface DetectionRule {
  id: string;
  title: string;
  severity: Severity;
  /** Why the call is suspicious, in words an on-call engineer reads on the case. */
  rationale: string;
  /**
   * The runbooks that confirm or clear the trigger: first-seen compares it with the
   * principal's history; error-burst and persistence-created add what happened around it.
   */
  confirmWith: readonly ConfirmationRunbook[];
  /** EventBridge pattern matching the calls this rule looks at (before `matches`). */
  eventPattern: EventPattern;
  matches(record: CloudTrailRecord, principal: Principal): boolean;
}

/** IAM calls that grant access or create a foothold. */
const PRIVILEGE_GRANTS = [
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
];

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export const instanceCredentialsIamEscalation: DetectionRule = {
  id: 'instance-credentials-iam-escalation',
  title: 'EC2 instance credentials used to grant IAM access',
  severity: 'high',
  rationale:
    'An application on an EC2 instance rarely changes IAM. Instance credentials granting access ' +
    'or creating users usually means they were stolen from the metadata service and used elsewhere.',
  confirmWith: ['first-seen', 'error-burst', 'persistence-created'],
  eventPattern: {
    source: ['aws.iam'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: PRIVILEGE_GRANTS },
  },
  matches(record, principal) {
    if (principal.kind !== 'assumed-role') return false;
    if (record.eventSource !== 'iam.amazonaws.com' || !PRIVILEGE_GRANTS.includes(record.eventName))
      return false;
    if (record.errorCode) return false;
    const fromInstance =
      Boolean(record.userIdentity?.sessionContext?.ec2RoleDelivery) ||
      INSTANCE_ID.test(principal.sessionName ?? '');
    return fromInstance;
  },
};

export const RULES: readonly DetectionRule[] = [instanceCredentialsIamEscalation];

export function matchingRules(record: CloudTrailRecord, principal: Principal): DetectionRule[] {
  return RULES.filter((rule) => rule.matches(record, principal));
}
