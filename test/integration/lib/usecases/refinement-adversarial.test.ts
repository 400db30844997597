// Attacks on the refinement case (issue 15), through the real state machine on the local
// pipeline, from an adversarial review: each failed on the first version and holds now.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { entriesOf } from '../../../../lib/domain/case.ts';
import type { CloudTrailRecord } from '../../../../lib/domain/cloudtrail.ts';
import {
  olderSessionsStatement,
  REVOCATION_POLICY_NAME,
} from '../../../../lib/domain/revocation/policies.ts';
import { generate } from '../../../../lib/local/generator/generate.ts';
import type { OverprivilegedWorkloadTruth } from '../../../../lib/local/generator/scenarios.ts';
import { readRecordFiles } from '../../../../lib/local/record-files.ts';
import { loadRunbooks } from '../../../../lib/runbooks/catalog.ts';
import { answerEscalation } from '../../../../lib/usecases/answer-escalation.ts';
import { refine } from '../../../../lib/usecases/refine.ts';
import {
  approveAndRun,
  askForRefinement,
  END,
  MANAGED,
  refinementParts,
} from '../../../fixtures/refinement.ts';

const allowS3 = { Effect: 'Allow', Action: 's3:*', Resource: '*' };

describe('the watch finds every regression', () => {
  it('a table named by name (not ARN) the old policy allowed, refused after the refinement, is a regression', async () => {
    const p = await refinementParts({
      inline: (truth) => ({
        app: {
          Version: '2012-10-17',
          Statement: [
            allowS3,
            {
              Effect: 'Allow',
              Action: 'dynamodb:PutItem',
              Resource: `arn:aws:dynamodb:${truth.region}:${truth.account}:table/report-index`,
            },
          ],
        },
      }),
      refusals: (_truth, written, at) => [
        {
          ...written,
          eventID: '11111111-2222-4333-8444-666666666666',
          eventTime: at,
          eventSource: 'dynamodb.amazonaws.com',
          eventName: 'PutItem',
          requestParameters: { tableName: 'report-index' },
          errorCode: 'AccessDeniedException',
          errorMessage: 'not authorized',
          resources: undefined,
        },
      ],
    });
    const record = await approveAndRun(p, await askForRefinement(p));
    expect(record.header.outcome).toBe('rolled-back');
    await p.pipeline.close();
  }, 120_000);

  it('a refused key the old policy allowed is a regression even when another refused key in the bucket sorts first', async () => {
    const p = await refinementParts({
      inline: (truth) => ({
        app: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 's3:PutObject',
              Resource: [`arn:aws:s3:::${truth.bucket}/data/*`, `arn:aws:s3:::${truth.bucket}/archive/*`],
            },
          ],
        },
      }),
      refusals: (truth, written, at) => {
        const refused = (id: string, key: string) => ({
          ...written,
          eventID: `11111111-2222-4333-8444-${id}`,
          eventTime: at,
          requestParameters: { bucketName: truth.bucket, Host: 'x', key },
          errorCode: 'AccessDenied',
          errorMessage: 'Access Denied',
        });
        // archive/ is the regression; 0-tmp/ was never allowed and hides it (min(key)).
        return [
          refused('555555555555', 'archive/2026/01/15/x.json'),
          refused('555555555556', '0-tmp/x.json'),
        ];
      },
    });
    const record = await approveAndRun(p, await askForRefinement(p));
    expect(record.header.outcome).toBe('rolled-back');
    await p.pipeline.close();
  }, 120_000);

  it('is not declared clean while the logs do not reach past the end of the watch', async () => {
    // The generated logs stop at END; the watch runs from ~END+10min to END+70min, and no
    // heartbeat moves them on: nothing after END was ever delivered.
    const p = await refinementParts({ heartbeats: false });
    const record = await approveAndRun(p, await askForRefinement(p));
    const last = entriesOf(record, 'refinement-watch').at(-1)!;
    expect(last.detail.status).not.toBe('clean');
    await p.pipeline.close();
  }, 120_000);

  it('a refusal of a call the old policies never allowed (an AWS managed policy attached) does not roll back', async () => {
    const p = await refinementParts({
      attached: [MANAGED],
      refusals: (_truth, written, at) => [
        {
          ...written,
          eventID: '11111111-2222-4333-8444-777777777777',
          eventTime: at,
          eventSource: 'iam.amazonaws.com',
          eventName: 'CreateUser',
          requestParameters: { userName: 'backdoor' },
          errorCode: 'AccessDenied',
          errorMessage: 'not authorized',
          resources: undefined,
        },
      ],
    });
    const record = await approveAndRun(p, await askForRefinement(p));
    // s3:* and AmazonS3ReadOnlyAccess never allowed iam:CreateUser: one probe does not cancel the
    // refinement. (No heartbeat moves these logs on, so the watch ends with a person, not clean.)
    expect(record.header.outcome).not.toBe('rolled-back');
    expect(entriesOf(record, 'refinement-watch').map((entry) => entry.detail.status)).not.toContain(
      'regressed',
    );
    await p.pipeline.close();
  }, 120_000);
});

