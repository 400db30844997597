// The grant guard in a local IAM account: the managed policy every just-in-time grant attaches
// before its policy, as the stack's GrantGuardPolicy is in AWS (template.yaml names each of
// revoker's resources there by its ARN). Locally revoker's resources are files, not ARNs, so
// this document names them by the stack's tag instead: the same intent, in the form the local
// evaluator judges (a deny it cannot judge would be an error, not a guess).
import type { IamAccountState, IamAccountStateInput } from '../domain/iam-state.ts';

/** Where the stack puts its guard (`/revoker/`, named after the stack, `revoker` locally). */
export const LOCAL_GRANT_GUARD_NAME = 'revoker-grant-guard';

export function localGrantGuardArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:policy/revoker/${LOCAL_GRANT_GUARD_NAME}`;
}

/** What the guard denies the principal holding it, for as long as a grant lasts. */
export function localGrantGuardDocument(accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RevokersOwnResources',
        Effect: 'Deny',
        Action: [
          'scheduler:*',
          'secretsmanager:*',
          'dynamodb:*',
          'states:*',
          'lambda:*',
          'sns:*',
          'sqs:*',
          'kms:*',
          'glue:*',
          'athena:*',
          's3:*',
          'logs:*',
          'events:*',
          'cloudwatch:*',
          'cloudformation:*',
          'iam:*',
        ],
        Resource: '*',
        Condition: { StringEquals: { 'aws:ResourceTag/aws:cloudformation:stack-name': 'revoker' } },
      },
      {
        Sid: 'RevokersOwnEvents',
        Effect: 'Deny',
        Action: 'events:PutEvents',
        Resource: '*',
        Condition: { 'ForAnyValue:StringLike': { 'events:source': 'revoker.*' } },
      },
      {
        Sid: 'NoResourceLevelPermissionsForTaskTokens',
        Effect: 'Deny',
        Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        Resource: '*',
      },
      {
        // A role's session carries none of the guard: only roles tagged as guarded are assumed.
        Sid: 'OtherIdentities',
        Effect: 'Deny',
        Action: ['sts:AssumeRole', 'sts:AssumeRoot'],
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:ResourceTag/revoker:guarded': 'true' } },
      },
      {
        Sid: 'KeepTheGuard',
        Effect: 'Deny',
        Action: ['iam:DetachRolePolicy', 'iam:DetachUserPolicy'],
        Resource: '*',
        Condition: { StringEquals: { 'iam:PolicyARN': localGrantGuardArn(accountId) } },
      },
    ],
  });
}

/** The account with its grant guard, as the stack's deploy leaves its own account. */
export function withGrantGuard<S extends IamAccountStateInput | IamAccountState>(state: S): S {
  return {
    ...state,
    managedPolicies: {
      ...state.managedPolicies,
      [localGrantGuardArn(state.accountId)]: {
        name: LOCAL_GRANT_GUARD_NAME,
        document: localGrantGuardDocument(state.accountId),
      },
    },
  };
}
