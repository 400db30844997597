// Attacks on the refined policy (issue 15), from an adversarial review: each failed on the first
// version and holds now. Domain-level: refinePolicy, provenCalls, planRefinement.
import { describe, expect, it } from 'vitest';
import type { RoleState } from '../../../../lib/domain/iam-state.ts';
import { identityPolicyEvaluator, type NamedPolicy } from '../../../../lib/domain/policy-evaluator.ts';
import {
  denyStatements,
  type ObservedUse,
  planRefinement,
  provenCalls,
  refinePolicy,
} from '../../../../lib/domain/refine.ts';
import {
  olderSessionsStatement,
  REVOCATION_POLICY_NAME,
} from '../../../../lib/domain/revocation/policies.ts';
import { ACCOUNT, contextFor, use } from '../../../fixtures/observed-uses.ts';

const FOREIGN = '999999999999';

async function refinedJudge(uses: ObservedUse[], old: NamedPolicy[] = []) {
  const ctx = await contextFor(uses);
  const policy = refinePolicy(uses, ctx, undefined, denyStatements(old.map((each) => each.document)));
  const judge = identityPolicyEvaluator(policy.documents.map(({ name, document }) => ({ name, document })));
  return { policy, judge, ctx };
}

const allows = (judge: ReturnType<typeof identityPolicyEvaluator>, action: string, resource: string) =>
  judge({ action, resource }).decision === 'allowed';

describe('a refinement never takes away revoker’s own revocation', () => {
  it('keeps the revoker-revocation deny policy a compromise case put on the role', () => {
    const role: RoleState = {
      arn: `arn:aws:iam::${ACCOUNT}:role/app`,
      path: '/',
      tags: {},
      trustPolicy: null,
      inlinePolicies: {
        app: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
        }),
        [REVOCATION_POLICY_NAME]: JSON.stringify({
          Version: '2012-10-17',
          Statement: [olderSessionsStatement('2026-01-15T11:00:00Z')],
        }),
      },
      attachedPolicies: [],
      instanceProfiles: [],
    };
    const plan = planRefinement(
      role,
      { accountId: ACCOUNT, roleName: 'app', roleArn: role.arn },
      { policyName: 'revoker-refined', document: '{}' },
      '2026-01-15T12:00:00Z',
    );
    const deleted = plan.actions.flatMap(({ action }) =>
      action.action === 'delete-role-policy' ? [action.input.policyName] : [],
    );
    // The attacker's sessions issued before the cutoff are denied only by this policy.
    expect(deleted).not.toContain(REVOCATION_POLICY_NAME);
  });
});

