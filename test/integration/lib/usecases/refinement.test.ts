// A refinement through the real state machine on the local pipeline (issue 15): asked for,
// approved by someone else, applied (snapshot first), watched for access-denied errors, and
// closed as refined, or rolled back when the watch finds a call the old policies allowed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entriesOf } from '../../../../lib/domain/case.ts';
import { credentialIdOf } from '../../../../lib/domain/trigger.ts';
import { answerEscalation, EscalationAnswerError } from '../../../../lib/usecases/answer-escalation.ts';
import { openRefinement } from '../../../../lib/usecases/refinement.ts';
import { undoRevocation } from '../../../../lib/usecases/undo.ts';
import { openTestCase } from '../../../fixtures/cases.ts';
import {
  approveAndRun,
  askForRefinement,
  MANAGED,
  REQUESTER,
  refinementParts,
} from '../../../fixtures/refinement.ts';

describe('a refinement, through the state machine', () => {
  it('is applied once someone other than the asker approves, watched, and closed as refined; undo gives the role back exactly', async () => {
    const parts = await refinementParts({ attached: [MANAGED] });
    const asked = await askForRefinement(parts);
    await expect(
      answerEscalation(
        { caseId: asked.caseId, answer: 'approve', approver: REQUESTER, reason: 'mine', via: 'cli' },
        { cases: parts.pipeline.cases, callbacks: parts.pipeline.callbacks, clock: parts.clock },
      ),
    ).rejects.toThrow(EscalationAnswerError);

    const record = await approveAndRun(parts, asked);

    expect(record.header.outcome).toBe('refined');
    const role = (await parts.iam.load()).roles[parts.truth.roleName]!;
    expect(Object.keys(role.inlinePolicies)).toEqual(['revoker-refined']);
    expect(JSON.parse(role.inlinePolicies['revoker-refined']!).Statement).toEqual([
      {
        Sid: 'S3Statement1',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`arn:aws:s3:::${parts.truth.bucket}/data/*`],
      },
    ]);
    expect(role.attachedPolicies).toEqual([]);
    // Watched every ten minutes until the hour has passed and the logs reach past it (the margin).
    const watches = entriesOf(record, 'refinement-watch').map((entry) => entry.detail.status);
    expect(watches.at(-1)).toBe('clean');
    expect(new Set(watches.slice(0, -1))).toEqual(new Set(['watching']));
    expect(watches.length).toBeGreaterThanOrEqual(7);

    await undoRevocation(asked.caseId, { iam: parts.iam, cases: parts.pipeline.cases, clock: parts.clock });

    expect(await parts.iam.load()).toEqual(parts.before);
    await parts.pipeline.close();
  }, 120_000);

  it('rolls back and closes as rolled-back when the workload is refused a call its old policy allowed', async () => {
    const parts = await refinementParts({
      // The function now writes under archive/ too, which s3:* allowed and the refined policy does
      // not; and it is refused a table its old policy never allowed either (not the refinement's doing).
      refusals: (truth, written, at) => [
        {
          ...written,
          eventID: '11111111-2222-4333-8444-555555555555',
          eventTime: at,
          requestParameters: { bucketName: truth.bucket, Host: 'x', key: 'archive/2026/01/15/x.json' },
          errorCode: 'AccessDenied',
          errorMessage: 'Access Denied',
        },
        {
          ...written,
          eventID: '11111111-2222-4333-8444-666666666666',
          eventTime: at,
          eventSource: 'dynamodb.amazonaws.com',
          eventName: 'PutItem',
          requestParameters: { tableName: 'report-index' },
          errorCode: 'AccessDeniedException',
        },
      ],
    });

    const record = await approveAndRun(parts, await askForRefinement(parts));

    expect(record.header.outcome).toBe('rolled-back');
    expect(entriesOf(record, 'refinement-watch').at(-1)?.detail).toMatchObject({
      status: 'regressed',
      regressions: [
        expect.objectContaining({ action: 's3:PutObject', resource: expect.stringContaining('/archive/') }),
      ],
    });
    // Rolled back exactly, and everyone watching was told why.
    expect(await parts.iam.load()).toEqual(parts.before);
    expect(entriesOf(record, 'close').at(-1)?.detail).toMatchObject({ outcome: 'rolled-back' });
    expect(readFileSync(join(parts.root, 'notifications.jsonl'), 'utf8')).toContain('rolled-back');
    await parts.pipeline.close();
  }, 120_000);

  it('in dry-run mode is approved, planned and recorded, and changes nothing', async () => {
    const parts = await refinementParts({
      attached: [MANAGED],
      change: (config) => ({ ...config, mode: 'dry-run' }),
    });

    const record = await approveAndRun(parts, await askForRefinement(parts));

    expect(record.header.outcome).toBe('dry-run');
    expect(entriesOf(record, 'dry-run')).toHaveLength(1);
    expect(await parts.iam.load()).toEqual(parts.before);
    await parts.pipeline.close();
  }, 120_000);

  it('is refused while a case about the role is open: the attacker’s calls are not the workload’s', async () => {
    const parts = await refinementParts();
    await openTestCase(
      parts.pipeline.cases,
      {
        credentialId: credentialIdOf('a stolen session of the workload'),
        ruleId: 'instance-credentials-iam-escalation',
        eventId: null,
        eventTime: '2026-01-15T11:00:00Z',
        eventSource: 'iam.amazonaws.com',
        eventName: 'AttachRolePolicy',
        region: parts.truth.region,
        sourceIp: '203.0.113.9',
        userAgent: null,
        target: {
          kind: 'assumed-role',
          accountId: parts.truth.account,
          roleArn: parts.truth.roleArn,
          roleName: parts.truth.roleName,
          sessionName: 'i-0123456789abcdef0',
          accessKeyId: null,
          sessionIssuedAt: null,
          sessionUserId: null,
          sourceIdentity: null,
        },
      },
      { caseId: 'compromise-1' },
    );

    await expect(
      openRefinement(
        { report: parts.report, requestedBy: REQUESTER, watchMinutes: 60, region: parts.truth.region },
        {
          cases: parts.pipeline.cases,
          workflow: parts.pipeline.workflow,
          clock: parts.clock,
          config: parts.config,
        },
      ),
    ).rejects.toThrow('case compromise-1 is about');
    expect(await parts.iam.load()).toEqual(parts.before);
    await parts.pipeline.close();
  }, 120_000);
});
