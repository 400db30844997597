// `revoker refine` as a user types it, on the overprivileged-workload scenario: a Lambda role
// holding s3:* on * that only ever wrote objects under data/ (issue 15).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OverprivilegedWorkloadTruth } from '../../lib/local/generator/scenarios.ts';
import type { RefineReport } from '../../lib/usecases/refine.ts';
import { revoker } from '../fixtures/cli.ts';
import {
  overprivilegedWorkload,
  REFUSED_PUT_ITEMS,
  WORKLOAD_END,
  writeRefusedCalls,
} from '../fixtures/overprivileged-workload.ts';

let logs: string;
let iamDir: string;
let truth: OverprivilegedWorkloadTruth;

/** The command for the scenario's role over the whole window, with these options added. */
const refine = (...options: string[]) =>
  revoker(
    'refine',
    '--principal',
    truth.roleArn,
    '--logs',
    logs,
    '--days',
    '4',
    '--end',
    WORKLOAD_END,
    '--iam-dir',
    iamDir,
    ...options,
  );

beforeAll(async () => {
  const workload = await overprivilegedWorkload();
  ({ logs, iamDir, truth } = workload);
  // Three calls the role was refused: a DynamoDB table its policy never allowed.
  writeRefusedCalls(workload, REFUSED_PUT_ITEMS, 'denied');
}, 120_000);

describe('revoker refine, on an overprivileged workload', () => {
  it('writes exactly s3:PutObject on the bucket’s data/*, proved against every call', async () => {
    const { code, stdout } = await refine('--json');

    expect(code).toBe(0);
    const report = JSON.parse(stdout) as RefineReport;
    // The truth's statement, as the policy writes it: lists for Action and Resource.
    expect(report.policy.documents).toEqual([
      {
        name: 'revoker-refined',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'S3Statement1',
              Effect: truth.refinedStatement.Effect,
              Action: [truth.refinedStatement.Action],
              Resource: [truth.refinedStatement.Resource],
            },
          ],
        },
      },
    ]);
    expect(report.proof).toMatchObject({ calls: truth.putObjectCalls, refused: [] });
    // What it gives up: every other S3 action, and every bucket for the one it keeps.
    expect(report.current?.givenUp).toEqual([
      expect.objectContaining({ service: 's3', kept: 1, widerResources: ['*'] }),
    ]);
    expect(report.current!.givenUp[0]!.allowedNow).toBeGreaterThan(100);
  }, 60_000);

  it('names the calls a deliberately narrowed policy would refuse, and fails', async () => {
    const narrowed = join(iamDir, 'narrowed.json');
    writeFileSync(
      narrowed,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: `arn:aws:s3:::${truth.bucket}/data/2026/01/15/*`,
          },
        ],
      }),
    );

    const { code, stdout } = await refine('--against', narrowed, '--json');

    expect(code).toBe(1);
    const report = JSON.parse(stdout) as RefineReport;
    expect(report.proof.refused.length).toBeGreaterThan(0);
    expect(report.proof.refused.every((refusal) => !refusal.resource.includes('/data/2026/01/15/'))).toBe(
      true,
    );
    expect(report.proof.refused[0]).toMatchObject({
      action: 's3:PutObject',
      decision: { decision: 'implicit-deny' },
    });
  }, 60_000);

  it('--check lists the refused calls beside the permissions it never used', async () => {
    const { code, stdout } = await refine('--check');

    expect(code).toBe(0);
    expect(stdout).toContain('What it gives up, against s3-access:');
    expect(stdout).toMatch(/^ {2}s3 +\d+ allowed now +1 kept/m);
    expect(stdout).toContain(
      'Gaps: 1 kind of call refused in the window:\n  dynamodb.amazonaws.com PutItem (dynamodb:PutItem) on report-index: 3 calls from 1 address',
    );
    expect(stdout).toContain('its policies do not allow it: a permission it needs, or someone probing');
  }, 60_000);

  it('explains itself in --help', async () => {
    const { code, stdout } = await revoker('refine', '--help');

    expect(code).toBe(0);
    expect(stdout).toContain('--principal <arn>');
    expect(stdout).toContain('gives data/*');
  });
});