describe('a refined policy never allows what the old policies did not', () => {
  it('DeleteObjects (no key in the log) does not become s3:DeleteObject on every bucket', async () => {
    const old: NamedPolicy[] = [
      {
        name: 'app',
        document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::scratch/tmp/*' }],
        },
      },
    ];
    const { judge } = await refinedJudge([
      use({
        eventSource: 's3.amazonaws.com',
        eventName: 'DeleteObjects',
        action: 's3:DeleteObject',
        bucket: 'scratch',
      }),
    ]);
    const before = identityPolicyEvaluator(old);
    const probe = 'arn:aws:s3:::payroll-archive/2025/salaries.csv';
    expect(allows(before, 's3:DeleteObject', probe)).toBe(false);
    expect(allows(judge, 's3:DeleteObject', probe)).toBe(false);
  });

  it('an explicit Deny of the old policies is not lost by generalising a folder', async () => {
    const old: NamedPolicy[] = [
      {
        name: 'app',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::lake/*' },
            { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::lake/data/pii/*' },
          ],
        },
      },
    ];
    const { judge } = await refinedJudge(
      [
        use({
          eventSource: 's3.amazonaws.com',
          eventName: 'GetObject',
          action: 's3:GetObject',
          bucket: 'lake',
          folder: 'data/2026/01/15/',
          sampleKey: 'data/2026/01/15/a.json',
        }),
      ],
      old,
    );
    const probe = 'arn:aws:s3:::lake/data/pii/customers.csv';
    expect(allows(identityPolicyEvaluator(old), 's3:GetObject', probe)).toBe(false);
    expect(allows(judge, 's3:GetObject', probe)).toBe(false);
  });
});

describe('request parameters are caller-chosen: they are literal in the policy', () => {
  it('an object key with * is not a wildcard in the refined policy', async () => {
    const { policy, judge } = await refinedJudge([
      use({
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        action: 's3:GetObject',
        bucket: 'tenants',
        folder: 'acme/*/',
        sampleKey: 'acme/*/report.csv',
      }),
    ]);
    expect(policy.statements[0]!.Resource).toEqual(['arn:aws:s3:::tenants/acme/${*}/*']);
    expect(allows(judge, 's3:GetObject', 'arn:aws:s3:::tenants/acme/other-tenant/secret.csv')).toBe(false);
  });

  it('an object key with ${…} neither becomes a policy variable nor breaks the proof', async () => {
    const uses = [
      use({
        eventSource: 's3.amazonaws.com',
        eventName: 'PutObject',
        action: 's3:PutObject',
        bucket: 'uploads',
        folder: 'in/${aws:username}/',
        sampleKey: 'in/${aws:username}/x',
      }),
    ];
    const { judge, ctx } = await refinedJudge(uses);
    const [call] = provenCalls(uses, ctx);
    // refine() judges every call like this: it throws UnsupportedPolicyError instead.
    expect(() => judge({ action: call!.action, resource: call!.resource })).not.toThrow();
  });
});

describe('the proof judges the resource IAM checks, not one rebuilt from the same guess', () => {
  it('a queue in another account (its URL names the account) is allowed in that account', async () => {
    const { judge } = await refinedJudge([
      use({
        eventSource: 'sqs.amazonaws.com',
        eventName: 'SendMessage',
        action: 'sqs:SendMessage',
        resource: `https://sqs.us-east-1.amazonaws.com/${FOREIGN}/orders`,
      }),
    ]);
    // The proof passes (it judges the ARN rebuilt in the role's own account)…
    const uses = [
      use({
        eventSource: 'sqs.amazonaws.com',
        eventName: 'SendMessage',
        action: 'sqs:SendMessage',
        resource: `https://sqs.us-east-1.amazonaws.com/${FOREIGN}/orders`,
      }),
    ];
    const [call] = provenCalls(uses, await contextFor(uses));
    expect(allows(judge, call!.action, call!.resource)).toBe(true);
    // …but IAM checks the queue in its own account:
    expect(allows(judge, 'sqs:SendMessage', `arn:aws:sqs:us-east-1:${FOREIGN}:orders`)).toBe(true);
  });

  it('a function named by partial ARN (account:function:name) is allowed', async () => {
    const { judge } = await refinedJudge([
      use({
        eventSource: 'lambda.amazonaws.com',
        eventName: 'Invoke',
        action: 'lambda:InvokeFunction',
        resource: `${ACCOUNT}:function:resize`,
      }),
    ]);
    expect(
      allows(judge, 'lambda:InvokeFunction', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:resize`),
    ).toBe(true);
  });

  it('a secret named by partial ARN (no random suffix) is allowed on its real ARN', async () => {
    const { judge } = await refinedJudge([
      use({
        eventSource: 'secretsmanager.amazonaws.com',
        eventName: 'GetSecretValue',
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db`,
      }),
    ]);
    expect(
      allows(
        judge,
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`,
      ),
    ).toBe(true);
  });

  it('a KMS call by alias ARN is not scoped to the alias (IAM authorises the key ARN)', async () => {
    const alias = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/app`;
    const { policy } = await refinedJudge([
      use({ eventSource: 'kms.amazonaws.com', eventName: 'Encrypt', action: 'kms:Encrypt', resource: alias }),
    ]);
    expect(policy.statements[0]!.Resource).not.toEqual([alias]);
  });
});
