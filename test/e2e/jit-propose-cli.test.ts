// `revoker jit propose` as a user types it, on the overprivileged-workload scenario: the role was
// refused three DynamoDB PutItem calls, a secret, an object read its s3:* policy allows (refused
// elsewhere), and a read of a key holding `*` (issue 15, item 6). It proposes, proves and
// judges; it grants nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { JitProposalReport } from '../../lib/usecases/jit-propose.ts';
import { revoker } from '../fixtures/cli.ts';
import {
  overprivilegedWorkload,
  REFUSED_PUT_ITEMS,
  WORKLOAD_END,
  type Workload,
  writeIamAccount,
  writeRefusedCalls,
} from '../fixtures/overprivileged-workload.ts';

let workload: Workload;
let config: string;
let reportWriter: string;

const propose = (...options: string[]) =>
  revoker(
    'jit',
    'propose',
    '--principal',
    workload.truth.roleArn,
    '--logs',
    workload.logs,
    '--days',
    '4',
    '--end',
    WORKLOAD_END,
    '--iam-dir',
    workload.iamDir,
    '--config',
    config,
    ...options,
  );

beforeAll(async () => {
  workload = await overprivilegedWorkload();
  const { truth } = workload;
  writeRefusedCalls(workload, REFUSED_PUT_ITEMS, 'denied');
  writeRefusedCalls(
    workload,
    [
      {
        eventTime: '2026-01-15T10:03:00Z',
        eventSource: 'secretsmanager.amazonaws.com',
        eventName: 'GetSecretValue',
        requestParameters: { secretId: 'report-signing-key' },
      },
      {
        eventTime: '2026-01-15T10:03:30Z',
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        requestParameters: { bucketName: truth.bucket, key: 'data/2026/01/14/ab12.json' },
        errorCode: 'AccessDenied',
      },
      // A key anyone may send: as a Resource, `*` would allow every key under exports/.
      {
        eventTime: '2026-01-15T10:04:00Z',
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        requestParameters: { bucketName: truth.bucket, key: 'exports/*' },
        errorCode: 'AccessDenied',
      },
    ],
    'objects',
  );
  // The account's customer managed policy that access.grants lets engineers ask for on the role.
  reportWriter = `arn:aws:iam::${truth.account}:policy/report-writer`;
  writeIamAccount(workload, {
    [reportWriter]: {
      name: 'report-writer',
      document: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['dynamodb:PutItem', 'dynamodb:GetItem'],
            Resource: `arn:aws:dynamodb:*:${truth.account}:table/report-*`,
          },
        ],
      }),
    },
  });
  const shipped = parse(
    readFileSync(resolve(import.meta.dirname, '..', '..', 'revoker.config.yaml'), 'utf8'),
  );
  shipped.access.grants.push({
    group: 'engineers',
    policies: [reportWriter, 'arn:aws:iam::aws:policy/PowerUserAccess'],
    principals: ['arn:aws:iam::*:role/service-role/report-exporter-role-*'],
    accounts: ['*'],
    maxDuration: '4h',
    approvers: 'responders',
  });
  config = join(workload.root, 'revoker.config.yaml');
  writeFileSync(config, stringify(shipped));
}, 120_000);

describe('revoker jit propose, on the refused calls of a workload', () => {
  it('proposes PutItem on the one table, proves it, finds it within report-writer, and grants nothing', async () => {
    const { code, stdout } = await propose();

    expect(code).toBe(0);
    const { truth } = workload;
    const table = `arn:aws:dynamodb:${truth.region}:${truth.account}:table/report-index`;
    expect(stdout).toContain(
      `  dynamodb:PutItem on ${table}\n    for 3 refused calls (AccessDeniedException)`,
    );
    expect(stdout).toContain(
      `proof: holds — the evaluator allows 3 of the 3 refused calls (1 request judged) and refuses a neighbour, ${table}-neighbour`,
    );
    expect(stdout).toContain(`eligibility (within): within ${reportWriter}`);
    expect(stdout).toContain(
      `revoker jit request --deployed URL --principal ${truth.roleArn} --policy ${reportWriter} --for 1h --reason 'needs dynamodb:PutItem (revoker jit propose)'`,
    );
    expect(stdout).toContain('attaches a managed policy named in access.grants, never a document');
    expect(stdout).toContain('Nothing was granted');
  }, 60_000);

  it('proposes the one secret, whose eligible policies it cannot judge', async () => {
    const { stdout } = await propose('--json');

    const report = JSON.parse(stdout) as JitProposalReport;
    const { truth } = workload;
    const secret = report.proposals.find((proposal) => proposal.action === 'secretsmanager:GetSecretValue');
    expect(secret).toMatchObject({
      resource: `arn:aws:secretsmanager:${truth.region}:${truth.account}:secret:report-signing-key-??????`,
      calls: 1,
      proof: { holds: true },
      eligibility: {
        verdict: 'unknown',
        reason: 'eligible policies’ documents are not known, a grant of this needs an approver',
        unknown: ['arn:aws:iam::aws:policy/PowerUserAccess'],
        notCovering: [reportWriter],
      },
      request: { command: null },
    });
    expect(report.proposals).toHaveLength(2);
    expect(report.granted).toBe(false);
  }, 60_000);

  it('refuses to build a grant from a key holding `*`, and for a call refused elsewhere', async () => {
    const { stdout } = await propose('--json');

    const report = JSON.parse(stdout) as JitProposalReport;
    expect(report.proposals.map((proposal) => proposal.resource).join(' ')).not.toContain('exports');
    expect(report.unproposed).toEqual([
      expect.objectContaining({
        call: expect.objectContaining({ eventName: 'GetObject', objectKey: 'data/2026/01/14/ab12.json' }),
        reason: expect.stringContaining('its current policies already allow it'),
      }),
      expect.objectContaining({
        call: expect.objectContaining({ eventName: 'GetObject', objectKey: 'exports/*' }),
        reason: expect.stringContaining('its key holds `*`, which a policy’s Resource reads as a wildcard'),
      }),
    ]);
  }, 60_000);

  it('explains itself in --help', async () => {
    const { code, stdout } = await revoker('jit', 'propose', '--help');

    expect(code).toBe(0);
    expect(stdout).toContain('--widen');
    expect(stdout).toContain('attaches managed policies only');
  });
});