describe('apply changes only what was approved', () => {
  it('refuses when the role’s policies changed between the request and the approval', async () => {
    const p = await refinementParts();
    const opened = await askForRefinement(p);
    // A policy added after the proof and the "what you give up" were shown.
    const state = await p.iam.load();
    state.roles[p.truth.roleName]!.inlinePolicies['new-feature'] = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
    });
    await p.iam.save(state);
    await approveAndRun(p, opened);
    expect(Object.keys((await p.iam.load()).roles[p.truth.roleName]!.inlinePolicies)).toContain(
      'new-feature',
    );
    await p.pipeline.close();
  }, 120_000);

  it('never deletes the deny a compromise case put on the role while the refinement waited', async () => {
    const p = await refinementParts();
    const opened = await askForRefinement(p);
    const state = await p.iam.load();
    state.roles[p.truth.roleName]!.inlinePolicies[REVOCATION_POLICY_NAME] = JSON.stringify({
      Version: '2012-10-17',
      Statement: [olderSessionsStatement('2026-01-15T11:30:00Z')],
    });
    await p.iam.save(state);
    await approveAndRun(p, opened);
    expect(Object.keys((await p.iam.load()).roles[p.truth.roleName]!.inlinePolicies)).toContain(
      REVOCATION_POLICY_NAME,
    );
    await p.pipeline.close();
  }, 120_000);
});

describe('who may ask and approve', () => {
  it('the requester cannot approve as another form of the same identity (IAM user ARN vs Identity Center session)', async () => {
    const p = await refinementParts();
    const opened = await askForRefinement(p);
    await expect(
      answerEscalation(
        {
          caseId: opened.caseId,
          answer: 'approve',
          approver:
            'arn:aws:sts::541221472923:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/platform-lead',
          reason: 'mine',
          via: 'cli',
        },
        { cases: p.pipeline.cases, callbacks: p.pipeline.callbacks, clock: p.clock },
      ),
    ).rejects.toThrow(/asked for this refinement/);
    await p.pipeline.close();
  }, 120_000);

  it('a protected role (break-glass, revoker’s own, service-linked) is not refined on one approval', async () => {
    const p = await refinementParts();
    const report = {
      ...p.report,
      principal: `arn:aws:iam::${p.truth.account}:role/break-glass-admin`,
    };
    await expect(askForRefinement(p, report)).rejects.toThrow();
    await p.pipeline.close();
  }, 120_000);
});

describe('the proof covers what IAM authorises for each call', () => {
  it('DynamoDB Query on an index and S3 CopyObject: the refined policy allows what IAM checks, or the proof refuses', async () => {
    const { DuckDbQueryEngine } = await import('../../../../lib/local/duckdb-engine.ts');
    const root = mkdtempSync(join(tmpdir(), 'revoker-refine-proof-'));
    const logs = join(root, 'logs');
    const truth = generate({
      out: logs,
      days: 2,
      events: 2000,
      accounts: 1,
      seed: 'refinement',
      scenarios: ['overprivileged-workload'],
      end: END,
    }).scenarios[0] as OverprivilegedWorkloadTruth;
    let written: CloudTrailRecord | undefined;
    for await (const entry of readRecordFiles([logs]))
      if (entry.kind === 'parsed' && entry.record.eventName === 'PutObject') {
        written = entry.record;
        break;
      }
    const at = '2026-01-15T10:00:00Z';
    const folder = join(logs, 'AWSLogs', truth.account, 'CloudTrail', truth.region, '2026', '01', '15');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, `${truth.account}_CloudTrail_${truth.region}_extra.json.gz`),
      gzipSync(
        JSON.stringify({
          Records: [
            {
              ...written!,
              eventID: '11111111-2222-4333-8444-888888888881',
              eventTime: at,
              eventSource: 'dynamodb.amazonaws.com',
              eventName: 'Query',
              requestParameters: { tableName: 'orders', indexName: 'by-date' },
              resources: undefined,
            },
            {
              ...written!,
              eventID: '11111111-2222-4333-8444-888888888882',
              eventTime: at,
              eventName: 'CopyObject',
              requestParameters: {
                bucketName: truth.bucket,
                Host: 'x',
                key: 'data/2026/01/15/copy.json',
                'x-amz-copy-source': 'source-bucket/private/original.json',
              },
            },
          ],
        }),
      ),
    );
    const engine = await DuckDbQueryEngine.open(logs);
    const report = await refine(
      {
        account: truth.account,
        principal: truth.roleArn,
        start: new Date(END.getTime() - 3 * 86_400_000),
        end: END,
      },
      { engine, runbooks: loadRunbooks() },
    );
    await engine.close();
    const { identityPolicyEvaluator } = await import('../../../../lib/domain/policy-evaluator.ts');
    const judge = identityPolicyEvaluator(report.policy.documents);
    const needed = [
      // IAM authorises a Query with IndexName against the index's ARN.
      {
        action: 'dynamodb:Query',
        resource: `arn:aws:dynamodb:${truth.region}:${truth.account}:table/orders/index/by-date`,
      },
      // CopyObject needs s3:GetObject on the source as well as s3:PutObject on the target.
      { action: 's3:GetObject', resource: 'arn:aws:s3:::source-bucket/private/original.json' },
    ];
    const deniedByRefined = needed.filter((request) => judge(request).decision !== 'allowed');
    // Either the policy allows them, or the proof says it refuses them: never "0 refused" and denied.
    if (report.proof.refused.length === 0) expect(deniedByRefined).toEqual([]);
  }, 120_000);
});
